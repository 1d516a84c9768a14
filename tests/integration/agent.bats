#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# profiler agent: the live endpoint read by the pprof project's own client
# (go tool pprof) and by a headless Chromium, --dir files rotated and
# parsed by go tool pprof, bad requests refused, /metrics read by
# Prometheus' own parser, SIGHUP and SIGTERM.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	setup_common
	AGENT=
	export PPROF_TMPDIR=$TMP/pprof HOME=$TMP
}

teardown() {
	[ -n "${AGENT:-}" ] && kill "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
	AGENT=
	teardown_common
}

# Start the agent on a port of its choice: AGENT (pid), URL.
agent_start() {	# ARGS...
	"$PROFILER" agent --listen 127.0.0.1:0 "$@" 2> "$TMP/agent.err" &
	AGENT=$!
	local port=
	for i in $(seq 100); do
		port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/agent.err")
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { cat "$TMP/agent.err"; return 1; }
	URL=http://127.0.0.1:$port
	# collecting once /healthz says so (the first tick)
	for i in $(seq 300); do
		[ "$(curl -s "$URL/healthz")" = ok ] && return 0
		sleep 0.1
	done
	cat "$TMP/agent.err"
	return 1
}

status() {	# URL
	curl -s -o "$TMP/body" -w '%{http_code}' "$1"
}

# Wait until window N is complete.
wait_windows() {	# N
	for i in $(seq 300); do
		[ "$(curl -s "$URL/metrics" | awk '$1 == "profiler_agent_windows_total" { print $2 }')" -ge "$1" ] &&
			return 0
		sleep 0.1
	done
	return 1
}

@test "agent: go tool pprof -raw of /debug/pprof/profile?seconds=2 shows the workload's hot function" {
	"$W/burn31" 30 2> /dev/null &
	BGPID=$!
	# the workload alone, at 99 Hz: a busy machine cannot crowd it out of two seconds
	agent_start -p "$BGPID" -F 99
	run timeout 60 go tool pprof -raw "$URL/debug/pprof/profile?seconds=2"
	echo "$output" | head -20
	[ "$status" = 0 ] || { cat "$TMP/agent.err"; false; }
	# the pprof client parsed a cpu profile of about two seconds
	[[ "$output" == *"PeriodType: cpu nanoseconds"* ]]
	dur=$(echo "$output" | sed -n 's/^Duration: \([0-9.]*\).*/\1/p')
	awk -v d="$dur" 'BEGIN { exit !(d >= 1 && d <= 10) }'
	echo "$output" | grep -q ' spin_three '
	# Go's path for the latest window, and ours for the same type
	wait_windows 1
	run -0 timeout 60 go tool pprof -raw "$URL/debug/pprof/cpu"
	[[ "$output" == *"PeriodType: cpu nanoseconds"* ]]
}

# The svg is fetched by the window the page names, which must still be one of
# the AGENT_RECENT (30) kept when the second Chromium asks: each run may take
# up to its 120 s timeout on a loaded machine (with 2 s windows, 60 s kept,
# the svg came without the function once at load 45), so 30 windows must
# last 240 s: 8 s windows.
@test "agent: headless Chromium shows the hot function on / and in its flame graph" {
	"$W/burn31" 60 2> /dev/null &
	BGPID=$!
	agent_start --window 8 -p "$BGPID" -F 99
	wait_windows 1
	run -0 timeout 120 chromium --headless --no-sandbox --disable-gpu --dump-dom "$URL/"
	echo "$output" | head -30
	[[ "$output" == *'<td class="fn">spin_three</td>'* ]]
	[[ "$output" == *'data="/flame.svg?type=cpu&amp;window='* ]]
	svg=$(echo "$output" | sed -n 's|.*data="\(/flame.svg?[^"]*\)".*|\1|p' | sed 's/&amp;/\&/g')
	run -0 timeout 120 chromium --headless --no-sandbox --disable-gpu --dump-dom "$URL$svg"
	# a frame of the graph: its tooltip names the function
	echo "$output" | grep -q '<title>spin_three '
}

@test "agent: --dir writes a valid pprof per window, --keep prunes only its own files" {
	mkdir "$TMP/d"
	touch "$TMP/d/notes.txt" "$TMP/d/cpu-20000101T000000.000Z.pb.gz"
	agent_start --window 1 --dir "$TMP/d" --keep 3,1h -- "$W/burn31" 6
	wait "$AGENT"
	AGENT=
	ls -l "$TMP/d"
	# the old one (by its name's time) is gone, the file not ours is kept
	[ -e "$TMP/d/notes.txt" ]
	[ ! -e "$TMP/d/cpu-20000101T000000.000Z.pb.gz" ]
	[ "$(ls "$TMP/d" | grep -c '^cpu-[0-9]\{8\}T[0-9]\{6\}\.[0-9]\{3\}Z\.pb\.gz$')" -eq 3 ]
	for f in "$TMP"/d/cpu-*.pb.gz; do
		run -0 go tool pprof -raw "$f"
		[[ "$output" == *"PeriodType: cpu nanoseconds"* ]]
	done
}

@test "agent: SIGTERM writes the window under way; SIGHUP makes a removed --dir again" {
	"$W/burn31" 60 2> /dev/null &
	BGPID=$!
	agent_start --window 1 --dir "$TMP/d"
	wait_windows 1
	# a window's file written between rm's listing and its rmdir: again
	for i in 1 2 3 4 5; do rm -rf "$TMP/d" 2> /dev/null && break; sleep 0.1; done
	[ ! -e "$TMP/d" ]
	kill -HUP "$AGENT"
	sleep 2.5
	kill -0 "$AGENT"
	grep -q "SIGHUP: $TMP/d reopened" "$TMP/agent.err"
	[ -n "$(ls "$TMP/d")" ]
	kill "$AGENT"
	wait "$AGENT" || true
	AGENT=
	# a long window cut by SIGTERM is written all the same
	rm -rf "$TMP/d"
	agent_start --window 600 --dir "$TMP/d"
	sleep 2
	kill "$AGENT"
	wait "$AGENT"
	AGENT=
	[ "$(ls "$TMP/d" | wc -l)" -eq 1 ]
	run -0 go tool pprof -raw "$TMP"/d/cpu-*.pb.gz
	echo "$output" | grep -q ' spin_three '
}

@test "agent: bad requests get a 400 or 404 naming the fix; no path reaches a file" {
	agent_start
	for s in 0 -1 abc 2.5 301 99999999999999999999; do
		[ "$(status "$URL/debug/pprof/profile?seconds=$s")" = 400 ]
		grep -q 'whole number of seconds from 1 to 300' "$TMP/body"
	done
	[ "$(status "$URL/debug/pprof/cpu?window=x")" = 400 ]
	[ "$(status "$URL/debug/pprof/cpu?window=99999")" = 404 ]
	[ "$(status "$URL/debug/pprof/offcpu")" = 404 ]
	grep -q -- '--what offcpu' "$TMP/body"
	[ "$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$URL/../../etc/passwd")" = 404 ]
	[ "$(status "$URL/debug/pprof/../../../etc/passwd")" = 404 ]
	[ "$(curl -s -X POST -o /dev/null -w '%{http_code}' "$URL/debug/pprof/cpu")" = 405 ]
	[ "$(status "$URL/debug/pprof/")" = 200 ]
	grep -q 'href="/debug/pprof/cpu"' "$TMP/body"
}

@test "agent: /metrics parses as Prometheus text; idle clients do not stop collection" {
	agent_start --window 1
	wait_windows 1
	curl -s "$URL/metrics" > "$TMP/before"
	# twenty connections that never send a request, held for four seconds
	fds=()
	for i in $(seq 20); do
		exec {fd}<>"/dev/tcp/127.0.0.1/${URL##*:}"
		fds+=("$fd")
	done
	sleep 4
	for fd in "${fds[@]}"; do exec {fd}>&-; done
	# the server sees the closes within moments; until then it is at its limit
	for i in $(seq 50); do
		curl -sf "$URL/metrics" > "$TMP/after" && break
		sleep 0.1
	done
	/usr/bin/python3 - "$TMP/before" "$TMP/after" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families

def read(path):
    m = {}
    for fam in text_string_to_metric_families(open(path).read()):
        for s in fam.samples:
            m[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return m

a, b = read(sys.argv[1]), read(sys.argv[2])
print(b)
# a window a second went on while the idle connections were open
assert b[("profiler_agent_windows_total", ())] - a[("profiler_agent_windows_total", ())] >= 3
assert b[("profiler_agent_samples_total", (("type", "cpu"),))] > 0
assert b[("process_cpu_seconds_total", ())] > 0
assert 0 < b[("process_resident_memory_bytes", ())] < 1 << 30
for k in ("profiler_agent_files_written_total", "profiler_agent_pushes_failed_total",
          "profiler_agent_renewals_total"):
    assert b[(k, ())] == 0, k
PY
}

@test "agent: bad options are refused with one line naming the fix" {
	run -2 "$PROFILER" agent --window 0
	[[ "$output" == *"whole seconds from 1 to 86400"* ]]
	run -2 "$PROFILER" agent --keep 5
	[[ "$output" == *"give --dir DIR too"* ]]
	run -2 "$PROFILER" agent --dir "$TMP/d" --keep 5x
	[[ "$output" == *"invalid --keep '5x'"* ]]
	run -2 "$PROFILER" agent --listen nope
	[[ "$output" == *"invalid --listen 'nope'"* ]]
	run -2 "$PROFILER" agent -o "$TMP/x.pb.gz"
	[[ "$output" == *"takes no -f or -o"* ]]
	[ "${#lines[@]}" -eq 1 ]
	# a port taken: said before any BPF is loaded
	agent_start
	run -2 "$PROFILER" agent --listen "127.0.0.1:${URL##*:}" -d 1
	[[ "$output" == *"cannot listen on 127.0.0.1:${URL##*:}"* ]]
}

# --NAME-OPTION as record takes it: offcpu's --min-block through the agent.
# waits' sleeper sleeps 10 ms at a time, its reader blocks about 20 ms.  A
# loaded machine stretches some sleeps past 15 ms (the wake-up waits for a
# CPU), and those may pass the filter; every off-CPU period lies within its
# sleep call, so with --offcpu-min-block 15000 the sleeper's off-CPU time is
# at most what waits measured of its sleeps of 15 ms or more (sleep_long_ns).
@test "agent: record's --NAME-OPTION reach their collector (--offcpu-min-block)" {
	focus() {	# DIR FUNC: the off-CPU nanoseconds of the samples with FUNC on the stack
		go tool pprof -top -unit=ns -focus="$2" "$1"/offcpu-*.pb.gz 2> /dev/null |
			sed -n 's/^Showing nodes accounting for \([0-9.e+]*\)ns, .*/\1/p'
	}
	"$PROFILER" agent --listen off --what offcpu --dir "$TMP/all" -- "$W/waits" 3 2> "$TMP/all.err"
	WAITS_LONG_US=15000 "$PROFILER" agent --listen off --what offcpu --offcpu-min-block 15000 \
		--dir "$TMP/min" -- "$W/waits" 3 2> "$TMP/min.err"
	cat "$TMP/all.err" "$TMP/min.err"
	all=$(focus "$TMP/all" sleep_in_a) min=$(focus "$TMP/min" sleep_in_a)
	slept=$(sed -n 's/.*sleep_ns=\([0-9]*\).*/\1/p' "$TMP/all.err")
	long=$(sed -n 's/.*sleep_long_ns=\([0-9]*\).*/\1/p' "$TMP/min.err")
	read_min=$(focus "$TMP/min" read_in_b)
	read_long=$(sed -n 's/.*read_long_ns=\([0-9]*\).*/\1/p' "$TMP/min.err")
	echo "sleep_in_a: ${all:-none} ns of ${slept} slept; ${min:-0} ns with --offcpu-min-block 15000," \
		"of $long ns in sleeps of 15 ms or more; read_in_b ${read_min:-none} ns of $read_long ns" \
		"in reads of 15 ms or more"
	# without the filter: most of the sleeper's time; with it: no more than its long sleeps
	awk -v a="${all:-0}" -v s="$slept" 'BEGIN { exit !(a > 0.5 * s) }'
	awk -v m="${min:-0}" -v l="$long" 'BEGIN { exit !(m <= l + 1e6) }'
	# the reader's blocks of about 20 ms stay (a read that lasted 15 ms may
	# have been off the CPU a little less; most are well above)
	awk -v r="${read_min:-0}" -v l="$read_long" 'BEGIN { exit !(l > 0 && r > 0.5 * l && r <= l + 1e6) }'
	# refused by offcpu's own check, and listed in --help
	run -2 "$PROFILER" agent --offcpu-min-block soon
	[[ "$output" == *"invalid --min-block 'soon'"* ]]
	"$PROFILER" agent --help | grep -q -- '--offcpu-min-block X'
}

# A renewal every window (hidden --renew-rss 1 --renew-min 1): burn31
# starts once the agent collects and the agent ends when it exits, so
# every CPU second burn31 reports is inside the windows.  The windows tile
# the run: each starts where the one before ended, but for the new
# session's wake-up after the old one stops, which the agent measures and
# reports (renewal_gap_seconds): the gaps between the windows must add up
# to it.  That wake-up is well under a millisecond on an idle machine, and
# seconds at a load of 40 on 2 CPUs, so its bound comes from the same
# load: it must be a small part of the new sessions' start-up
# (renewal_start_seconds), all of which the old renewal lost.  At 99 Hz
# burn31's samples are its CPU time over the 10.1 ms period, within
# Poisson error (sd = sqrt(n)), less at most 99 a second of the gaps.
@test "agent: renewals lose no samples: the windows around them add up to the workload's CPU time" {
	mkfifo "$TMP/go"
	( read -r _ < "$TMP/go"; exec "$W/burn31" 5 2> "$TMP/burn.err" ) &
	BGPID=$!
	agent_start -p "$BGPID" -F 99 --window 1 --dir "$TMP/d" --renew-rss 1 --renew-min 1
	echo go > "$TMP/go"
	while kill -0 "$BGPID" 2> /dev/null; do
		curl -s "$URL/metrics" > "$TMP/metrics.new" && mv "$TMP/metrics.new" "$TMP/metrics"
		sleep 0.3
	done
	wait "$AGENT"
	AGENT=
	cat "$TMP/burn.err"
	grep '^profiler_agent_renew' "$TMP/metrics"
	renewals=$(awk '$1 == "profiler_agent_renewals_total" { print $2 }' "$TMP/metrics")
	[ "$renewals" -ge 2 ]
	cpu=$(sed -n 's/^cpu_seconds=//p' "$TMP/burn.err")
	# start, duration (pprof's time_nanos, duration_nanos: -raw rounds them) and samples of each
	python3 - "$TMP"/d/cpu-*.pb.gz > "$TMP/windows" <<-'PY'
	import gzip, sys
	def fields(b):	# (number, value) of a protobuf message: varints and bytes
	    i = 0
	    while i < len(b):
	        k, i = varint(b, i)
	        if k & 7 == 0:
	            v, i = varint(b, i)
	        elif k & 7 == 2:
	            n, i = varint(b, i)
	            v, i = b[i:i + n], i + n
	        else:
	            raise SystemExit("unexpected wire type %d" % (k & 7))
	        yield k >> 3, v
	def varint(b, i):
	    v = s = 0
	    while True:
	        c = b[i]; i += 1; v |= (c & 127) << s; s += 7
	        if c < 128:
	            return v, i
	for f in sys.argv[1:]:
	    t = d = n = 0
	    for k, v in fields(gzip.open(f).read()):
	        if k == 9: t = v
	        elif k == 10: d = v
	        elif k == 2:
	            vals = [x for kk, x in fields(v) if kk == 2]
	            n += varint(vals[0], 0)[0] if isinstance(vals[0], bytes) else vals[0]
	    print("%.6f %.6f %d" % (t / 1e9, d / 1e9, n))
	PY
	cat "$TMP/windows"
	gap=$(awk '$1 == "profiler_agent_renewal_gap_seconds_total" { print $2 }' "$TMP/metrics")
	start=$(awk '$1 == "profiler_agent_renewal_start_seconds_total" { print $2 }' "$TMP/metrics")
	# consecutive windows: no overlap beyond the printed times' rounding, and
	# the gaps between them are the renewal gaps the agent reports
	awk -v gap="$gap" -v n="$renewals" '
	     NR > 1 { g = $1 - end; if (g < -0.02) { print "overlap", g, "before", $1; bad = 1 }
		      if (g > 0.001) { print "gap", g, "before", $1; sum += g } }
	     { end = $1 + $2 }
	     END { printf "gaps between windows %.3f s, renewal gap reported %.3f s\n", sum, gap
		   exit bad || sum > gap + 0.002 * (n + 1) || sum < gap - 0.002 * (n + 1) }' "$TMP/windows"
	awk -v g="$gap" -v s="$start" 'BEGIN {
		printf "renewal gap %.3f s of %.3f s of start-up\n", g, s; exit !(g < 0.5 * s) }'
	awk -v c="$cpu" -v gap="$gap" '{ n += $3 } END {
		e = c * 1e9 / 10101010; d = n - e
		printf "%d samples, %.1f expected from %.3f CPU s, %.3f s of gaps\n", n, e, c, gap
		exit !(d < 4 * sqrt(e) + 5 && d > -4 * sqrt(e) - 5 - 99 * gap) }' "$TMP/windows"
}

@test "agent: offcpu's keys and stacks of exited processes leave the kernel's maps; the waits add up" {
	# 80 processes that each sleep 50 ms, over ~5 windows of 1 s: each
	# adds a key and user stacks of its own, deleted once its window is
	# read; the sleeps' off-CPU time, summed over the windows, is what
	# they slept (at least 50 ms each, timer slack beyond)
	run --separate-stderr "$PROFILER" agent --what offcpu --window 1 --listen off \
		--dir "$TMP/d" --stats -- sh -c 'for i in $(seq 80); do sleep 0.05; done'
	echo "$stderr" | grep -E 'map (counts|stacks) |deleted|renew'
	[ "$status" -eq 0 ]
	pruned=$(echo "$stderr" | sed -n 's/.*stacks maps: \([0-9,]*\) user stacks of exited.*/\1/p' | tr -d ,)
	keys=$(echo "$stderr" | sed -n 's/^  map counts  *\([0-9,]*\) of.*/\1/p' | tr -d , | tail -1)
	total=0
	for f in "$TMP"/d/offcpu-*.pb.gz; do
		"$PROFILER" report "$f" -o "$TMP/w.folded"
		n=$(folded_sum "$TMP/w.folded" '^sleep;.*nanosleep')
		total=$((total + n))
	done
	echo "windows=$(ls "$TMP"/d/offcpu-*.pb.gz | wc -l) pruned=$pruned keys_left=$keys sleep_ns=$total"
	[ "$(ls "$TMP"/d/offcpu-*.pb.gz | wc -l)" -ge 3 ]
	[ "$pruned" -ge 40 ]
	# left at the end: the processes of the last window at most
	[ "$keys" -le 40 ]
	[ "$total" -ge $((80 * 50000000 * 95 / 100)) ]
	[ "$total" -le $((80 * 60000000)) ]
}

@test "agent: lock's keys and stacks of exited processes leave the kernel's maps; every window still finds the fight" {
	# lockfight processes one after another for 3.5 s, four threads each
	# fighting over big_lock, over windows of 1 s: their wait keys (per
	# thread and lock) and user stacks are deleted once their window is
	# read; what is left at the end is the last window's (the end deletes
	# nothing: the maps go with the session)
	run --separate-stderr "$PROFILER" agent -v --what lock --window 1 --listen off \
		--dir "$TMP/d" --stats -- sh -c "end=\$((\$(date +%s%N) + 3500000000))
			while [ \$(date +%s%N) -lt \$end ]; do '$W/lockfight' 2000 > /dev/null; done"
	echo "$stderr" | grep -E 'map (waits|stacks) |deleted'
	[ "$status" -eq 0 ]
	pruned=$(echo "$stderr" | sed -n 's/.*stacks maps: \([0-9,]*\) user stacks of exited.*/\1/p' | tr -d ,)
	deleted=$(echo "$stderr" | sed -n 's/.*lock: \([0-9]*\) keys and .* deleted.*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
	left=$(echo "$stderr" | sed -n 's/^  map waits  *\([0-9,]*\) of.*/\1/p' | tr -d , | tail -1)
	windows=0
	for f in "$TMP"/d/lock-*.pb.gz; do
		"$PROFILER" report "$f" -o "$TMP/w.folded"
		fights=$(folded_sum "$TMP/w.folded" 'big_lock')
		echo "$(basename "$f"): big_lock $fights ns"
		# a window cut after the last process ended may be empty
		[ "$fights" -gt 0 ] && windows=$((windows + 1))
	done
	echo "windows with the fight=$windows pruned=$pruned keys deleted=$deleted left=$left"
	[ "$windows" -ge 3 ]
	[ "$pruned" -ge 30 ]
	[ "$deleted" -ge 100 ]
	[ "$deleted" -ge "$left" ]
}
