#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Every output format of one real profile, fed to a real consumer (go tool
# pprof, headless Chromium, python's json, flamegraph.pl's folded rules,
# our own readers): the same totals everywhere.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	export PROF=$BATS_FILE_TMPDIR/p
	"$PROFILER" cpu -q -o "$PROF.folded" -o "$PROF.pb.gz" -o "$PROF.svg" -o "$PROF.json" \
		-- "$W/burn31" 2 2>/dev/null
}

setup() {
	setup_common
	[ -s "$PROF.folded" ] || { echo "the profile of burn31 was not written"; return 1; }
}
teardown() { teardown_common; }

# The DOM of a page after its scripts ran, from headless Chromium.
browse() {	# URL
	timeout 300 chromium --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync \
		--no-first-run --user-data-dir="$(mktemp -d -p "$TMP")" \
		--virtual-time-budget=10000 --dump-dom "$1" 2>/dev/null
}

@test "formats: folded follows flamegraph.pl's rules and reads back unchanged" {
	# every line: frames separated by ';', none empty, a space, an integer count
	! grep -vE '^[^;]+(;[^;]+)* [0-9]+$' "$PROF.folded" || false
	! grep -q ';;' "$PROF.folded" || false
	[ "$(folded_total "$PROF.folded")" -gt 20 ]
	"$PROFILER" report "$PROF.folded" -f folded > "$TMP/again.folded"
	diff "$PROF.folded" "$TMP/again.folded"
}

@test "formats: go tool pprof -top shows the folded numbers" {
	total=$(folded_total "$PROF.folded")
	three=$(folded_sum "$PROF.folded" ';spin_three$')
	one=$(folded_sum "$PROF.folded" ';spin_one$')
	run go tool pprof -top -symbolize=none "$PROF.pb.gz"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | grep -q "Total samples = $total\b"
	[ "$(echo "$output" | awk '$NF == "spin_three" { print $1 }')" = "$three" ]
	[ "$(echo "$output" | awk '$NF == "spin_one" { print $1 }')" = "$one" ]
	echo "$output" | grep -q 'File: burn31'
	echo "$output" | grep -q 'Type: samples'
	# burn31 2 runs 2 s of CPU time: longer (any longer) on a loaded machine
	echo "$output" | grep -Eq 'Duration: (([2-9]|[1-9][0-9]+)(\.[0-9]+)?s|[0-9]+m)'
}

@test "formats: go tool pprof -traces has every sample, with pid and comm labels" {
	run go tool pprof -traces -symbolize=none "$PROF.pb.gz"
	[ "$status" -eq 0 ]
	sum=$(echo "$output" | awk '/^ +[0-9]+ +[^ ]/ { s += $1 } END { print s + 0 }')
	echo "traces sum=$sum folded=$(folded_total "$PROF.folded")"
	[ "$sum" -eq "$(folded_total "$PROF.folded")" ]
	echo "$output" | grep -q 'comm:  burn31'
	echo "$output" | grep -Eq 'pid:  [0-9]+'
	# mappings carry the build-id of the workload
	bid=$(readelf -n "$W/burn31" | awk '/Build ID/ { print $3 }')
	go tool pprof -raw -symbolize=none "$PROF.pb.gz" | grep "burn31 $bid"
}

# go tool pprof -http on a free port: a port in use makes it exit, and
# another is tried.  Sets PORT and BGPID.
serve_pprof() {	# FILE
	for try in 1 2 3 4 5; do
		# below the kernel's ephemeral ports (32768 and up)
		PORT=$((20000 + RANDOM % 12000))
		go tool pprof -http="127.0.0.1:$PORT" -no_browser -symbolize=none "$1" \
			> "$TMP/http.log" 2>&1 &
		BGPID=$!
		for i in $(seq 600); do
			curl -sf "http://127.0.0.1:$PORT/ui/top" > "$TMP/top.html" && return 0
			kill -0 "$BGPID" 2>/dev/null || break
			sleep 0.1
		done
		cat "$TMP/http.log"
		kill "$BGPID" 2>/dev/null; wait "$BGPID" 2>/dev/null
		BGPID=
	done
	return 1
}

@test "formats: go tool pprof -http serves the profile's functions" {
	serve_pprof "$PROF.pb.gz"
	port=$PORT
	cat "$TMP/http.log"
	grep -q spin_three "$TMP/top.html"
	curl -sf "http://127.0.0.1:$port/ui/flamegraph" | grep -q spin_one
}

@test "formats: pprof reads back to the same folded stacks; all sample types kept" {
	"$PROFILER" report "$PROF.pb.gz" -f folded > "$TMP/from-pprof.folded"
	diff "$PROF.folded" "$TMP/from-pprof.folded"
	# a re-written pprof still reads in go tool pprof, with both sample types
	"$PROFILER" report "$PROF.pb.gz" -o "$TMP/again.pb.gz"
	go tool pprof -raw -symbolize=none "$TMP/again.pb.gz" | grep -q 'samples/count\[dflt\] cpu/nanoseconds'
	run go tool pprof -top -sample_index=cpu -symbolize=none "$TMP/again.pb.gz"
	[ "$status" -eq 0 ]
	echo "$output" | grep -q 'Type: cpu'
}

@test "formats: chromium renders the svg; search matches the folded share exactly" {
	total=$(folded_total "$PROF.folded")
	three=$(folded_sum "$PROF.folded" ';spin_three(;|$)')
	grep -q "data-total=\"$total\"" "$PROF.svg"
	# nothing to fetch: the file is self-contained
	! grep -Eq '(href|src)="http' "$PROF.svg" || false
	dom=$(browse "file://$PROF.svg?s=spin_three")
	matched=$(echo "$dom" | sed -n 's/.*id="matched"[^>]*data-matched="\([0-9]*\)".*/\1/p')
	shown=$(echo "$dom" | sed -n 's/.*Matched: \([0-9.]*\)%.*/\1/p')
	echo "matched=$matched shown=$shown% folded spin_three=$three of $total"
	[ "$matched" = "$three" ]
	within "$shown" "$(pct "$three" "$total")" 0.05
	# the matches are highlighted by the script
	echo "$dom" | grep -q 'data-n="spin_three".*fill="rgb(230,0,230)"'
}

@test "formats: chromium zooms the svg to a frame on request" {
	dom=$(browse "file://$PROF.svg?x=spin_one")
	echo "$dom" | grep 'data-n="spin_one"'
	# spin_one now spans the whole width; its sibling spin_three is hidden
	echo "$dom" | grep -q 'data-n="spin_one".*<rect x="10.00" y="[0-9.]*" width="1180.00"'
	echo "$dom" | grep -q 'data-n="spin_three"[^>]*style="display: none;"'
	echo "$dom" | grep -q 'id="reset"[^>]*style="opacity: 1;"'
}

@test "formats: svg options: title, icicle, width" {
	"$PROFILER" report "$PROF.pb.gz" -f svg --title "burn <31>" --inverted --width 800 \
		--minwidth 2 -o "$TMP/ice.svg"
	grep -q 'width="800"' "$TMP/ice.svg"
	grep -q '>burn &lt;31&gt;</text>' "$TMP/ice.svg"
	# icicle: the root frame is at the top
	grep -q '<g data-n="all"[^>]*><title>[^<]*</title><rect x="10.00" y="48.0" width="780.00"' "$TMP/ice.svg"
	# a sample taken before main (the loader) or after it (exit) is not
	# under main: compare with main's share in the folded file
	total=$(folded_total "$PROF.folded")
	under_main=$(folded_sum "$PROF.folded" '(^|;)main(;|$)')
	dom=$(browse "file://$TMP/ice.svg?s=^main\$")
	shown=$(echo "$dom" | sed -n 's/.*Matched: \([0-9.]*\)%.*/\1/p')
	echo "shown=$shown% folded main=$under_main of $total"
	within "$shown" "$(pct "$under_main" "$total")" 0.05
}

@test "formats: json parses and has the folded totals" {
	run python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["sample_types"][0] == {"name": "samples", "unit": "count"}, d["sample_types"]
fr = d["frames"]
total = sum(s["values"][0] for s in d["stacks"])
three = sum(s["values"][0] for s in d["stacks"] if s["frames"] and fr[s["frames"][-1]]["name"] == "spin_three")
kinds = set(f["kind"] for f in fr)
assert kinds <= {"user", "kernel", "jit", "inline", "group"}, kinds
print(total, three)
' "$PROF.json"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(folded_total "$PROF.folded") $(folded_sum "$PROF.folded" ';spin_three$')" ]
}

@test "formats: the report of a saved profile has the folded total" {
	run "$PROFILER" report "$PROF.pb.gz"
	[ "$status" -eq 0 ]
	echo "$output" | grep -q "Total:      $(folded_total "$PROF.folded") samples"
	echo "$output" | grep -q 'spin_three  \[burn31\]'
}

@test "formats: the report of a folded file claims no pid or module the format does not keep" {
	run "$PROFILER" report "$PROF.folded"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | grep -q "Total:      $(folded_total "$PROF.folded") samples"
	# folded lines keep commands, not processes: counted as such
	echo "$output" | grep -Eq '^Commands: +1$'
	echo "$output" | grep -Eq '^ +[0-9]+ +- +burn31$'
	# the hot function without a module, kernel frames with theirs
	echo "$output" | grep -Eq '^ +[0-9]+ +[0-9.]+% +[0-9]+ +[0-9.]+% +spin_three$'
	! echo "$output" | grep -q 'unknown\]\|\[pid 0\]\|burn31 \[0\]' || false
	# the pprof of the same run keeps both
	run "$PROFILER" report "$PROF.pb.gz"
	echo "$output" | grep -Eq '^Processes: +1$'
	echo "$output" | grep -q 'spin_three  \[burn31\]'
}

@test "diff: folded columns, report and svg of a profile against a changed copy" {
	# the new profile: spin_one doubled
	awk '/;spin_one [0-9]+$/ { sub(/ [0-9]+$/, " " $NF * 2) } 1' "$PROF.folded" > "$TMP/new.folded"
	"$PROFILER" diff "$PROF.folded" "$TMP/new.folded" -f folded > "$TMP/diff.folded"
	cat "$TMP/diff.folded"
	[ "$(awk '{ s += $(NF-1) } END { print s }' "$TMP/diff.folded")" = "$(folded_total "$PROF.folded")" ]
	[ "$(awk '{ s += $NF } END { print s }' "$TMP/diff.folded")" = "$(folded_total "$TMP/new.folded")" ]
	grep -Eq ';spin_one ([0-9]+) ([0-9]+)$' "$TMP/diff.folded"
	run "$PROFILER" diff "$PROF.folded" "$TMP/new.folded"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | sed -n '/Grew most by self/,/^$/p' | grep -q 'spin_one$'
	echo "$output" | sed -n '/Shrank most by self/,/^$/p' | grep -q 'spin_three$'
	"$PROFILER" diff "$PROF.folded" "$TMP/new.folded" -o "$TMP/diff.svg"
	# grew: red; shrank: blue
	grep -q 'data-n="spin_one".*fill="rgb(255,[0-9]*,[0-9]*)"' "$TMP/diff.svg"
	grep -q 'data-n="spin_three".*fill="rgb([0-9]*,[0-9]*,255)"' "$TMP/diff.svg"
	browse "file://$TMP/diff.svg?s=spin_one" | grep -q 'Matched: '
}

@test "report/diff: bad input is one line on stderr, nothing on stdout" {
	run --separate-stderr "$PROFILER" report "$TMP/missing.pb.gz"
	[ "$status" -ne 0 ]
	[ -z "$output" ]
	[[ "$stderr" == *"cannot read"* ]]
	printf 'not a profile\n' > "$TMP/bad.folded"
	run --separate-stderr "$PROFILER" report "$TMP/bad.folded"
	[ "$status" -ne 0 ]
	[ -z "$output" ]
	[[ "$stderr" == *"bad.folded:1: "* ]]
	head -c 100 "$PROF.pb.gz" > "$TMP/cut.pb.gz"
	run --separate-stderr "$PROFILER" report "$TMP/cut.pb.gz"
	[ "$status" -ne 0 ]
	[ -z "$output" ]
	run --separate-stderr "$PROFILER" diff "$PROF.folded" -f pprof
	[ "$status" -eq 2 ]
	run "$PROFILER" report --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--minwidth"* ]]
	run "$PROFILER" diff --help
	[[ "$output" == *"red grew"* ]]
}
