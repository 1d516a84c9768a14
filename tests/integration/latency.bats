#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# profiler latency against tests/workloads/latency.c: functions with known
# calls and durations, recursion, threads, longjmp, thread exit, syscalls.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	setup_common
}

teardown() {
	teardown_common
}

# A column of the report's "Functions" row of LABEL: calls (1) or never returned (last).
calls_of() {	# FILE LABEL
	awk -v l="$2" 'index($0, "  " l "  ") == 1 {
		rest = substr($0, length(l) + 3); split(rest, a, " "); print a[1]; found = 1; exit }
		END { if (!found) print "none" }' "$1"
}
never_returned() {	# FILE LABEL
	awk -v l="$2" 'index($0, "  " l "  ") == 1 { print $NF; found = 1; exit }
		END { if (!found) print "none" }' "$1"
}

@test "latency: a function that sleeps 30 ms, called 20 times: 20 calls, each 30 ms or a little more" {
	run "$PROFILER" latency sleeper fast --value latency -o "$TMP/out.txt" -o "$TMP/out.folded" \
		-- "$W/latency" sleep 20 30
	[ "$status" -eq 0 ]
	cat "$TMP/out.txt"
	[ "$(calls_of "$TMP/out.txt" "sleeper (latency)")" = 20 ]
	[ "$(calls_of "$TMP/out.txt" "fast (latency)")" = 0 ]
	grep -q '^sleeper (latency): 20, average' "$TMP/out.txt"
	grep -q 'p50 .* p95 .* p99 .*(estimates' "$TMP/out.txt"
	# --value latency: nanoseconds from entry to return, under the caller main
	ns=$(folded_sum "$TMP/out.folded" '^latency;main;sleeper$')
	echo "total ns: $ns"
	# nanosleep never returns early; a loaded machine may wake it late, not 30 ms late each time
	[ "$ns" -ge $((20 * 30000000)) ]
	[ "$ns" -le $((20 * 60000000)) ]
}

@test "latency: a fast function called 200,000 times: exactly 200,000 calls, all from main" {
	run "$PROFILER" latency fast -o "$TMP/out.txt" -o "$TMP/out.folded" -- "$W/latency" fast 200000
	[ "$status" -eq 0 ]
	[ "$(calls_of "$TMP/out.txt" "fast (latency)")" = 200000 ]
	[ "$(folded_total "$TMP/out.folded")" -eq 200000 ]
	[ "$(folded_sum "$TMP/out.folded" '^latency;main;fast$')" -eq 200000 ]
	grep -q '^Lost: *none' "$TMP/out.txt"
	# the same through perf-event uprobes, as kernels before 6.10 get them
	PROFILER_TEST_NO_UPROBE_MULTI=1 run "$PROFILER" latency fast -o "$TMP/out.txt" \
		-o "$TMP/out.folded" -- "$W/latency" fast 200000
	[ "$status" -eq 0 ]
	[ "$(calls_of "$TMP/out.txt" "fast (latency)")" = 200000 ]
	[ "$(folded_sum "$TMP/out.folded" '^latency;main;fast$')" -eq 200000 ]
}

@test "latency: recursion pairs each return with its own entry: exact calls per caller" {
	run "$PROFILER" latency recurse fast -o "$TMP/out.txt" -o "$TMP/out.folded" -- "$W/latency" recurse 100 10
	[ "$status" -eq 0 ]
	cat "$TMP/out.folded"
	[ "$(calls_of "$TMP/out.txt" "recurse (latency)")" = 1100 ]
	[ "$(calls_of "$TMP/out.txt" "fast (latency)")" = 100 ]
	[ "$(folded_sum "$TMP/out.folded" '^latency;main;recurse$')" -eq 100 ]
	[ "$(folded_sum "$TMP/out.folded" '^latency;recurse;recurse$')" -eq 1000 ]
	[ "$(folded_sum "$TMP/out.folded" '^latency;recurse;fast$')" -eq 100 ]
	[ "$(never_returned "$TMP/out.txt" "recurse (latency)")" = 0 ]
	# 10 deep is within the bound: nothing counted as too deep
	! grep -q 'deeper than 32' "$TMP/out.txt" || false
}

@test "latency: recursion past the depth bound is counted, and what is timed stays paired" {
	run "$PROFILER" latency recurse -o "$TMP/out.txt" -- "$W/latency" recurse 10 40
	[ "$status" -eq 0 ]
	# 41 nested calls each time: 32 timed, 9 counted as too deep
	[ "$(calls_of "$TMP/out.txt" "recurse (latency)")" = 320 ]
	grep -q '90 calls nested deeper than 32' "$TMP/out.txt"
	[ "$(never_returned "$TMP/out.txt" "recurse (latency)")" = 0 ]
}

@test "latency: 8 threads x 20,000 calls: exact per thread (--by tid)" {
	run "$PROFILER" latency fast --by tid -o "$TMP/out.txt" -o "$TMP/out.folded" -- "$W/latency" threads 8 20000
	[ "$status" -eq 0 ]
	cat "$TMP/out.folded"
	[ "$(calls_of "$TMP/out.txt" "fast (latency)")" = 160000 ]
	[ "$(wc -l < "$TMP/out.folded")" -eq 8 ]
	awk '{ if ($NF != 20000) exit 1 }' "$TMP/out.folded"
}

@test "latency: longjmp out of a function: it never returned, its caller did" {
	run "$PROFILER" latency jumper deep -o "$TMP/out.txt" -- "$W/latency" jump 50
	[ "$status" -eq 0 ]
	cat "$TMP/out.txt"
	[ "$(calls_of "$TMP/out.txt" "jumper (latency)")" = 50 ]
	[ "$(calls_of "$TMP/out.txt" "deep (latency)")" = 0 ]
	[ "$(never_returned "$TMP/out.txt" "deep (latency)")" = 50 ]
	[ "$(never_returned "$TMP/out.txt" "jumper (latency)")" = 0 ]
}

@test "latency: threads that exit inside a function: counted as never returned" {
	run "$PROFILER" latency ends_thread -o "$TMP/out.txt" -- "$W/latency" exit 7
	[ "$status" -eq 0 ]
	[ "$(calls_of "$TMP/out.txt" "ends_thread (latency)")" = 0 ]
	[ "$(never_returned "$TMP/out.txt" "ends_thread (latency)")" = 7 ]
}

@test "latency: syscall:getppid counts exactly the workload's 1,234 calls" {
	run "$PROFILER" latency syscall:getppid -o "$TMP/out.txt" -o "$TMP/out.folded" -- "$W/latency" sys 1234
	[ "$status" -eq 0 ]
	[ "$(calls_of "$TMP/out.txt" "syscall:getppid")" = 1234 ]
	[ "$(folded_total "$TMP/out.folded")" -eq 1234 ]
}

@test "latency: --slow lists exactly the slow calls, with their stacks" {
	run "$PROFILER" latency sleeper --slow 10ms -o "$TMP/out.txt" -- "$W/latency" sleep 3 20
	[ "$status" -eq 0 ]
	cat "$TMP/out.txt"
	grep -q '^Calls slower than 10.00 ms: 3$' "$TMP/out.txt"
	[ "$(grep -c ' sleeper .* ms .*main' "$TMP/out.txt")" -eq 3 ]
}

@test "latency: -i hands over each interval once: the intervals add up to every call" {
	run "$PROFILER" latency sleeper -i 0.3 -o "$TMP/out.txt" -- "$W/latency" sleep 12 100
	[ "$status" -eq 0 ]
	cat "$TMP/out.txt"
	n=$(grep -c '^Functions: ' "$TMP/out.txt")
	sum=$(awk '/^  sleeper \(latency\)  / { s += $3 } END { print s + 0 }' "$TMP/out.txt")
	echo "intervals=$n sum=$sum"
	[ "$n" -ge 2 ]
	[ "$sum" -eq 12 ]
}

@test "latency: -p PID with a library by name (libc:nanosleep), resolved through the target's mappings" {
	"$W/latency" sleep 100000 5 &
	BGPID=$!
	sleep 0.3
	run "$PROFILER" latency -p "$BGPID" libc:nanosleep sleeper -d 1 -o "$TMP/out.txt"
	[ "$status" -eq 0 ]
	cat "$TMP/out.txt"
	s=$(calls_of "$TMP/out.txt" "sleeper (latency)")
	n=$(calls_of "$TMP/out.txt" "nanosleep (libc.so.6)")
	echo "sleeper=$s nanosleep=$n"
	# each sleeper call is one nanosleep call: they differ only by a call in progress at an end
	[ "$s" -ge 10 ]
	[ "$n" -ge $((s - 1)) ]
	[ "$n" -le $((s + 1)) ]
}

@test "latency: kernel: works where the kernel has kprobes or fentry, and says what is missing where not" {
	# the dynamic loader reads the workload's libraries: vfs_read runs a few times
	run "$PROFILER" latency kernel:vfs_read -o "$TMP/out.txt" -- "$W/latency" sys 5
	echo "$output"
	if [ -e /sys/bus/event_source/devices/kprobe ]; then
		[ "$status" -eq 0 ]
		[ "$(calls_of "$TMP/out.txt" "kernel:vfs_read")" -ge 1 ]
	else
		[ "$status" -ne 0 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"needs kprobes or fentry/fexit"*"CONFIG_KPROBES is off"* ]]
	fi
}

@test "latency: bad specs get one line naming the cause" {
	run "$PROFILER" latency no_such_function -- "$W/latency" fast 1
	[ "$status" -ne 0 ]; [ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"no function named 'no_such_function'"* ]]
	# a library's function asked of the program that calls it: the file to name
	run "$PROFILER" latency nanosleep -- "$W/latency" fast 1
	[ "$status" -ne 0 ]; [ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"'nanosleep' is not in"*"which calls it from libc.so.6: give libc:nanosleep"* ]]
	run "$PROFILER" latency libnosuchlib:foo -- "$W/latency" fast 1
	[ "$status" -ne 0 ]; [ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"no library 'libnosuchlib'"* ]]
	run "$PROFILER" latency 'libc:*' -- "$W/latency" fast 1
	[ "$status" -ne 0 ]; [ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"more than the 100 one spec may time"*"--max-funcs"* ]]
	run "$PROFILER" latency syscall:no_such_call -- "$W/latency" fast 1
	[ "$status" -ne 0 ]; [ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"no system call named 'no_such_call'"* ]]
	run "$PROFILER" latency kernel:no_such_kernel_function_xyz -d 1
	[ "$status" -ne 0 ]; [ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"no kernel function 'no_such_kernel_function_xyz'"* ]]
	run "$PROFILER" latency -- "$W/latency" fast 1
	[ "$status" -ne 0 ]; [ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"needs a SPEC"* ]]
}

@test "latency: a glob times each matching function once, aliases counted once" {
	run "$PROFILER" latency 'rec*' 'fas?' -o "$TMP/out.txt" -- "$W/latency" recurse 10 2
	[ "$status" -eq 0 ]
	[ "$(calls_of "$TMP/out.txt" "recurse (latency)")" = 30 ]
	[ "$(calls_of "$TMP/out.txt" "fast (latency)")" = 10 ]
}

@test "latency: svg and pprof carry the same calls, and report reads the pprof back" {
	run "$PROFILER" latency recurse fast -o "$TMP/out.svg" -o "$TMP/out.pb.gz" -o "$TMP/out.folded" \
		-- "$W/latency" recurse 20 4
	[ "$status" -eq 0 ]
	grep -q '<svg' "$TMP/out.svg"
	grep -q 'recurse' "$TMP/out.svg"
	run "$PROFILER" report "$TMP/out.pb.gz" -f folded -o "$TMP/back.folded"
	[ "$status" -eq 0 ]
	[ "$(folded_total "$TMP/back.folded")" -eq 120 ]
	[ "$(folded_sum "$TMP/back.folded" ';recurse;recurse$')" -eq 80 ]
	run "$PROFILER" report "$TMP/out.pb.gz" -f folded --value latency -o "$TMP/ns.folded"
	[ "$status" -eq 0 ]
	[ "$(folded_total "$TMP/ns.folded")" -gt 0 ]
}

@test "latency: a forked child's callers after its exec are named from its own program" {
	# lifegen-parent and lifegen-child are one program at one address with
	# other names: child_timed's caller, in the child after its exec, lies
	# at an address its fork's copy of the parent also mapped (as go
	# build's compile and link); the old build wrote it [pid N reused].
	# -a: a uprobe per process does not follow a command's children
	"$PROFILER" latency -a -v "$W/lifegen-child:child_timed" --slow 50us -d 300 \
		-o "$TMP/out.txt" -o "$TMP/out.folded" 2>"$TMP/err" &
	prof=$!
	wait_collecting "$TMP/err"
	"$W/lifegen-parent" spawn "$W/lifegen-child" call 200
	kill -INT "$prof"
	wait "$prof"
	cat "$TMP/out.txt"
	[ "$(folded_sum "$TMP/out.folded" '^lifegen-child;child_call_loop;child_timed$')" -eq 200 ]
	# each call sleeps 100 us: all of them slow, each with its caller named
	[ "$(grep -c ' child_timed .* child_call_loop <- main' "$TMP/out.txt")" -eq 200 ]
	! grep -E '\[pid [0-9]+ reused\]|parent_' "$TMP/out.folded" "$TMP/out.txt" || false
}
