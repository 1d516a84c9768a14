#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# profiler cpu against workloads with known answers, loading real BPF programs.

bats_require_minimum_version 1.5.0
load helpers

setup() { setup_common; }

# burn31's 3:1 within the binomial bound, and more than MIN samples of
# qsort_slow's sort, three in four at least reaching main
burn_and_sorts_ok() {	# FILE MIN
	local three one sort reached
	three=$(folded_sum "$1" ';spin_three$')
	one=$(folded_sum "$1" ';spin_one$')
	sort=$(folded_sum "$1" '^qsort_slow;.*(qsort_r|msort_with_tmp|slow_compare)')
	reached=$(folded_sum "$1" '^qsort_slow;.*;main;.*(qsort_r|msort_with_tmp|slow_compare)')
	echo "three=$three one=$one sort=$sort reached=$reached"
	[ $((three + one)) -gt 800 ]
	binomial_ok "$three" $((three + one)) 0.75
	[ "$sort" -gt "$2" ]
	[ "$reached" -ge $((sort * 3 / 4)) ]
}
teardown() { teardown_common; }

@test "cpu: 3:1 workload comes out 75/25 within 5 standard deviations" {
	# 4 CPU seconds at 999 Hz, however loaded the machine: about 4000
	# samples; burn31 picks spin_three at random 3 times in 4, so the count
	# of spin_three samples is binomial(samples, 3/4)
	run "$PROFILER" cpu -F 999 -o "$TMP/out.folded" -- "$W/burn31" 4
	[ "$status" -eq 0 ]
	three=$(folded_sum "$TMP/out.folded" ';spin_three$')
	one=$(folded_sum "$TMP/out.folded" ';spin_one$')
	echo "spin_three=$three spin_one=$one share=$(pct "$three" $((three + one)))%"
	[ $((three + one)) -gt 800 ]
	binomial_ok "$three" $((three + one)) 0.75
}

@test "cpu: every frame of the workload is named, in caller order" {
	run "$PROFILER" cpu -o "$TMP/out.folded" -- "$W/burn31" 2
	[ "$status" -eq 0 ]
	cat "$TMP/out.folded"
	grep -q '^burn31;.*;main;spin_three [0-9]*$' "$TMP/out.folded"
	grep -q '^burn31;.*;main;spin_one [0-9]*$' "$TMP/out.folded"
	# nothing of the workload's own binary is left as module+offset or a bare address
	! grep -E 'burn31\+0x|;0x[0-9a-f]+|\[unknown\]' "$TMP/out.folded" || false
}

@test "cpu: sample count fits HZ x CPU seconds used" {
	# the cpu-clock timer fires every 1/HZ s on each CPU and samples the
	# task it finds there: over the task's CPU time (rusage, exact to the
	# nanosecond) it takes HZ x CPU seconds samples, within count_ok's
	# bound however the task was time-shared
	"$PROFILER" cpu -F 999 -o "$TMP/out.folded" -- "$W/burn31" 4 2>"$TMP/err"
	cpu=$(sed -n 's/^cpu_seconds=//p' "$TMP/err")
	got=$(folded_sum "$TMP/out.folded" '^burn31;')
	want=$(awk -v c="$cpu" 'BEGIN { printf "%d", c * 999 }')
	echo "cpu_seconds=$cpu samples=$got expected=$want"
	count_ok "$got" "$want"
}

@test "cpu: system-wide mode finds the workload under its comm" {
	"$W/burn31" 600 2>/dev/null &
	BGPID=$!
	"$PROFILER" cpu -a -v -F 999 -d 300 -o "$TMP/out.folded" 2>"$TMP/err" &
	prof=$!
	wait_collecting "$TMP/err"
	# 0.5 s of the workload's CPU time at 999 Hz: about 500 samples, however
	# long a loaded machine takes to give it that
	wait_cpu "$BGPID" 0.5
	kill -INT "$prof"
	wait "$prof"
	n=$(folded_sum "$TMP/out.folded" '^burn31;.*;main;spin_(three|one)$')
	echo "burn31 samples: $n"
	[ "$n" -gt 100 ]
	# other processes may be there too, but no idle task unless asked
	! grep -q '^swapper' "$TMP/out.folded" || false
}

@test "cpu: -p PID profiles all threads; the target exiting ends the run with its data" {
	# alive until the profiler collects, however slowly it starts on a
	# loaded machine; then ended, which must end the run
	"$W/threads" 300 > "$TMP/tids" &
	BGPID=$!
	# both threads run once their TIDs are printed
	for i in $(seq 300); do [ -s "$TMP/tids" ] && break; sleep 0.1; done
	[ -s "$TMP/tids" ]
	"$PROFILER" cpu -v -p "$BGPID" -d 120 -o "$TMP/out.folded" 2>"$TMP/err" &
	prof=$!
	wait_collecting "$TMP/err"
	sleep 1.5
	kill "$BGPID"
	wait "$BGPID" || true
	status=0
	wait "$prof" || status=$?
	[ "$status" -eq 0 ]
	grep -q "targets exited" "$TMP/err"
	grep -q '^worker-a;.*work_in_a ' "$TMP/out.folded"
	grep -q '^worker-b;.*work_in_b ' "$TMP/out.folded"
	# the process exited before symbolization, and is still named
	! grep -E 'exited\]|threads\+0x' "$TMP/out.folded" || false
}

@test "cpu: -p of a shell that waits for its busy grandchild names the process to profile" {
	# `$!` of `cd dir && prog &` is a subshell that waits (here a shell
	# that waits for a shell that waits for burn31): -p does not follow
	# the processes a target started
	sh -c 'sh -c "\"$0\" 20; true"; true' "$W/burn31" &
	BGPID=$!
	for i in $(seq 100); do
		mid=$(pgrep -P "$BGPID") && busy=$(pgrep -P "$mid" burn31) && break
		sleep 0.1
	done
	[ -n "$busy" ]
	# its CPU time counted in whole ticks: a tick at least
	sleep 0.3
	run --separate-stderr "$PROFILER" cpu -p "$BGPID" -d 0.5
	kill "$busy"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"no samples: PID $BGPID (sh) waited, but processes it started ran: $busy (burn31, "* ]]
	[[ "$stderr" == *"profile them with -p $busy" ]]
	[[ "$stderr" != *"was the target running"* ]]
	# the shell in the middle, which used no CPU, is not named
	[[ "$stderr" != *"$mid (sh"* ]]
}

@test "cpu: -t TID profiles that thread only" {
	# alive well past the profile, however slowly the profiler starts
	"$W/threads" 30 > "$TMP/tids" &
	BGPID=$!
	for i in $(seq 300); do [ -s "$TMP/tids" ] && break; sleep 0.1; done
	tid_a=$(sed -n 's/.*tid_a=\([0-9]*\).*/\1/p' "$TMP/tids")
	[ -n "$tid_a" ]
	"$PROFILER" cpu -v -F 999 -t "$tid_a" -d 300 -o "$TMP/out.folded" 2>"$TMP/err" &
	prof=$!
	wait_collecting "$TMP/err"
	# 0.3 s of the thread's CPU time: about 300 samples at 999 Hz
	wait_cpu "$BGPID" 0.3 "$tid_a"
	kill -INT "$prof"
	wait "$prof"
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
	! grep -q '\[kernel\]+0x' "$TMP/all.folded" || false
	"$PROFILER" cpu -K -q -o "$TMP/k.folded" -- "$W/syscalls" 1
	# kernel-only: every frame after the comm is a kernel frame
	grep -q '_\[k\] [0-9]*$' "$TMP/k.folded"
	awk '{ line = $0; sub(/ [0-9]+$/, "", line); n = split(line, f, ";")
		for (i = 2; i <= n; i++) if (f[i] !~ /_\[k\]$/) { print "not a kernel frame: " $0; bad = 1; break } }
		END { exit bad }' "$TMP/k.folded"
	"$PROFILER" cpu -U -q -o "$TMP/u.folded" -- "$W/syscalls" 1
	! grep -q '_\[k\]' "$TMP/u.folded" || false
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
	"$W/burn31" 30 2>/dev/null &
	BGPID=$!
	"$PROFILER" cpu -v -F 999 -p "$BGPID" -o "$TMP/out.folded" 2>"$TMP/err" &
	prof=$!
	# interrupt it sampling, not still loading (Ctrl-C would then kill it)
	wait_collecting "$TMP/err"
	# 0.5 s of its CPU time: about 375 spin_three samples at 999 Hz
	wait_cpu "$BGPID" 0.5
	kill -INT "$prof"
	wait "$prof"
	grep -q interrupted "$TMP/err"
	[ "$(folded_sum "$TMP/out.folded" 'spin_three')" -gt 50 ]
}

@test "cpu: a nonexistent PID fails at once, one line, nothing on stdout" {
	# PIDs stay below pid_max: no process can have this one
	pid=$(cat /proc/sys/kernel/pid_max)
	run --separate-stderr "$PROFILER" cpu -p "$pid" -d 5
	[ "$status" -ne 0 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"no process with PID $pid"* ]]
}

@test "cpu: bad options name the bad value and fail with nothing on stdout" {
	for args in "-F abc" "-F 0" "-C 99999" "-C x" "-U -K" "--bogus" "-f svgx" "-d -1" \
		    "-p 12,x" "-p 1 -a" "--value nope" "--top 0" "extra-arg" "--unwind bogus"; do
		run --separate-stderr "$PROFILER" cpu $args
		echo "args=$args status=$status stderr=$stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ "${#stderr_lines[@]}" -eq 1 ]
	done
	run --separate-stderr "$PROFILER" cpu -F abc
	[[ "$stderr" == *"'abc'"* ]]
	run --separate-stderr "$PROFILER" cpu --unwind bogus
	[[ "$stderr" == *"--unwind 'bogus'"*"dwarf"*"fp"* ]]
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
	# a copy nobody can reach: the checkout may be under a private /root
	chmod 755 "$TMP"
	cp "$PROFILER" "$TMP/profiler"
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		sh -c "cd / && exec '$TMP/profiler' cpu -d 1"
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
	[[ "$output" == *"peak RSS"*"page faults"* ]]
}

# libbpf reads the kernel's BTF (5.5 MB on 6.18) into one block and copies
# it into another for each object that names a kernel type: 2 x 1,400
# fresh pages, 20 us each on a VM like ours.  Taken from heap marked for
# huge pages instead, where the kernel has free 2 MiB blocks for them.
@test "offcpu: libbpf's copies of the kernel's BTF take huge pages where the kernel has them free" {
	local size pages free faults
	size=$(stat -c %s /sys/kernel/btf/vmlinux)
	pages=$((size / 4096))
	free=$(awk '/zone/ { for (i = 5; i <= NF; i++) if (i - 5 >= 9) n += $i * 2 ^ (i - 5 - 9) }
		END { print n + 0 }' /proc/buddyinfo)
	run --separate-stderr "$PROFILER" offcpu -a -d 0.1 --stats -o "$TMP/x.folded"
	[ "$status" -eq 0 ]
	faults=$(sed -n 's/.*MiB, \([0-9,]*\) page faults.*/\1/p' <<< "$stderr" | tr -d ,)
	echo "our page faults: $faults; the BTF's pages: $pages; free 2 MiB blocks: $free"
	[ -n "$faults" ]
	if grep -q '\[madvise\]' /sys/kernel/mm/transparent_hugepage/enabled &&
		[ "$free" -gt $(((2 * size + 5 * 1048576) / 2097152 + 1)) ]; then
		# its two copies alone would be 2 x pages, on top of the rest
		# (3,306 faults in all before; 887-1,164 since)
		[ "$faults" -lt $((pages * 3 / 2)) ]
	else
		echo "no huge pages to be had here (THP mode, or free 2 MiB blocks): 4 KiB pages"
	fi
}

@test "cpu: the caller of a frameless leaf is recovered (3:1 by caller), and lost without the fix" {
	# .eh_frame knows the leaf has no frame; frame pointers need the leaf fix
	for unwind in dwarf fp; do
		run "$PROFILER" cpu -F 999 --unwind $unwind -o "$TMP/fix.folded" -- "$W/leafcall" 3
		[ "$status" -eq 0 ]
		three=$(folded_sum "$TMP/fix.folded" ';main;caller_three;hot_leaf$')
		one=$(folded_sum "$TMP/fix.folded" ';main;caller_one;hot_leaf$')
		skipped=$(folded_sum "$TMP/fix.folded" ';main;hot_leaf$')
		echo "--unwind $unwind: caller_three=$three caller_one=$one skipped=$skipped"
		[ $((three + one)) -gt 800 ]
		# leafcall picks caller_three at random 3 times in 4: binomial
		binomial_ok "$three" $((three + one)) 0.75
		# nearly every sample has its caller back
		[ "$skipped" -lt $(((three + one) / 50)) ]
	done
	run "$PROFILER" cpu -F 999 --unwind fp --no-leaf-fix -o "$TMP/nofix.folded" -- "$W/leafcall" 1
	[ "$status" -eq 0 ]
	[ "$(folded_sum "$TMP/nofix.folded" ';main;hot_leaf$')" -gt 100 ]
	# no sample in the leaf has its caller (one in a caller's own loop may)
	[ "$(folded_sum "$TMP/nofix.folded" ';caller_[a-z]+;hot_leaf$')" -eq 0 ]
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

# Share (percent) of FILE's qsort_slow samples whose stack reaches main.
main_share() {	# FILE
	pct "$(folded_sum "$1" '^qsort_slow;.*;main;')" "$(folded_sum "$1" '^qsort_slow;')"
}

@test "cpu: callers above code without frame pointers (libc's qsort) come from .eh_frame" {
	# slow_compare is called by libc's merge sort, built without frame
	# pointers: a frame-pointer walk ends in libc and never reaches main
	"$W/qsort_slow" 30 &
	BGPID=$!
	run "$PROFILER" cpu -F 999 -d 3 -p "$BGPID" --stats -o "$TMP/dwarf.folded"
	[ "$status" -eq 0 ]
	[[ "$output" == *"unwind tables: 1 processes"* ]]
	run "$PROFILER" cpu -F 999 -d 2 -p "$BGPID" --unwind fp -o "$TMP/fp.folded"
	[ "$status" -eq 0 ]
	dwarf=$(main_share "$TMP/dwarf.folded")
	fp=$(main_share "$TMP/fp.folded")
	all=$(folded_sum "$TMP/dwarf.folded" '^qsort_slow;')
	echo "samples reaching main: dwarf $dwarf% of $all, fp $fp%"
	# a share of the samples, not a count: a loaded machine gives the
	# workload less of a CPU in the same 3 s
	[ "$all" -gt 100 ]
	[ "$(folded_sum "$TMP/dwarf.folded" ';qsort_r;msort_with_tmp[^;]*;.*slow_compare$')" -gt $((all / 2)) ]
	awk -v d="$dwarf" 'BEGIN { exit !(d >= 98) }'
	# the check can fail: without the tables main is all but never reached
	awk -v f="$fp" 'BEGIN { exit !(f < 5) }'
}

@test "cpu: -- CMD is stopped at its entry point until its tables exist: every stack reaches main" {
	run --separate-stderr "$PROFILER" cpu -v -F 999 -o "$TMP/cmd.folded" -- "$W/qsort_slow" 1
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"stopped at its entry point"* ]]
	# every sample in the program's own work (the sort) reaches main; the
	# loader's and exit's samples do not, and their share grows with the
	# machine's load (a loaded machine gives the sort fewer samples in 1 s)
	sort=$(folded_sum "$TMP/cmd.folded" '^qsort_slow;.*(qsort_r|msort_with_tmp|slow_compare)')
	reached=$(folded_sum "$TMP/cmd.folded" '^qsort_slow;.*;main;.*(qsort_r|msort_with_tmp|slow_compare)')
	echo "sort samples reaching main: $reached of $sort"
	[ "$sort" -gt 50 ]
	[ "$reached" -eq "$sort" ]
	# the stop costs no CPU time to speak of: the command is stopped off the
	# CPU.  Entering the stop takes microseconds of CPU once per run, which a
	# 1 ms sample lands in now and then (seen once in about ten runs on a
	# loaded machine): one sample, never two (two ticks need a millisecond
	# of CPU in the stop path, which a busy-waiting hold would spend)
	[ "$(folded_sum "$TMP/cmd.folded" 'do_signal_stop')" -le 1 ]
}

@test "cpu: -- CMD that execs itself again, or is a script, is never left stopped" {
	# the same file exec'd again by the same pid hits the entry probe again
	# 0.5 CPU seconds at 999 Hz: hundreds of samples however loaded the machine
	run timeout 60 "$PROFILER" cpu -F 999 -o "$TMP/re.folded" -- /bin/sh -c \
		"exec /bin/sh -c 'exec $W/qsort_slow 0.5'"
	[ "$status" -eq 0 ]
	[ "$(folded_sum "$TMP/re.folded" 'slow_compare$')" -gt 10 ]
	# a script has no ELF entry point: it runs unheld
	printf '#!/bin/sh\nexec %s 0.5\n' "$W/qsort_slow" > "$TMP/script.sh"
	chmod +x "$TMP/script.sh"
	run --separate-stderr timeout 60 "$PROFILER" cpu -v -F 999 -o "$TMP/sc.folded" -- "$TMP/script.sh"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"no ELF entry point"* ]]
	[ "$(folded_sum "$TMP/sc.folded" 'slow_compare$')" -gt 10 ]
}

@test "cpu: a long run makes room in the unwind tables as processes exit" {
	# 24 short processes one after another, room for 16: the tables of
	# those that exited must make way for the next.  Only the command's
	# processes: system-wide, a busy machine's own processes fill the room
	PROFILER_UNWIND_PROCS=16 run --separate-stderr "$PROFILER" cpu -F 999 --stats \
		-o "$TMP/out.folded" -- sh -c "for i in \$(seq 24); do '$W/qsort_slow' 0.15; done"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"no unwind table for"* ]]
	procs=$(echo "$stderr" | sed -n 's/.*unwind tables: \([0-9]*\) processes.*/\1/p')
	sort=$(folded_sum "$TMP/out.folded" '^qsort_slow;.*(qsort_r|msort_with_tmp|slow_compare)')
	reached=$(folded_sum "$TMP/out.folded" '^qsort_slow;.*;main;.*(qsort_r|msort_with_tmp|slow_compare)')
	echo "processes given tables: $procs; sort samples reaching main: $reached of $sort"
	[ "$procs" -gt 16 ]
	# the sort's samples (not the loader's) reach main once the tables are
	# made, which takes a fraction of each process's 0.15 s
	[ "$sort" -gt 100 ]
	[ "$reached" -ge $((sort * 3 / 4)) ]
}

@test "cpu: a long run is folded as it goes: windows add up, exited processes named, then forgotten" {
	# A run longer than 10 s is cut into windows, each named and added up,
	# its exited processes then forgotten.  PROFILER_FOLD_MS cuts them
	# every 0.4 s here: burn31's 3:1 must add up across windows, and each
	# short qsort_slow, named in the window it exited in, must reach main
	PROFILER_FOLD_MS=400 run --separate-stderr "$PROFILER" cpu -v -F 999 \
		-o "$TMP/out.folded" -o "$TMP/out.pb.gz" \
		-- sh -c "'$W/burn31' 2; for i in \$(seq 12); do '$W/qsort_slow' 0.15; done"
	[ "$status" -eq 0 ]
	windows=$(echo "$stderr" | grep -c 'window [0-9]*: collected')
	forgotten=$(echo "$stderr" | sed -n 's/.* \([0-9]*\) exited processes forgotten.*/\1/p' | tail -1)
	echo "windows=$windows forgotten=$forgotten"
	[ "$windows" -ge 5 ]
	[ "$forgotten" -ge 4 ]
	burn_and_sorts_ok "$TMP/out.folded" 100
	! grep -qE '\[pid [0-9]+ (exited|reused)\]|\[unknown\]' "$TMP/out.folded" || false
	# the pprof output is the same sum, one sample per process and stack
	run "$PROFILER" report "$TMP/out.pb.gz" -o "$TMP/again.folded"
	[ "$status" -eq 0 ]
	[ "$(folded_total "$TMP/again.folded")" -eq "$(folded_total "$TMP/out.folded")" ]
	# and without folding (10 s windows), the same run is one window
	run --separate-stderr "$PROFILER" cpu -v -F 999 -o "$TMP/one.folded" -- "$W/burn31" 1
	[ "$status" -eq 0 ]
	[ "$(echo "$stderr" | grep -c 'window [0-9]*: collected')" -eq 1 ]
}

@test "cpu: exited processes' stacks and unwind entries leave the kernel's maps; a live process loses none" {
	# burn31 lives through ~13 windows of 0.3 s while 40 short qsort_slow
	# come and go: theirs are deleted as they exit (the user stacks once
	# read, the unw_procs entries in batches), burn31's stay and its 3:1
	# adds up across windows with no stack lost
	PROFILER_FOLD_MS=300 run --separate-stderr "$PROFILER" cpu -F 999 --stats \
		-o "$TMP/out.folded" \
		-- sh -c "'$W/burn31' 4 & for i in \$(seq 40); do '$W/qsort_slow' 0.05; done; wait"
	echo "$stderr"
	[ "$status" -eq 0 ]
	pruned=$(echo "$stderr" | sed -n 's/.*stacks maps: \([0-9,]*\) user stacks of exited.*/\1/p' | tr -d ,)
	exits=$(echo "$stderr" | sed -n 's/.* \([0-9]*\) deleted at exit.*/\1/p')
	# on 6.7 and later the kernel makes young processes' entries and deletes them
	# at their exit itself (cpu_made_exit); user space, those it wrote
	kexits=$(echo "$stderr" | sed -n 's/.* \([0-9]*\) deleted at its exit.*/\1/p')
	left=$(echo "$stderr" | sed -n 's/.*map unw_procs *\([0-9,]*\) of.*/\1/p' | tr -d ,)
	echo "pruned=$pruned exits=$exits kernel exits=${kexits:-0} left=$left"
	# each qsort_slow leaves user stacks of its own (its libraries at
	# addresses of its own) and an unw_procs entry
	[ "$pruned" -ge 40 ]
	[ $((exits + ${kexits:-0})) -ge 30 ]
	# what stays: sh, burn31 and the processes that exited since the
	# last window's cut (a sort every ~55 ms, windows of 0.3 s, and the
	# end deletes nothing: the map goes with the session); all 42 before
	[ "$left" -le 16 ]
	burn_and_sorts_ok "$TMP/out.folded" 400
	! grep -E '\[lost (user|kernel) stack\]|\[pid [0-9]+ (exited|reused)\]|\[unknown\]' "$TMP/out.folded" || false
}

# Whether the kernel has task work and the task-VMA iterator (6.18): the
# names of its kfuncs are in its BTF.  (Later 6.18 kernels have them but
# refuse task work to perf_event programs: the profiler says so at -v.)
kernel_has_task_work() {
	grep -qa bpf_task_work_schedule_resume_impl /sys/kernel/btf/vmlinux &&
		kernel_has_vma_iter
}

# Whether it has the task-VMA iterator (6.7): entries made as processes
# take their mmap lock to change their mappings, if not at the samples
kernel_has_vma_iter() {
	grep -qa bpf_iter_task_vma_new /sys/kernel/btf/vmlinux
}

@test "cpu: young processes are unwound from their first sample, by entries the kernel makes where it can" {
	# 60 short qsort_slow one after another: each one's first sample comes
	# before we have read any of its mapping records.  Where the kernel
	# lets a sampling program use task work (6.18), the sample waits for
	# the return to user mode, where the kernel makes the process's entry
	# from the per-binary tables; where it has the task-VMA iterator (6.7),
	# the entry is made as the process takes its mmap lock to change its
	# mappings (at_lock, and kernel where task work is refused): nothing
	# written early by us either way.  Elsewhere (records) we write it from
	# the records as they come.  Every way, libc's qsort, without frame
	# pointers, is unwound to main.
	# (fallback: the program that makes entries refused at load,
	# PROFILER_TEST_DEFER_FAIL: said in a warning, and the run goes on the
	# records' way)
	# (refused: a kernel whose verifier turns task work down for perf_event
	# programs, said at -v, from the verifier's log or from the note an
	# earlier run of the boot left; not a warning, nothing to mend)
	local refused=0 fresh=$TMP/cache
	for mode in kernel at_lock records fallback; do
		# the kernel mode in a cache of its own: its verdict found afresh
		PROFILER_CACHE_DIR=$([ $mode = kernel ] && echo "$fresh" || echo "${PROFILER_CACHE_DIR:-}") \
		PROFILER_NO_TASK_WORK=$([ $mode = at_lock ] && echo 1 || echo 0) \
		PROFILER_NO_KERNEL_ENTRIES=$([ $mode = records ] && echo 1 || echo 0) \
		PROFILER_TEST_DEFER_FAIL=$([ $mode = fallback ] && echo 1 || echo 0) \
			run --separate-stderr "$PROFILER" cpu -v -F 999 --stats -o "$TMP/$mode.folded" \
			-- sh -c "for i in \$(seq 60); do '$W/qsort_slow' 0.03; done"
		echo "$stderr" | grep -v '^profiler: \(stack\|map\|kallsyms\)' | head -60
		[ "$status" -eq 0 ]
		! echo "$stderr" | grep 'warning: cannot load the program that makes' ||
			[ $mode = fallback ]
		if [ $mode = kernel ] && kernel_has_task_work &&
			[[ "$stderr" == *"refuses task work to sampling programs (its verifier: "* ]]; then
			refused=1
			# noted for the boot: the next run does not try
			ls "$fresh"/refused.v1-*-cpu_defer-*
			PROFILER_CACHE_DIR=$fresh "$PROFILER" cpu -v -d 0.2 -o "$TMP/again.folded" \
				2> "$TMP/again.err"
			grep -F "refuses task work to sampling programs (found by an earlier run of this boot)" \
				"$TMP/again.err"
		fi
		if [ $mode = fallback ] && kernel_has_vma_iter; then
			[[ "$stderr" == *"cannot load the program that makes young processes' unwind entries"* ]]
		fi
		deferred=$(echo "$stderr" | sed -n 's/.*young processes: \([0-9]*\) samples unwound.*/\1/p')
		made=$(echo "$stderr" | sed -n 's/.* \([0-9]*\) unwind entries made in the kernel.*/\1/p')
		early=$(echo "$stderr" | sed -n 's/.*(\([0-9]*\) more from mmap records.*/\1/p')
		echo "$mode: deferred=$deferred made=$made early=$early"
		if [ $mode = kernel ] && kernel_has_task_work && [ $refused = 0 ]; then
			# a sample or two of each process waited, and its entry was made
			[ "$deferred" -ge 50 ]
			[ "$made" -ge 50 ]
			[ "$early" -eq 0 ]
		elif { [ $mode = kernel ] || [ $mode = at_lock ]; } && kernel_has_vma_iter; then
			# made before the first sample, as ld.so mapped the libraries
			[ -z "$deferred" ]
			[[ "$stderr" == *"unwind entries made in the kernel as they mapped code"* ]]
			[ "$made" -ge 50 ]
			[ "$early" -eq 0 ]
		else
			[ -z "$deferred" ]
			[ -z "$made" ]
			[ "$early" -ge 50 ]
		fi
		# the sort's samples (not ld.so's start, rightly without main):
		# ~1.5% stop in libc either way; by frame pointers all but none
		# reach main
		sort=$(folded_sum "$TMP/$mode.folded" '^qsort_slow;.*(qsort_r|msort_with_tmp|slow_compare)')
		reached=$(folded_sum "$TMP/$mode.folded" '^qsort_slow;.*;main;.*(qsort_r|msort_with_tmp|slow_compare)')
		echo "$mode: $reached of $sort of the sort's samples reach main"
		[ "$sort" -gt 1000 ]
		[ "$reached" -ge $((sort * 9 / 10)) ]
		! grep -E '\[lost (user|kernel) stack\]|\[pid [0-9]+ (exited|reused)\]|\[unknown\]' \
			"$TMP/$mode.folded" || false
	done
}

@test "cpu: without bpf_loop user stacks fall back to frame pointers, and -v says so" {
	"$W/qsort_slow" 30 &
	BGPID=$!
	PROFILER_NO_BPF_LOOP=1 run --separate-stderr "$PROFILER" cpu -v -F 999 -d 2 -p "$BGPID" \
		-o "$TMP/out.folded"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"no bpf_loop"*"frame pointers"* ]]
	all=$(folded_sum "$TMP/out.folded" '^qsort_slow;')
	[ "$all" -gt 100 ]
	[ "$(folded_sum "$TMP/out.folded" 'slow_compare$')" -gt $((all / 2)) ]
	awk -v f="$(main_share "$TMP/out.folded")" 'BEGIN { exit !(f < 5) }'
	# frame pointers still find the callers where they exist, with the leaf fix
	PROFILER_NO_BPF_LOOP=1 run "$PROFILER" cpu -F 999 -o "$TMP/burn.folded" -- "$W/burn31" 1
	[ "$status" -eq 0 ]
	[ "$(folded_sum "$TMP/burn.folded" ';main;spin_three$')" -gt 100 ]
}

@test "cpu: more unique stacks than the counts map holds: drained as it fills, no sample lost" {
	# manystacks gives nearly every sample a stack of its own: some 8,000
	# keys over 8 CPU seconds into maps of 4,096.  Counted in one map that
	# is read at the end, half of them were lost to a full map; drained
	# while the run goes, every sample is in the profile: HZ x CPU seconds
	run --separate-stderr "$PROFILER" cpu -v -F 999 --max-stacks 4096 \
		-o "$TMP/out.folded" -- "$W/manystacks" 8 cpu
	echo "$stderr" | grep -v "no unwind table"
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"did not fit the aggregation map"* ]]
	swaps=$(echo "$stderr" | sed -n 's/.*counts maps swapped \([0-9]*\) times.*/\1/p')
	[ "$swaps" -ge 2 ]
	got=$(folded_sum "$TMP/out.folded" '^manystacks;')
	lines=$(grep -c '^manystacks;' "$TMP/out.folded")
	echo "samples=$got folded lines=$lines swaps=$swaps"
	[ "$lines" -gt 4096 ]
	count_ok "$got" $((8 * 999))
}

@test "cpu: stacks the allocator refused wait in the spill until the next window: none lost" {
	# PROFILER_TEST_SPILL=1 sends every other new stack to the spill (256
	# entries on 2 CPUs) as if the allocator had refused it (a failure no
	# test can cause on demand); manystacks makes some 4,000 in 4 CPU
	# seconds, so some 2,000 spill.  In one window the spill fills and the
	# rest are lost, as the warning says: the control.  In windows of
	# 200 ms (some 90 spilled each), each moving the spill's stacks into
	# the stacks map, none is lost, and the profile holds HZ x CPU seconds.
	run --separate-stderr env PROFILER_TEST_SPILL=1 "$PROFILER" cpu -F 999 \
		-o "$TMP/one.folded" -- "$W/manystacks" 4 cpu
	echo "$stderr" | grep -v "no unwind table"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"stacks not kept: the kernel had no memory"* ]]
	grep -q '\[lost' "$TMP/one.folded"
	run --separate-stderr env PROFILER_TEST_SPILL=1 PROFILER_FOLD_MS=200 "$PROFILER" cpu -v \
		-F 999 -o "$TMP/windows.folded" -- "$W/manystacks" 4 cpu
	echo "$stderr" | grep -E "moved|not kept|window"
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"stacks not kept"* ]]
	[[ "$stderr" == *"stacks moved into the stacks map"* ]]
	! grep -q '\[lost' "$TMP/windows.folded" || false
	count_ok "$(folded_sum "$TMP/windows.folded" '^manystacks;')" $((4 * 999))
}

@test "cpu: a count the kernel had no memory for is lost, said apart from a full map" {
	# The counts maps allocate their keys as they come.
	# PROFILER_TEST_COUNTS_NOMEM=1 refuses about every other new key as if
	# the allocator had nothing at hand (a failure no test can cause on
	# demand).  manystacks makes some 2,000 keys in 2 CPU seconds: the
	# refused samples are counted under their own cause, not as a full
	# map, and with the profile's they make HZ x CPU seconds.  The control
	# without it loses none.
	run --separate-stderr env PROFILER_TEST_COUNTS_NOMEM=1 "$PROFILER" cpu -F 999 \
		-o "$TMP/nomem.folded" -- "$W/manystacks" 2 cpu
	echo "$stderr" | grep -v "no unwind table"
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"did not fit the aggregation map"* ]]
	lost=$(echo "$stderr" | sed -n 's/.*warning: \([0-9,]*\) samples lost: the kernel had no memory at hand to count them.*/\1/p' | tr -d ,)
	kept=$(folded_total "$TMP/nomem.folded")
	echo "lost=$lost kept=$kept"
	[ "${lost:-0}" -gt 500 ]
	[ "$kept" -gt 500 ]
	count_ok $((lost + kept)) $((2 * 999))
	run --separate-stderr "$PROFILER" cpu -F 999 -o "$TMP/all.folded" -- "$W/manystacks" 2 cpu
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"no memory at hand"* ]]
	count_ok "$(folded_total "$TMP/all.folded")" $((2 * 999))
}

@test "cpu: maps read one element at a time (a kernel refusing batch reads) give the same profile" {
	# manystacks: some 8,000 stacks, so the stacks map is read whole in
	# one pass (stack_parts); PROFILER_NO_MAP_BATCH=1 takes
	# the path of a kernel that refuses batch operations (the counts maps
	# and the stacks map one element at a time).  Both must name every
	# sample's stack: no lost stack, HZ x CPU seconds in the profile.
	# PROFILER_CHECK_STACK_PARTS=1 makes every sample again with a lookup
	# per stack (the path of a few keys) and compares them frame by frame:
	# none may differ.
	for mode in batch single; do
		env=(PROFILER_CHECK_STACK_PARTS=1)
		[ "$mode" = single ] && env+=(PROFILER_NO_MAP_BATCH=1)
		run --separate-stderr env "${env[@]}" "$PROFILER" cpu -v -F 999 --max-stacks 4096 \
			-o "$TMP/$mode.folded" -- "$W/manystacks" 4 cpu
		[ "$status" -eq 0 ]
		if [ "$mode" = single ]; then
			[[ "$stderr" == *"read one element at a time"* ]]
		else
			[[ "$stderr" != *"read one element at a time"* ]]
		fi
		! grep -q '\[lost' "$TMP/$mode.folded" || false
		grep 'stack parts checked' <<< "$stderr"
		[[ "$stderr" =~ "stack parts checked against a lookup per stack: "[1-9][0-9]*" samples, 0 differ" ]]
		got=$(folded_sum "$TMP/$mode.folded" '^manystacks;')
		lines=$(grep -c '^manystacks;' "$TMP/$mode.folded")
		echo "$mode: samples=$got folded lines=$lines"
		[ "$lines" -gt 2048 ]
		count_ok "$got" $((4 * 999))
	done
}

@test "cpu: a long run's windows look their stacks up alone once the maps hold far more, the same as a pass" {
	# manystacks gives nearly every sample a new stack, so the stacks map
	# grows by some 1,000 a second; cut every 1.5 s, a window wants about
	# as many stacks as 1.5 s made (above the 1,024 keys that take
	# stack_parts at all), and from the fourth window on the map holds more
	# than twice that: its stacks are looked up alone, not
	# read in a pass over the whole map.  PROFILER_CHECK_STACK_PARTS=1
	# makes every window's samples again with a lookup per stack and
	# compares them frame by frame: none may differ, none may be lost.
	PROFILER_FOLD_MS=1500 PROFILER_CHECK_STACK_PARTS=1 run --separate-stderr "$PROFILER" cpu \
		-v -F 999 -o "$TMP/out.folded" -- "$W/manystacks" 8 cpu
	[ "$status" -eq 0 ]
	grep -E 'stack parts:|stack parts checked' <<< "$stderr"
	[[ "$stderr" == *"each looked up alone"* ]]
	[[ "$stderr" == *"one pass over the maps"* ]]
	checked=$(grep -c 'stack parts checked against a lookup per stack: [1-9][0-9]* samples, 0 differ' <<< "$stderr")
	differ=$(grep 'stack parts checked' <<< "$stderr" | grep -vc ' 0 differ' || true)
	[ "$checked" -ge 3 ]
	[ "$differ" -eq 0 ]
	! grep -q '\[lost' "$TMP/out.folded" || false
	count_ok "$(folded_sum "$TMP/out.folded" '^manystacks;')" $((8 * 999))
}

@test "cpu: the run ends within 1.5 s of -d while big binaries wait for their unwind tables" {
	# From 1 s into the run, programs with the largest .eh_frame here
	# (clang's libLLVM, node, gcc's cc1 and cc1plus, gdb) run over and
	# over: seconds of CPU in unwind tables, asked for just before the
	# end.  Made on the session's loop past -d, they held the run 10 s past
	# -d 2 on a loaded machine; now none is begun past the end and one
	# under way is cut there.
	local progs=() script
	command -v clang >/dev/null && progs+=("clang --version")
	command -v node >/dev/null && progs+=("node -e 0")
	command -v gcc >/dev/null && progs+=("gcc -O2 -c -x c /dev/null -o /dev/null")
	command -v g++ >/dev/null && progs+=("g++ -O2 -c -x c++ /dev/null -o /dev/null")
	command -v gdb >/dev/null && progs+=("gdb --version")
	[ "${#progs[@]}" -ge 2 ]
	script="until [ -e '$TMP/go' ]; do sleep 0.05; done; sleep 1; while :; do"
	for p in "${progs[@]}"; do script+=" $p >/dev/null 2>&1;"; done
	script+=" done"
	sh -c "$script" &
	BGPID=$!
	"$PROFILER" cpu -v -a -F 999 -d 2 -o "$TMP/out.folded" 2>"$TMP/err" &
	prof=$!
	for _ in $(seq 600); do
		grep -q 'attached in .*; collecting' "$TMP/err" && break
		sleep 0.05
	done
	touch "$TMP/go"
	wait "$prof"
	tail -3 "$TMP/err"
	dur=$(sed -n 's/.*, \([0-9.]*\) s (duration reached).*/\1/p' "$TMP/err")
	echo "collected for $dur s with -d 2"
	[ -n "$dur" ]
	awk -v d="$dur" 'BEGIN { exit !(d >= 2 && d <= 3.5) }'
}
