#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Every process named however briefly it lived (the mapping timeline from
# mmap records), unwound from its first sample, JIT code named whenever it
# was mapped, and a reused pid never named with another process's files.

bats_require_minimum_version 1.5.0
load helpers

setup() { setup_common; }
teardown() {
	[ -n "${PROF:-}" ] && kill -INT "$PROF" 2>/dev/null && wait "$PROF" 2>/dev/null
	[ -n "${CHURN:-}" ] && kill "$CHURN" 2>/dev/null
	PROF= CHURN=
	rm -f /tmp/perf-"${NODEPID:-none}".map
	teardown_common
}

N=150		# processes
MS=4		# CPU milliseconds each spends in short_lived_work
F=999		# samples a second: 1.001 ms, no divisor of the 4 ms

# The loop of short processes, each its own comm (shortchurn) so that
# nothing else on a shared machine is counted.
make_loop() {
	cp "$W/churn" "$TMP/shortchurn"
	printf 'i=0; while [ $i -lt %d ]; do %s --child %d; i=$((i + 1)); done\n' \
		"$N" "$TMP/shortchurn" "$MS" >"$TMP/loop.sh"
}

# The checks shared by -- CMD and -a, on the folded profile FILE.
#  - samples in the work: named, against the unnamed ones of those processes
#    (exited, unmapped, reused, shortchurn+0x); >= 95% named, less three
#    binomial standard deviations of that count;
#  - against the work's CPU time (N * MS ms at F Hz): as many named, same bound
#    (a sample named as something else, or lost, shows here);
#  - with START_TOO, unwound to _start: >= 90% of the named, same bound.
#    Under -a on a busy machine the session may be making the tables of
#    other processes' large binaries when a short one starts (tenths of a
#    second each), so there it is shown, not checked.
check_short() {	# FILE [START_TOO]
	local named unnamed started expect
	named=$(folded_sum "$1" '^shortchurn;.*short_lived_work')
	unnamed=$(grep '^shortchurn;' "$1" | grep -v sys_execve |
		grep -E '\[pid [0-9]+ (exited|reused)\]|\[unmapped\]|shortchurn\+0x' |
		awk '{ s += $NF } END { print s + 0 }')
	started=$(folded_sum "$1" '^shortchurn;_start;__libc_start_main[^;]*;__libc_start_call_main;main;short_lived_work')
	expect=$((N * MS * F / 1000))
	echo "short_lived_work: $named named, $unnamed unnamed, $started from _start; expected $expect"
	awk -v a="$named" -v u="$unnamed" -v s="$started" -v e="$expect" -v st="${2:-}" 'BEGIN {
		n = a + u
		if (a < 0.95 * n - 3 * sqrt(n * 0.95 * 0.05)) { print "named share too low"; exit 1 }
		if (a < 0.95 * e - 3 * sqrt(e * 0.95 * 0.05)) { print "fewer named than the CPU time"; exit 1 }
		if (st && s < 0.90 * a - 3 * sqrt(a * 0.90 * 0.10)) { print "too few reach _start"; exit 1 }
	}'
}

@test "names: processes of 4 ms under -- sh LOOP carry their function, unwound to _start" {
	make_loop
	run --separate-stderr "$PROFILER" cpu -F $F -v -o "$TMP/out.folded" -- sh "$TMP/loop.sh"
	echo "$stderr" | grep -v '^libbpf'
	[ "$status" -eq 0 ]
	check_short "$TMP/out.folded" start_too
}

# Cut into windows of 0.5 s (a long run's are 10 s), each named apart.
@test "names: the command's own samples before its exec are named from our code, never [unmapped]" {
	# until its exec the command's process is our fork, waiting on a pipe
	# (comm profiler): some milliseconds of exec and lazy binding, caught
	# at 4999 Hz in about half the runs; runs until 10 such samples came
	n=0
	for r in $(seq 40); do
		run --separate-stderr "$PROFILER" cpu -q -F 4999 -f folded -o "$TMP/pre$r.folded" -- \
			"$W/burn31" 0.1
		[ "$status" -eq 0 ]
		n=$((n + $(folded_sum "$TMP/pre$r.folded" '^profiler;')))
		[ "$n" -ge 10 ] && break
	done
	grep -h '^profiler;' "$TMP"/pre*.folded
	echo "runs=$r pre-exec samples=$n"
	[ "$n" -ge 10 ]
	! grep -h '^profiler;' "$TMP"/pre*.folded | grep -q 'unmapped\|frames lost\|unknown' || false
	# named from our own binary or its libraries
	grep -h '^profiler;' "$TMP"/pre*.folded | grep -q 'session_run\|execve\|_dl_\|do_lookup'
}

@test "names: processes of 4 ms under -a carry their function, over windows" {
	make_loop
	PROFILER_FOLD_MS=500 "$PROFILER" cpu -a -F $F -v --max-stacks 400000 \
		-o "$TMP/out.folded" 2>"$TMP/err" &
	PROF=$!
	wait_collecting "$TMP/err"
	sh "$TMP/loop.sh"
	kill -INT "$PROF"
	wait "$PROF"
	PROF=
	grep -v '^libbpf' "$TMP/err"
	check_short "$TMP/out.folded"
}

# A window names its exited processes from their records: it opens
# /proc/PID/maps only for processes the records do not know whole (older
# than the run).  It opened it for each process with an address no record
# mapped, there or not (most of churn's: 2,037 failed opens in 22 s).
@test "names: windows under churn open /proc/PID/maps for few of its processes" {
	local opened
	"$W/churn" 100 30 >/dev/null &
	CHURN=$!
	run --separate-stderr env PROFILER_FOLD_MS=500 "$PROFILER" cpu -a -F $F --stats -d 3 \
		-o "$TMP/out.folded"
	kill "$CHURN"
	wait "$CHURN" || true
	echo "$stderr" | grep -v '^libbpf'
	[ "$status" -eq 0 ]
	opened=$(sed -n 's|.*/proc/PID/maps opened \([0-9]*\) times.*|\1|p' <<< "$stderr")
	echo "/proc/PID/maps opened $opened times in 3 s of 100 new processes a second"
	[ -n "$opened" ]
	[ "$opened" -lt 75 ]
}

# Profile node running tests/workloads/js/hot.js for 1.5 s of its CPU time.
node_hot() {	# "NODE OPTIONS" PROFILER-OPTIONS...
	command -v node >/dev/null || { [ "${CI:-}" = true ] && false; skip "nodejs is not installed"; }
	local opts=$1 js prof
	shift
	js=$(realpath tests/workloads/js/hot.js)
	prof=$(realpath "$PROFILER")
	# node writes isolate-*-v8.log files where it runs: in $TMP
	cd "$TMP"
	# shellcheck disable=SC2086	# opts: words
	run --separate-stderr "$prof" cpu -F $F "$@" -- node $opts "$js" 1500
	cd - >/dev/null
	echo "$stderr" | grep -v '^libbpf'
	[ "$status" -eq 0 ]
}

@test "names: node's JIT frames are named from its perf map (--perf-basic-prof)" {
	node_hot --perf-basic-prof -f json -o "$TMP/out.json"
	NODEPID=$(python3 -c 'import json, sys; print(next(s["pid"] for s in json.load(open(sys.argv[1]))["stacks"] if s["comm"] == "node"))' "$TMP/out.json")
	read -r named total < <(python3 tests/integration/jit_share.py "$TMP/out.json" node)
	echo "JIT samples named: $named of $total"
	# 1.5 CPU s mostly in hotInner: hundreds of JIT samples; >= 90%, less 3 sigma
	[ "$total" -gt 200 ]
	awk -v a="$named" -v n="$total" 'BEGIN { exit !(a >= 0.90 * n - 3 * sqrt(n * 0.9 * 0.1)) }'
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(not any("hotInner" in f["name"] and f["kind"] == "jit" for f in d["frames"]))' "$TMP/out.json"
}

@test "names: node's JIT code without a perf map is one frame, and the report names the option" {
	node_hot "" -o "$TMP/out.json" -o "$TMP/out.txt"
	# every JIT leaf has the one name, none an address of anonymous memory;
	# and the stacks are whole: frame pointers through the JIT code, then
	# libc's rows up to _start (the walk alone stopped at
	# __libc_start_call_main), >= 95% less 3 sigma of node's samples
	python3 - "$TMP/out.json" <<'PY'
import json, math, sys
d = json.load(open(sys.argv[1]))
fr = d["frames"]
roots = ("_start", "start_thread", "clone3", "__clone3", "clone", "__clone")
jit = addr = whole = total = 0
for st in d["stacks"]:
    if st["comm"] != "node":
        continue
    user = [fr[i] for i in st["frames"] if fr[i]["kind"] != "kernel"]
    if not user:
        continue
    v = st["values"][0]
    if user[-1]["name"] == "[JIT code: no perf map]":
        jit += v
    elif user[-1]["name"].startswith("[anon]"):
        addr += v
    total += v
    whole += v if user[0]["name"] in roots else 0
print("JIT leaf samples:", jit, "left as addresses:", addr)
print("node samples rooted at a start:", whole, "of", total)
named = jit > 100 and addr == 0
rooted = total > 100 and whole >= 0.95 * total - 3 * math.sqrt(total * 0.95 * 0.05)
sys.exit(not (named and rooted))
PY
	grep -A3 'quality-unnamed' "$TMP/out.txt"
	grep -A3 'quality-unnamed' "$TMP/out.txt" | grep -q 'node --perf-basic-prof'
	# the report said it: stderr does not say it again
	! echo "$stderr" | grep -q 'unnamed leaf frame' || false
}

@test "names: a folded file of JIT code without a perf map comes with the option on stderr" {
	node_hot "" -o "$TMP/out.folded"
	# most of the CPU time is in the JIT: the share is printed and large
	line=$(echo "$stderr" | grep '^profiler cpu: .*% of the samples has an unnamed leaf frame')
	echo "$line" | grep -q 'node --perf-basic-prof'
	awk -v l="$line" 'BEGIN { split(l, w, " "); exit !(w[3] + 0 >= 50) }'
	# once, not per window or per process
	[ "$(echo "$stderr" | grep -c 'unnamed leaf frame')" -eq 1 ]
}

@test "names: a reused pid is named with each process's own files" {
	# reuse_a and reuse_b are laid out alike; without randomization both
	# put their work function at the same address, under the same pid
	run --separate-stderr "$PROFILER" cpu -F $F -v -o "$TMP/out.folded" -- \
		"$W/pidreuse" 200 "$W/reuse_a" "$W/reuse_b"
	echo "$stderr" | grep -v '^libbpf'
	[ "$status" -eq 0 ]
	cat "$TMP/out.folded"
	echo "$stderr" | grep -Eq 'pids reused'
	a=$(folded_sum "$TMP/out.folded" '^reuse_a;')
	b=$(folded_sum "$TMP/out.folded" '^reuse_b;')
	# 200 ms each at 999 Hz: some 200 samples; far more than 50 either way
	[ "$a" -gt 50 ]
	[ "$b" -gt 50 ]
	! grep -E '^reuse_a;.*reuse_b_work' "$TMP/out.folded" || false
	! grep -E '^reuse_b;.*reuse_a_work' "$TMP/out.folded" || false
	# and each is named with its own, through its lifetime's mappings (the
	# sample's start time against the fork record's): 200 ms of CPU in
	# each work function, e = 200 samples expected; >= 90%, less 3 sigma
	for w in a b; do
		named=$(folded_sum "$TMP/out.folded" "^reuse_$w;.*;main;reuse_${w}_work")
		echo "reuse_$w: $named named reuse_${w}_work"
		awk -v a="$named" -v e=$((200 * F / 1000)) \
			'BEGIN { exit !(a >= 0.9 * e - 3 * sqrt(e * 0.9 * 0.1)) }'
	done
}
