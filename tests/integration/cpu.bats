#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# profiler cpu against workloads with known answers, loading real BPF programs.

bats_require_minimum_version 1.5.0
load helpers

setup() { setup_common; }
teardown() { teardown_common; }

@test "cpu: 3:1 workload comes out 75/25 within 5 points" {
	# 999 Hz: enough samples that 5 points is several standard deviations
	# even when a loaded machine gives the workload half a CPU
	run "$PROFILER" cpu -F 999 -o "$TMP/out.folded" -- "$W/burn31" 4
	[ "$status" -eq 0 ]
	three=$(folded_sum "$TMP/out.folded" ';spin_three$')
	one=$(folded_sum "$TMP/out.folded" ';spin_one$')
	share=$(pct "$three" $((three + one)))
	echo "spin_three=$three spin_one=$one share=$share%"
	[ $((three + one)) -gt 800 ]
	within "$share" 75 5
}

@test "cpu: every frame of the workload is named, in caller order" {
	run "$PROFILER" cpu -o "$TMP/out.folded" -- "$W/burn31" 2
	[ "$status" -eq 0 ]
	cat "$TMP/out.folded"
	grep -q '^burn31;.*;main;spin_three [0-9]*$' "$TMP/out.folded"
	grep -q '^burn31;.*;main;spin_one [0-9]*$' "$TMP/out.folded"
	# nothing of the workload's own binary is left as module+offset or a bare address
	! grep -E 'burn31\+0x|;0x[0-9a-f]+|\[unknown\]' "$TMP/out.folded"
}

@test "cpu: sample count within 10% of HZ x CPU seconds used" {
	"$PROFILER" cpu -F 99 -o "$TMP/out.folded" -- "$W/burn31" 4 2>"$TMP/err"
	cpu=$(sed -n 's/^cpu_seconds=//p' "$TMP/err")
	got=$(folded_sum "$TMP/out.folded" '^burn31;')
	want=$(awk -v c="$cpu" 'BEGIN { printf "%d", c * 99 }')
	echo "cpu_seconds=$cpu samples=$got expected=$want"
	within "$got" "$want" "$(awk -v w="$want" 'BEGIN { print w * 0.10 }')"
}

@test "cpu: system-wide mode finds the workload under its comm" {
	"$W/burn31" 6 2>/dev/null &
	BGPID=$!
	run "$PROFILER" cpu -a -d 2 -o "$TMP/out.folded"
	[ "$status" -eq 0 ]
	n=$(folded_sum "$TMP/out.folded" '^burn31;.*;main;spin_(three|one)$')
	echo "burn31 samples: $n"
	[ "$n" -gt 100 ]
	# other processes may be there too, but no idle task unless asked
	! grep -q '^swapper' "$TMP/out.folded"
}

@test "cpu: -p PID profiles all threads; the target exiting ends the run with its data" {
	"$W/threads" 2 > "$TMP/tids" &
	BGPID=$!
	sleep 0.3
	run "$PROFILER" cpu -p "$BGPID" -d 30 -o "$TMP/out.folded"
	[ "$status" -eq 0 ]
	[[ "$output" == *"targets exited"* ]]
	grep -q '^worker-a;.*work_in_a ' "$TMP/out.folded"
	grep -q '^worker-b;.*work_in_b ' "$TMP/out.folded"
	# the process exited before symbolization, and is still named
	! grep -E 'exited\]|threads\+0x' "$TMP/out.folded"
}

@test "cpu: -t TID profiles that thread only" {
	"$W/threads" 3 > "$TMP/tids" &
	BGPID=$!
	for i in $(seq 50); do [ -s "$TMP/tids" ] && break; sleep 0.05; done
	tid_a=$(sed -n 's/.*tid_a=\([0-9]*\).*/\1/p' "$TMP/tids")
	run "$PROFILER" cpu -t "$tid_a" -d 2 -o "$TMP/out.folded"
	[ "$status" -eq 0 ]
	# a loaded machine gives the thread less than a CPU: any share will do
	[ "$(folded_sum "$TMP/out.folded" 'work_in_a')" -gt 10 ]
	[ "$(folded_sum "$TMP/out.folded" 'work_in_b')" -eq 0 ]
}

@test "cpu: -- CMD follows children and ends with the command" {
	run "$PROFILER" cpu -o "$TMP/out.folded" -- sh -c "$W/burn31 1; $W/burn31 1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"command exited"* ]]
	[ "$(folded_sum "$TMP/out.folded" '^burn31;.*spin_three$')" -gt 50 ]
}

@test "cpu: kernel frames are named and marked; -K and -U choose the stacks" {
	run "$PROFILER" cpu -o "$TMP/all.folded" -- "$W/syscalls" 1
	[ "$status" -eq 0 ]
	grep -q '^syscalls;.*;read;entry_SYSCALL_64[a-z_]*_\[k\];.*_\[k\] [0-9]*$' "$TMP/all.folded"
	! grep -q '\[kernel\]+0x' "$TMP/all.folded"
	"$PROFILER" cpu -K -q -o "$TMP/k.folded" -- "$W/syscalls" 1
	# kernel-only: every frame after the comm is a kernel frame
	! awk '{ $NF = ""; n = split($0, f, ";"); for (i = 2; i <= n; i++) { sub(/ $/, "", f[i]); if (f[i] !~ /_\[k\]$/) exit 0 } } END { exit 1 }' "$TMP/k.folded"
	"$PROFILER" cpu -U -q -o "$TMP/u.folded" -- "$W/syscalls" 1
	! grep -q '_\[k\]' "$TMP/u.folded"
	grep -q ";main;read_zeroes;read " "$TMP/u.folded"
}

@test "cpu: report shows totals, top functions and hottest stacks" {
	run "$PROFILER" cpu -f report -- "$W/burn31" 2
	[ "$status" -eq 0 ]
	[[ "$output" == *"Total:"*"samples"* ]]
	[[ "$output" == *"Lost:       none"* ]]
	[[ "$output" == *"Top functions by self samples"* ]]
	[[ "$output" == *"spin_three  [burn31]"* ]]
	[[ "$output" == *"Hottest stacks"* ]]
}

@test "cpu: -o picks the format from the name; several outputs at once" {
	run "$PROFILER" cpu -o "$TMP/a.folded" -o "$TMP/a.txt" -- "$W/burn31" 1
	[ "$status" -eq 0 ]
	grep -q '^burn31;' "$TMP/a.folded"
	grep -q '^Top functions by self' "$TMP/a.txt"
	# folded totals agree with the report's total
	total=$(folded_total "$TMP/a.folded")
	grep -q "^Total: *$total samples" "$TMP/a.txt"
}

@test "cpu: Ctrl-C still writes what was collected" {
	"$W/burn31" 10 2>/dev/null &
	BGPID=$!
	"$PROFILER" cpu -p "$BGPID" -o "$TMP/out.folded" 2>"$TMP/err" &
	prof=$!
	sleep 2
	kill -INT "$prof"
	wait "$prof"
	grep -q interrupted "$TMP/err"
	[ "$(folded_sum "$TMP/out.folded" 'spin_three')" -gt 50 ]
}

@test "cpu: a nonexistent PID fails at once, one line, nothing on stdout" {
	run --separate-stderr "$PROFILER" cpu -p 4000000 -d 5
	[ "$status" -ne 0 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"no process with PID 4000000"* ]]
}

@test "cpu: bad options name the bad value and fail with nothing on stdout" {
	for args in "-F abc" "-F 0" "-C 99999" "-C x" "-U -K" "--bogus" "-f svgx" "-d -1" \
		    "-p 12,x" "-p 1 -a" "--value nope" "--top 0" "extra-arg"; do
		run --separate-stderr "$PROFILER" cpu $args
		echo "args=$args status=$status stderr=$stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ "${#stderr_lines[@]}" -eq 1 ]
	done
	run --separate-stderr "$PROFILER" cpu -F abc
	[[ "$stderr" == *"'abc'"* ]]
	run --separate-stderr "$PROFILER" nosuchcommand
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"unknown command 'nosuchcommand'"* ]]
}

@test "cpu: a command that cannot run fails cleanly" {
	run --separate-stderr "$PROFILER" cpu -- /nonexistent/prog
	[ "$status" -ne 0 ]
	[ -z "$output" ]
	[[ "$stderr" == *"cannot run '/nonexistent/prog'"* ]]
}

@test "cpu: an unwritable -o fails before profiling" {
	run --separate-stderr "$PROFILER" cpu -d 30 -o /nonexistent/dir/x.folded
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"cannot write /nonexistent/dir/x.folded"* ]]
}

@test "cpu: without root it says what to do" {
	command -v setpriv >/dev/null || skip "setpriv missing"
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$PROFILER" cpu -d 1
	[ "$status" -ne 0 ]
	[ -z "$output" ]
	[[ "$stderr" == *"needs root, or CAP_BPF and CAP_PERFMON"* ]]
}

@test "cpu: the AddressSanitizer build profiles cleanly" {
	[ -x "$BUILD/asan/profiler" ] || skip "no ASan build"
	ASAN_OPTIONS=detect_leaks=1 run "$BUILD/asan/profiler" cpu -f report -o "$TMP/x.folded" -o - -- "$W/burn31" 1
	[ "$status" -eq 0 ]
	[[ "$output" == *"spin_three"* ]]
	[[ "$output" != *"AddressSanitizer"* ]]
	[[ "$output" != *"runtime error"* ]]
}

@test "cpu: --stats reports BPF run time, map fill and our own cost" {
	run "$PROFILER" cpu --stats -o "$TMP/x.folded" -- "$W/burn31" 1
	[ "$status" -eq 0 ]
	[[ "$output" == *"BPF cpu_sample"*"runs"*"us each"* ]]
	[[ "$output" == *"map counts"*"entries"* ]]
	[[ "$output" == *"peak RSS"* ]]
}

@test "cpu: the caller of a frameless leaf is recovered (75/25 by caller), and lost without the fix" {
	run "$PROFILER" cpu -F 999 -o "$TMP/fix.folded" -- "$W/leafcall" 3
	[ "$status" -eq 0 ]
	three=$(folded_sum "$TMP/fix.folded" ';main;caller_three;hot_leaf$')
	one=$(folded_sum "$TMP/fix.folded" ';main;caller_one;hot_leaf$')
	skipped=$(folded_sum "$TMP/fix.folded" ';main;hot_leaf$')
	echo "caller_three=$three caller_one=$one skipped=$skipped"
	[ $((three + one)) -gt 800 ]
	within "$(pct "$three" $((three + one)))" 75 5
	# nearly every sample has its caller back
	[ "$skipped" -lt $(((three + one) / 50)) ]
	run "$PROFILER" cpu -F 999 --no-leaf-fix -o "$TMP/nofix.folded" -- "$W/leafcall" 1
	[ "$status" -eq 0 ]
	[ "$(folded_sum "$TMP/nofix.folded" ';main;hot_leaf$')" -gt 100 ]
	[ "$(folded_sum "$TMP/nofix.folded" 'caller_')" -eq 0 ]
}

@test "cpu: the caller of a libc syscall wrapper is recovered" {
	run "$PROFILER" cpu -U -o "$TMP/u.folded" -- "$W/syscalls" 1
	[ "$status" -eq 0 ]
	n=$(folded_sum "$TMP/u.folded" ';main;read_zeroes;read$')
	all=$(folded_sum "$TMP/u.folded" ';read$')
	echo "with caller: $n of $all"
	[ "$n" -gt 0 ]
	[ "$n" -ge $((all * 9 / 10)) ]
}
