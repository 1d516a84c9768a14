#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# profiler lock against workloads with known contention, loading real BPF programs.

bats_require_minimum_version 1.5.0
load helpers

setup() { setup_common; }
teardown() { teardown_common; }

# The lock column of the report's group table, in order.
report_locks() {	# FILE
	awk '/^Top by lock/ { on = 1; getline; next } on && NF == 0 { exit } on { sub(/^.*  lock:/, "lock:"); print }' "$1"
}

@test "lock: the contended global mutex comes first, named, with its caller and a wait" {
	run "$PROFILER" lock --user -o "$TMP/out.txt" -o "$TMP/out.folded" -- "$W/lockfight" 20000
	[ "$status" -eq 0 ]
	cat "$TMP/out.txt"
	# among the named locks, big_lock leads; thread-exit waits are anonymous memory
	first=$(report_locks "$TMP/out.txt" | grep -v '\[anon\]' | head -1)
	[[ "$first" == "lock:big_lock (futex mutex)" ]]
	# it waited, in update_shared_counter
	wait=$(folded_sum "$TMP/out.folded" '^lockfight;lock:big_lock \(futex mutex\);.*;update_shared_counter;')
	echo "big_lock delay in update_shared_counter: $wait ns"
	[ "$wait" -gt 0 ]
	# every frame between them comes from .eh_frame, libc's too: the wrapper
	# that calls pthread_mutex_lock (which a frame-pointer walk skips) is
	# there (the command is stopped at its entry point until its tables exist)
	total=$(folded_sum "$TMP/out.folded" '^lockfight;lock:big_lock \(futex mutex\);')
	full=$(folded_sum "$TMP/out.folded" '^lockfight;lock:big_lock \(futex mutex\);clone3;start_thread;worker;update_shared_counter;take;pthread_mutex_lock;')
	echo "big_lock delay: $total ns, with the full stack: $full ns"
	[ "$full" -ge $((total * 98 / 100)) ]
	# the quiet lock, taken by one thread only, is absent or under 1% of big_lock
	quiet=$(folded_sum "$TMP/out.folded" 'quiet_lock')
	[ "$quiet" -le $((wait / 100)) ]
}

@test "lock: --value contentions counts waits; max_delay is maxed, never summed" {
	run "$PROFILER" lock --user --value contentions -o "$TMP/c.folded" \
		-o "$TMP/l.pb.gz" -- "$W/lockfight" 20000
	[ "$status" -eq 0 ]
	n=$(folded_sum "$TMP/c.folded" '^lockfight;lock:big_lock')
	echo "big_lock contentions: $n"
	[ "$n" -gt 0 ]
	# the saved profile keeps max_delay a maximum: the flame graph's root is
	# the longest wait of any stack, not their sum
	"$PROFILER" report "$TMP/l.pb.gz" --value max_delay -o "$TMP/m.folded"
	"$PROFILER" report "$TMP/l.pb.gz" --value max_delay -o "$TMP/m.svg" -o "$TMP/m.txt"
	longest=$(awk '$NF > m { m = $NF } END { printf "%.0f\n", m }' "$TMP/m.folded")
	sum=$(folded_total "$TMP/m.folded")
	echo "longest $longest, sum of stacks $sum"
	[ "$longest" -gt 0 ]
	grep -q "data-total=\"$longest\"" "$TMP/m.svg"
	grep -q '^Largest: ' "$TMP/m.txt"
}

@test "lock: kernel contention from file and mmap storms shows lock types and mmap_lock" {
	mkdir "$TMP/dir"
	run "$PROFILER" lock --kernel -o "$TMP/out.txt" -o "$TMP/out.folded" -- "$W/kstorm" "$TMP/dir" 2000
	[ "$status" -eq 0 ]
	head -30 "$TMP/out.txt"
	n=$(folded_sum "$TMP/out.folded" '^kstorm;lock:.* \((rwsem:[RW]|spinlock|mutex|rwlock:[RW])\);')
	echo "typed kernel lock delay: $n ns"
	[ "$n" -gt 0 ]
	# the threads share one mm: mmap/munmap against page faults queue on mmap_lock
	grep -q '^kstorm;lock:mmap_lock (rwsem:[RW]);' "$TMP/out.folded"
	# no futex waits with --kernel; no stack ends in our own tracepoint plumbing
	# (a lock a BPF program itself contends on may show BPF frames further up)
	! grep -q '(futex' "$TMP/out.folded" || false
	! grep -qE '(bpf_trace_run[0-9]+|bpf_prog_[0-9a-f]+_lock_(begin|end)_(btf|raw))_\[k\] [0-9]+$' "$TMP/out.folded" || false
}

@test "lock: the raw_tp fallback (as without tp_btf) gives the same kind of answer" {
	mkdir "$TMP/dir"
	PROFILER_LOCK_RAW_TP=1 run "$PROFILER" lock --kernel -v -f folded -o "$TMP/out.folded" -- "$W/kstorm" "$TMP/dir" 2000
	[ "$status" -eq 0 ]
	[[ "$output" == *"kernel locks via raw_tp"* ]]
	grep -q '^kstorm;lock:mmap_lock (rwsem:[RW]);' "$TMP/out.folded"
	run "$PROFILER" lock --raw-tp --kernel -q -f report -- "$W/kstorm" "$TMP/dir" 500
	[ "$status" -eq 0 ]
	[[ "$output" == *"kernel locks (raw_tp)"* ]]
}

@test "lock: --by task and --by stack regroup" {
	run "$PROFILER" lock --user --by task -- "$W/lockfight" 20000
	[ "$status" -eq 0 ]
	echo "$output" | grep -q '^Top by task'
	echo "$output" | grep -q 'task:lockfight \['
	run "$PROFILER" lock --user --by stack -f folded -- "$W/lockfight" 20000
	[ "$status" -eq 0 ]
	# the lock is the leaf: code paths first
	echo "$output" | grep -q ';update_shared_counter;.*;lock:big_lock (futex mutex) [0-9]*$'
}

@test "lock: bad options are one-line errors" {
	run "$PROFILER" lock --kernel --user -- true
	[ "$status" -ne 0 ]
	[[ "$output" == *"exclude each other"* ]]
	run "$PROFILER" lock --by thread -- true
	[ "$status" -ne 0 ]
	[[ "$output" == *"choose lock, stack or task"* ]]
	run "$PROFILER" lock --kind mutex,wait -- true
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid --kind 'wait'"* ]]
}

@test "lock: only the contended mutex is contention; the condition variable and the joins are waits, under their kinds" {
	run --separate-stderr "$PROFILER" lock --user -o "$TMP/c.txt" -o "$TMP/c.folded" -- "$W/waitkinds"
	[ "$status" -eq 0 ]
	cat "$TMP/c.txt" "$TMP/c.folded"
	echo "$stderr"
	# by default: fight_lock, as a mutex, and nothing else at all
	[ "$(report_locks "$TMP/c.txt")" = "lock:fight_lock (futex mutex)" ]
	mutex=$(folded_sum "$TMP/c.folded" '^waitkinds;lock:fight_lock \(futex mutex\);.*;fighter;fight;pthread_mutex_lock;')
	[ "$mutex" -gt 0 ]
	[ "$mutex" -eq "$(folded_total "$TMP/c.folded")" ]
	# the rest is counted and said to be left out, kind by kind
	grep -Eq '^  condvar +no: an event +1 +[0-9.]+ ms +no \(--kind\)$' "$TMP/c.txt"
	grep -Eq '^  join +no: an event +[1-4] +[0-9.]+ ms +no \(--kind\)$' "$TMP/c.txt"
	[[ "$stderr" == *"of condvar, join waits not shown"* ]]

	run --separate-stderr "$PROFILER" lock --user --kind all -o "$TMP/a.folded" -- "$W/waitkinds"
	[ "$status" -eq 0 ]
	cat "$TMP/a.folded"
	# the wait for the signal, named by its variable, with its caller
	cond=$(folded_sum "$TMP/a.folded" '^waiter;lock:go_cond\+0x[0-9a-f]+ \(futex condvar\);.*;waiter;wait_for_go;pthread_cond_wait;')
	join=$(folded_sum "$TMP/a.folded" '^waitkinds;lock:[^;]* \(futex join\);.*;main;join_all;')
	mutex=$(folded_sum "$TMP/a.folded" '^waitkinds;lock:fight_lock \(futex mutex\);')
	echo "condvar $cond ns, join $join ns, mutex $mutex ns"
	[ "$cond" -gt 0 ]
	[ "$join" -gt 0 ]
	[ "$mutex" -gt 0 ]
	# every row says its kind, and nothing is left unclassified
	[ "$((cond + join + mutex))" -eq "$(folded_total "$TMP/a.folded")" ]
	# --kind condvar: that kind alone
	run "$PROFILER" lock --user --kind condvar -f folded -- "$W/waitkinds"
	[ "$status" -eq 0 ]
	! echo "$output" | grep -q '(futex mutex)\|(futex join)' || false
	echo "$output" | grep -q '^waiter;lock:go_cond+0x[0-9a-f]* (futex condvar);'
}

@test "lock: a forked child's waits after its exec are named from its own program" {
	# lifegen-parent and lifegen-child are one program at one address with
	# other names: the child's waits, taken after its exec, at addresses
	# its fork's copy of the parent also mapped (as go build's compile and
	# link); the old build wrote each of those frames [pid N reused]
	run "$PROFILER" lock --user --value contentions -o "$TMP/out.folded" -- \
		"$W/lifegen-parent" spawn "$W/lifegen-child" lock 200
	[ "$status" -eq 0 ]
	total=$(folded_sum "$TMP/out.folded" '^lifegen-child;')
	named=$(folded_sum "$TMP/out.folded" '^lifegen-child;.*;child_lock_loop;')
	echo "the child's contentions: $total, in child_lock_loop: $named"
	# two threads take turns 200 times each: most turns are one wait.
	# The waits of the child's first milliseconds, before its unwind
	# tables are written, are unwound by frame pointers and lose
	# child_lock_loop (libc's lock has none): 6-13 of ~398 on a quiet
	# machine, 24 under CI's load once, so the bound is three in four
	[ "$named" -ge 100 ]
	[ "$named" -ge $((total * 3 / 4)) ]
	! grep -E '\[pid [0-9]+ reused\]|parent_' "$TMP/out.folded" || false
}

@test "lock: a forked child's wait still in progress at the end is named from its own program" {
	# lifegen-child stuck: one thread holds the mutex for good, the other
	# waits in child_stuck_wait until killed.  The wait is taken from the
	# end's look at the blocked threads (bpf/blocked.bpf.c), whose record
	# carries the lifetime tag: the old build wrote it [pid N reused]
	# not under run: the child, left waiting, would hold its output open
	# (and bats' fd 3) for good
	timeout 60 "$PROFILER" lock --user -d 2 -o "$TMP/out.folded" -- \
		"$W/lifegen-parent" spawn "$W/lifegen-child" stuck >"$TMP/out" 2>"$TMP/err" 3>&- ||
		{ pkill -KILL -f "lifegen-child stuck"; cat "$TMP/err"; false; }
	pkill -KILL -f "lifegen-child stuck" || true
	cat "$TMP/out.folded"
	named=$(folded_sum "$TMP/out.folded" '^lifegen-child;.*;child_stuck_wait;')
	echo "waited in child_stuck_wait: $named ns"
	# one wait from the child's first milliseconds to the end of 2 s
	[ "$named" -ge 1000000000 ]
	! grep -E '\[pid [0-9]+ reused\]|parent_' "$TMP/out.folded" || false
}
