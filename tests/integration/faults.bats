#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Faults during a run: a target killed, processes gone before /proc is
# read, full maps and ring buffers, a binary replaced.  Each run must
# finish, write its output and say what was lost (stderr and the report's
# "Lost:" line).

bats_require_minimum_version 1.5.0
load helpers

setup() { setup_common; }
teardown() {
	[ -n "${PROF:-}" ] && kill -CONT "$PROF" 2>/dev/null && kill "$PROF" 2>/dev/null
	PROF=
	[ -z "${REPPID:-}" ] || kill "$REPPID" 2>/dev/null || true
	teardown_common
}

# Start the profiler in the background with ARGS, stderr to $TMP/err; PROF
# is its PID once it collects.
start_profiler() {	# ARGS...
	"$PROFILER" "$@" 2>"$TMP/err" &
	PROF=$!
	for i in $(seq 600); do grep -q collecting "$TMP/err" && return 0; sleep 0.1; done
	cat "$TMP/err"
	return 1
}

# Stop it with Ctrl-C; its exit status in $status.
stop_profiler() {
	kill -INT "$PROF"
	status=0
	wait "$PROF" || status=$?
	PROF=
	cat "$TMP/err"
}

@test "faults: a target killed with SIGKILL mid-run: the run ends with its data, named" {
	"$W/burn31" 60 2>/dev/null &
	BGPID=$!
	start_profiler cpu -v -F 999 -p "$BGPID" -d 600 -o "$TMP/out.folded" -o "$TMP/out.txt"
	wait_cpu "$BGPID" 0.3
	kill -KILL "$BGPID"
	wait "$BGPID" 2>/dev/null || true
	BGPID=
	# the run notices by itself: no Ctrl-C
	status=0
	wait "$PROF" || status=$?
	PROF=
	cat "$TMP/err"
	[ "$status" -eq 0 ]
	grep -q 'targets exited' "$TMP/err"
	[ "$(folded_sum "$TMP/out.folded" '^burn31;.*;main;spin_(three|one)$')" -gt 0 ]
	! grep -E 'exited\]|burn31\+0x' "$TMP/out.folded" || false
	grep -q '^Lost: ' "$TMP/out.txt"
}

@test "faults: processes gone before the profiler reads them, mapping records lost: counted and said" {
	# the profiler stopped (as if starved of CPU) while 1000 short processes
	# run and exit on one CPU: their mapping records (about 500 bytes each)
	# overflow that CPU's 256 KiB ring, and when it goes on their /proc
	# entries are gone
	cp "$W/burn31" "$TMP/stormburn"
	# -d 600: the duration must not end the run while the storm goes on
	start_profiler cpu -v -a -F 999 -d 600 -o "$TMP/out.folded" -o "$TMP/out.txt"
	kill -STOP "$PROF"
	taskset -c 0 sh -c "for i in \$(seq 1000); do '$TMP/stormburn' 0.003 2>/dev/null; done"
	kill -CONT "$PROF"
	# the kernel writes its count of lost records before the next record
	# that fits: programs on that CPU until the profiler (busy with the
	# backlog of new processes) has drained the ring
	for i in $(seq 20); do sleep 0.25; taskset -c 0 true; done
	stop_profiler
	[ "$status" -eq 0 ]
	[ "$(folded_sum "$TMP/out.folded" '^stormburn;')" -gt 100 ]
	# the ring's losses are said, on stderr and in the report
	grep -Eq 'warning: [0-9,]+ mapping records lost \(ring buffer full\)' "$TMP/err"
	grep -q 'mapping records lost (ring buffer full)' "$TMP/out.txt"
	# every process whose frames could not be named is counted as lost
	gone=$(grep -o '^stormburn;\[pid [0-9]* exited\]' "$TMP/out.folded" | sort -u | wc -l)
	said=$(sed -n 's/.*warning: \([0-9,]*\) processes exited before their mappings were read.*/\1/p' "$TMP/err" | tr -d ,)
	echo "processes with unnamed frames: $gone; said: ${said:-none}"
	[ "$gone" -gt 0 ]
	[ "${said:-0}" -ge "$gone" ]
	grep -q 'processes exited before their mappings were read' "$TMP/out.txt"
}

@test "faults: a full stacks map: the run completes, keeps every sample and says how many stacks were lost" {
	# nearly every sample a stack of its own: far more than the stacks
	# map's 2 x 1024 in 4 CPU seconds.  The counts are drained as they
	# fill, so no sample is lost, only stacks: each such sample is kept
	# under [lost user stack]
	run --separate-stderr "$PROFILER" cpu -F 999 --max-stacks 1024 -o "$TMP/out.folded" \
		-o "$TMP/out.txt" -- "$W/manystacks" 4 cpu
	echo "$stderr"
	[ "$status" -eq 0 ]
	lost=$(echo "$stderr" | sed -n 's/.*warning: \([0-9,]*\) stacks did not fit the stacks map.*/\1/p' | tr -d ,)
	kept=$(folded_sum "$TMP/out.folded" '^manystacks;')
	marked=$(folded_sum "$TMP/out.folded" '^manystacks;.*\[lost user stack\]')
	echo "kept $kept, stacks lost $lost, samples marked $marked"
	[ "${lost:-0}" -gt 0 ]
	[ "$marked" -gt 0 ]
	[[ "$stderr" != *"did not fit the aggregation map"* ]]
	count_ok "$kept" $((4 * 999))
	grep -q "^Lost: .*stacks did not fit the stacks map: raise --max-stacks" "$TMP/out.txt"
}

@test "faults: a binary renamed over and one deleted during the run are still named" {
	cp "$W/burn31" "$TMP/repburn"
	cp "$W/burn31" "$TMP/delburn"
	"$TMP/repburn" 60 2>/dev/null &
	REPPID=$!
	"$TMP/delburn" 60 2>/dev/null &
	BGPID=$!
	for i in $(seq 300); do
		[ "$(cat /proc/$BGPID/comm /proc/$REPPID/comm 2>/dev/null)" = "$(printf 'delburn\nrepburn')" ] && break
		sleep 0.1
	done
	start_profiler cpu -v -F 999 -p "$REPPID,$BGPID" -d 600 -o "$TMP/out.folded" -o "$TMP/out.txt"
	wait_cpu "$REPPID" 0.2
	# an upgrade mid-run: another binary renamed over the running one
	cp "$W/threads" "$TMP/repburn.new"
	mv "$TMP/repburn.new" "$TMP/repburn"
	rm "$TMP/delburn"
	wait_cpu "$REPPID" 0.2
	wait_cpu "$BGPID" 0.2
	stop_profiler
	[ "$status" -eq 0 ]
	grep -q '^repburn;.*;main;spin_three ' "$TMP/out.folded"
	grep -q '^delburn;.*;main;spin_three ' "$TMP/out.folded"
	! grep -E '^(repburn|delburn);.*(\+0x[0-9a-f]+|exited\]|\[unknown\])' "$TMP/out.folded" || false
	grep -q '^Lost: *none' "$TMP/out.txt"
}
