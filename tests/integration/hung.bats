#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Hung processes: threads blocked since before the profile began (a task
# iterator finds them) are counted, their locks' owners named, a deadlock
# found.  Real BPF, real deadlocks.
#
# Bounds: a thread blocked for the whole run is counted from the moment the
# iterator saw it, while loading, to the moment collection stopped.  With
# -v the profiler says how long before collecting began it looked (L) and
# how long stopping took (S); the profile's duration D runs from collecting
# to the end of stopping.  So each whole-run wait W lies in [D - S, D + L]:
# nothing statistical, only the two ends' skew, measured.

bats_require_minimum_version 1.5.0
load helpers

setup() { setup_common; }
teardown() { teardown_common; }

# Start a workload that blocks forever; return once N of its threads sleep
# in a wait channel matching REGEX (polled, never a blind sleep).
start_stuck() {	# WORKLOAD N REGEX
	"$W/$1" >"$TMP/pid" &
	BGPID=$!
	for _ in $(seq 200); do
		local n=0 t st wc
		for t in /proc/$BGPID/task/*; do
			st=$(sed 's/.*) //' "$t/stat" 2>/dev/null | cut -d' ' -f1)
			wc=$(cat "$t/wchan" 2>/dev/null)
			[[ "$st" == S && "$wc" =~ $3 ]] && n=$((n + 1))
		done
		[ "$n" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "$1 never got stuck" >&2
	return 1
}

# D, L and S in nanoseconds, from the report file and the -v messages
read_bounds() {	# REPORT STDERR
	D=$(awk '/^Duration:/ { printf "%.0f\n", $2 * 1e9 }' "$1")
	L=$(awk '/seen .* ms before collecting began/ { for (i = 1; i <= NF; i++) if ($i == "seen") printf "%.0f\n", $(i + 1) * 1e6 }' "$2")
	S=$(awk '/stopped in/ { for (i = 1; i <= NF; i++) if ($i == "in") printf "%.0f\n", $(i + 1) * 1e6 }' "$2")
	echo "D=$D L=$L S=$S"
	[ -n "$D" ] && [ -n "$L" ] && [ -n "$S" ]
}

# A whole-run wait: within [D - S, D + L] (rounding of D: 10 ms)
whole_run() {	# NAME W
	echo "$1: $2 ns, bounds [$((D - S - 10000000)), $((D + L + 10000000))]"
	[ "$2" -ge $((D - S - 10000000)) ] && [ "$2" -le $((D + L + 10000000)) ]
}

@test "hung: lock names both locks of a deadlock, their owners, the cycle, each waited the whole run" {
	start_stuck deadlock 3 futex
	# the AddressSanitizer build: the iterator's records, the wait graph
	run --separate-stderr "$BUILD/asan/profiler" lock -v -p "$BGPID" -d 2 -o "$TMP/out.txt" -o "$TMP/out.folded"
	[ "$status" -eq 0 ]
	echo "$stderr" | grep -v '^libbpf' >"$TMP/err"
	cat "$TMP/out.txt" "$TMP/out.folded"
	read_bounds "$TMP/out.txt" "$TMP/err"
	# thread one waits for lock_b, which two holds, from take_second; and the reverse
	ab=$(folded_sum "$TMP/out.folded" '^one;lock:lock_b \(futex mutex\);owner:two \[[0-9]+\];.*;thread_one;take_second;pthread_mutex_lock;')
	ba=$(folded_sum "$TMP/out.folded" '^two;lock:lock_a \(futex mutex\);owner:one \[[0-9]+\];.*;thread_two;take_second;pthread_mutex_lock;')
	whole_run "one waits for lock_b" "$ab"
	whole_run "two waits for lock_a" "$ba"
	# the cycle, in the report and on stderr, from whichever thread has the lower id
	re='deadlock: thread (one \[[0-9]+\] waits for lock_b held by two \[[0-9]+\], which waits for lock_a held by one|two \[[0-9]+\] waits for lock_a held by one \[[0-9]+\], which waits for lock_b held by two) \[[0-9]+\]'
	grep -Eq "$re" "$TMP/out.txt"
	grep -Eq "^profiler lock: $re" "$TMP/err"
	# the start's threads: all three, blocked since before the run, still at the end
	[ "$(grep -c 'futex_.*still blocked (whole run)' "$TMP/out.txt")" -eq 3 ]
}

@test "hung: offcpu shows all three threads of a deadlock for the whole run, with their stacks" {
	start_stuck deadlock 3 futex
	run --separate-stderr "$PROFILER" offcpu -v -p "$BGPID" -d 2 -o "$TMP/out.txt" -o "$TMP/out.folded"
	[ "$status" -eq 0 ]
	echo "$stderr" | grep -v '^libbpf' >"$TMP/err"
	cat "$TMP/out.folded"
	read_bounds "$TMP/out.txt" "$TMP/err"
	# user stacks from the saved registers, through libc by .eh_frame; kernel stacks in futex
	one=$(folded_sum "$TMP/out.folded" '^one;.*;thread_one;take_second;pthread_mutex_lock;.*futex.*_\[k\]')
	two=$(folded_sum "$TMP/out.folded" '^two;.*;thread_two;take_second;pthread_mutex_lock;.*futex.*_\[k\]')
	main=$(folded_sum "$TMP/out.folded" '^deadlock;.*;main;.*pthread_.*join.*;.*futex.*_\[k\]')
	whole_run one "$one"
	whole_run two "$two"
	whole_run main "$main"
	# nothing else: the three are all there is
	total=$(folded_total "$TMP/out.folded")
	[ "$total" -eq $((one + two + main)) ]
}

@test "hung: a thread blocked in read on a pipe for the whole run is in offcpu and wall" {
	start_stuck pipewait 1 pipe
	for sub in offcpu wall; do
		run --separate-stderr "$PROFILER" "$sub" -v -p "$BGPID" -d 1 -o "$TMP/$sub.txt" -o "$TMP/$sub.folded"
		[ "$status" -eq 0 ]
		echo "$stderr" | grep -v '^libbpf' >"$TMP/err"
		cat "$TMP/$sub.folded"
		read_bounds "$TMP/$sub.txt" "$TMP/err"
		w=$(folded_sum "$TMP/$sub.folded" '^pipewait;.*;main;wait_for_input;read;.*pipe_read_\[k\]')
		whole_run "$sub: read" "$w"
		grep -Eq 'read\([0-9]+\) .* still blocked \(whole run\)' "$TMP/$sub.txt"
	done
}

@test "hung: without the task iterator (/proc) the blocked threads still count, without stacks" {
	start_stuck deadlock 3 futex
	PROFILER_BLOCKED_PROC=1 run --separate-stderr "$PROFILER" offcpu -v -p "$BGPID" -d 1 -o "$TMP/out.txt"
	[ "$status" -eq 0 ]
	echo "$stderr" | grep -v '^libbpf' >"$TMP/err"
	cat "$TMP/out.txt"
	grep -q 'from /proc (PROFILER_BLOCKED_PROC is set)' "$TMP/err"
	grep -q 'Threads blocked when the profile began (from /proc: no stacks): 3' "$TMP/out.txt"
	read_bounds "$TMP/out.txt" "$TMP/err"
	for comm in deadlock one two; do
		w=$(awk -v c="$comm" '/^Top processes by offcpu/ { on = 1; next } on && NF == 0 { exit }
			on && $NF == c { v = $1; u = $2; printf "%.0f\n", v * (u == "s" ? 1e9 : u == "ms" ? 1e6 : 1) }' "$TMP/out.txt")
		whole_run "$comm" "$w"
	done
}

@test "hung: no-samples hints name what each subcommand looked for" {
	start_stuck pipewait 1 pipe
	run --separate-stderr "$PROFILER" lock -p "$BGPID" -d 0.3
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"no samples: no lock was waited for"* ]]
	[[ "$stderr" != *"on a CPU"* ]]
}
