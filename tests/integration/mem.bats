#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# profiler mem against a workload with known allocation sites.

bats_require_minimum_version 1.5.0
load helpers

setup() { setup_common; }
teardown() { teardown_common; }

# Value of one site in a folded file weighed by some --value.
site() {	# FILE FUNCTION
	folded_sum "$1" ";$2;[a-z_]+$"
}

# profiler mem -- WORKLOAD once per --value, each into $TMP/VALUE.folded
mem_by_value() {	# WORKLOAD VALUE...
	local w=$1 v
	shift
	for v in "$@"; do
		run "$PROFILER" mem -q -f folded --value "$v" -o "$TMP/$v.folded" -- "$W/$w"
		[ "$status" -eq 0 ]
	done
	cat "$TMP"/*.folded
}

@test "mem: -- CMD counts every site exactly, from the first allocation" {
	mem_by_value mem_sites alloc_objects alloc_space inuse_objects inuse_space
	# the leak: first allocations of the program
	[ "$(site "$TMP/alloc_objects.folded" leak_site)" -eq 1000 ]
	[ "$(site "$TMP/inuse_space.folded" leak_site)" -eq 4096000 ]
	# malloc + free
	[ "$(site "$TMP/alloc_space.folded" churn_site)" -eq 6400000 ]
	[ "$(site "$TMP/alloc_objects.folded" churn_site)" -eq 100000 ]
	[ "$(site "$TMP/inuse_space.folded" churn_site)" -eq 0 ]
	# calloc counts nmemb x size
	[ "$(site "$TMP/inuse_space.folded" calloc_site)" -eq 500000 ]
	# realloc(NULL, n) allocates; moved blocks leave their old site
	[ "$(site "$TMP/alloc_space.folded" realloc_new)" -eq 25600 ]
	[ "$(site "$TMP/inuse_space.folded" realloc_new)" -eq 0 ]
	[ "$(site "$TMP/alloc_space.folded" realloc_grow)" -eq 819200 ]
	# realloc(p, 0) frees 50 of the 200
	[ "$(site "$TMP/inuse_objects.folded" realloc_grow)" -eq 150 ]
	[ "$(site "$TMP/inuse_space.folded" realloc_grow)" -eq 614400 ]
	[ "$(site "$TMP/alloc_space.folded" realloc_drop)" -eq 0 ]
	# the allocating function is always in the stack, under its caller
	grep -q '^mem_sites;.*;main;leak_site;malloc 4096000$' "$TMP/inuse_space.folded"
}

@test "mem: posix_memalign, aligned_alloc, memalign, reallocarray and valloc each count their own size" {
	mem_by_value mem_aligned alloc_space inuse_space inuse_objects
	# the size is the second argument here, the third there: one program
	# reads each function's from where its probe's cookie says
	[ "$(site "$TMP/inuse_space.folded" posix_site)" -eq 300000 ]
	[ "$(site "$TMP/inuse_objects.folded" posix_site)" -eq 300 ]
	[ "$(site "$TMP/inuse_space.folded" aligned_site)" -eq 409600 ]
	[ "$(site "$TMP/inuse_space.folded" memalign_site)" -eq 64000 ]
	[ "$(site "$TMP/inuse_space.folded" valloc_site)" -eq 200000 ]
	# reallocarray counts nmemb x size, and moves its old block on
	[ "$(site "$TMP/alloc_space.folded" array_site)" -eq 90000 ]
	[ "$(site "$TMP/inuse_space.folded" array_site)" -eq 0 ]
	[ "$(site "$TMP/inuse_space.folded" array_grow)" -eq 225000 ]
	[ "$(site "$TMP/inuse_objects.folded" array_grow)" -eq 150 ]
	# a posix_memalign that fails allocates nothing
	[ "$(site "$TMP/alloc_space.folded" posix_fail)" -eq 0 ]
}

@test "mem: a stack deeper than --max-depth keeps its leaf frames, its bytes, and says so" {
	# 10 x malloc(1000), each 1,500 calls deep: cut to the 512 frames
	# kept, by .eh_frame and by frame pointers alike
	for u in "" "--unwind fp"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$PROFILER" mem $u -f folded -o "$TMP/deep.folded" -- "$W/mem_deep"
		[ "$status" -eq 0 ]
		[[ "$stderr" == *"10 stacks deeper than --max-depth frames were truncated"* ]]
		[ "$(folded_sum "$TMP/deep.folded" ';deep;deep;malloc$')" -eq 10000 ]
		# the comm and 512 frames, from the leaf up
		[ "$(awk -F';' '{ print NF }' "$TMP/deep.folded" | sort -n | tail -1)" -eq 513 ]
	done
}

@test "mem: the report puts the leak first, with count, bytes, average and age" {
	run "$PROFILER" mem -q -o "$TMP/out.txt" -- "$W/mem_sites"
	[ "$status" -eq 0 ]
	cat "$TMP/out.txt"
	grep -q '^Totals: *inuse_space .* in 1,650 inuse_objects' "$TMP/out.txt"
	grep -q 'alloc_space .* in 101,900 alloc_objects' "$TMP/out.txt"
	leak=$(grep -A2 '^Possible leaks' "$TMP/out.txt" | tail -1)
	echo "$leak"
	# the age is in ms or s, as fast as this machine's uprobes run the churn
	[[ "$leak" =~ 1,000\ .*3\.9\ MiB\ .*4\.0\ KiB\ +[0-9.]+\ (ms|s)\ \ mem_sites\ \[.*malloc\ \<\ leak_site\ \<\ main ]]
	top=$(grep -A2 '^Top sites by allocated' "$TMP/out.txt" | tail -1)
	[[ "$top" == *"100,000"*"6.1 MiB"*"64 B"*"malloc < churn_site"* ]]
}

@test "mem: -p attaches to a running process through its maps" {
	mkfifo "$TMP/gate"
	"$W/mem_sites" "$TMP/gate" &
	BGPID=$!
	# mapped its own libc, not still the shell that forked it
	for _ in $(seq 300); do [ "$(cat /proc/$BGPID/comm)" = mem_sites ] && break; sleep 0.1; done
	[ "$(cat /proc/$BGPID/comm)" = mem_sites ]
	"$PROFILER" mem -v -p "$BGPID" -d 60 -f folded --value alloc_space -o "$TMP/out.folded" \
		2>"$TMP/err" &
	prof=$!
	# the probes must be in place before it allocates
	wait_collecting "$TMP/err"
	echo go > "$TMP/gate"
	wait "$prof"
	cat "$TMP/err" "$TMP/out.folded"
	grep -q "probes on malloc in /proc/$BGPID/root/.*libc" "$TMP/err"
	grep -q "targets exited" "$TMP/err"
	[ "$(site "$TMP/out.folded" churn_site)" -eq 6400000 ]
	[ "$(site "$TMP/out.folded" leak_site)" -eq 4096000 ]
}

@test "mem: --sample-every scales honestly and says so" {
	run "$PROFILER" mem -q --sample-every 10 --value alloc_objects \
		-o "$TMP/out.folded" -o "$TMP/out.txt" -- "$W/mem_sites"
	[ "$status" -eq 0 ]
	n=$(site "$TMP/out.folded" churn_site)
	echo "churn_site allocations, scaled: $n"
	# each allocation is tracked with probability 1/10, scaled by 10
	binomial_ok $((n / 10)) 100000 0.1
	grep -q 'sampled: 1 in 10 allocations tracked, values scaled by 10' "$TMP/out.txt"
}

@test "mem: --kernel uses the kmem tracepoints here and says why" {
	run "$PROFILER" mem --kernel --value alloc_objects -o "$TMP/out.folded" \
		-o "$TMP/out.txt" -- sh -c 'for i in $(seq 200); do cat /proc/self/status; done >/dev/null'
	[ "$status" -eq 0 ]
	head -3 "$TMP/out.txt"
	if [ -e /sys/bus/event_source/devices/kprobe ]; then
		grep -q 'kmem tracepoints.*kprobes available but not needed' "$TMP/out.txt"
	else
		grep -q 'kmem tracepoints.*kprobes not available on this kernel' "$TMP/out.txt"
	fi
	# the command and its children only (named profiler until their exec)
	n=$(folded_sum "$TMP/out.folded" '^(sh|cat|seq);')
	echo "allocations by the command: $n"
	[ "$n" -gt 200 ]
	! grep -Ev '^(sh|cat|seq|profiler);' "$TMP/out.folded" || false
	# kernel stacks whose leaf is the allocator, not the tracepoint's BPF frames
	grep -q ';kmem_cache_alloc[a-z_]*_\[k\] [0-9]*$' "$TMP/out.folded"
	! grep -E ';(bpf_prog_|bpf_trace_run)[^;]* [0-9]+$' "$TMP/out.folded" || false
}

@test "mem: --faults samples page faults with user stacks" {
	run "$PROFILER" mem --faults -f folded -o "$TMP/out.folded" -- "$W/mem_sites"
	[ "$status" -eq 0 ]
	n=$(folded_sum "$TMP/out.folded" '^mem_sites;')
	echo "faults: $n"
	# 5 MiB touched for the first time: at least one fault per 4 KiB page... of most of it
	[ "$n" -gt 600 ]
}

@test "mem: bad options fail with one line naming the fix" {
	run "$PROFILER" mem --kernel --faults -d 1
	[ "$status" -ne 0 ]
	[[ "$output" == *"--kernel and --faults"* ]]
	run "$PROFILER" mem --lib /nonexistent -d 1
	[ "$status" -ne 0 ]
	[[ "$output" == *"--lib '/nonexistent'"* ]]
	run "$PROFILER" mem -t 1 -d 1
	[ "$status" -ne 0 ]
	[[ "$output" == *"give -p PID"* ]]
	run "$PROFILER" mem --lib /bin/true -- /bin/true
	[ "$status" -ne 0 ]
	[[ "$output" == *"has no malloc and free"* ]]
	# the verifier would give up: said before loading, with the way out
	run "$PROFILER" mem --unwind fp --max-depth 1024 -- /bin/true
	[ "$status" -ne 0 ]
	[[ "$output" == *"--max-depth 1024 with --unwind fp"*"--max-depth 512 or less"* ]]
	[ "$(echo "$output" | wc -l)" -eq 1 ]
}
check_mem_fork() {	# run of mem_fork: its sites exact, each under its own pid
	[ "$status" -eq 0 ]
	cat "$TMP/out.txt"
	[ "$(site "$TMP/out.folded" parent_leak)" -eq 409600 ]	# 100 x 4096
	[ "$(site "$TMP/out.folded" child_leak)" -eq 1638400 ]	# 200 x 8192, forked
	[ "$(site "$TMP/out.folded" exec_leak)" -eq 819200 ]	# 50 x 16384, after exec
	pid_of() {	# COUNT FUNCTION: the pid in the leak table
		sed -n "s/^ *$1 .* mem_fork \[\([0-9]*\)\]: malloc < $2 .*/\1/p" "$TMP/out.txt" | head -1
	}
	p=$(pid_of 100 parent_leak)
	c=$(pid_of 200 child_leak)
	e=$(pid_of 50 exec_leak)
	[ -n "$p" ]
	[ -n "$c" ]
	[ -n "$e" ]
	[ "$p" != "$c" ]
	[ "$p" != "$e" ]
	[ "$c" != "$e" ]
	grep -q '^Lost: *none' "$TMP/out.txt"
}

@test "mem: -- CMD follows forked and exec'd children, each under its own pid" {
	run --separate-stderr "$PROFILER" mem -v --stats -o "$TMP/out.folded" -o "$TMP/out.txt" \
		-- "$W/mem_fork"
	check_mem_fork
	# where the kernel lets BPF signal the child at fork (6.13), nothing
	# is armed on every syscall of the machine
	if [[ "$stderr" == *"children are stopped in their parent's fork"* ]]; then
		[[ "$stderr" != *hold_sys_exit* ]]
		[[ "$stderr" == *"BPF hold_fork_task"* ]]
	else
		[[ "$stderr" == *"children are stopped at their first syscall exit"* ]]
	fi
}

# mem makes multi-uprobe links from 6.10 (6.6 has them, filtering by thread)
kernel_has_uprobe_multi() {
	local v
	v=$(uname -r | sed -n 's/^\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
	[ "${v% *}" -gt 6 ] || { [ "${v% *}" -eq 6 ] && [ "${v#* }" -ge 10 ]; }
}

@test "mem: the probes are multi-uprobe links where the kernel has them, perf-event uprobes where not, with the same exact counts" {
	# each perf-event uprobe waits for the kernel's grace periods as it
	# goes (6.12 and later), one after the other: 22 a process
	run --separate-stderr "$PROFILER" mem -v -o "$TMP/out.folded" -o "$TMP/out.txt" \
		-- "$W/mem_fork"
	check_mem_fork
	if kernel_has_uprobe_multi; then
		[[ "$stderr" == *"probes on malloc in "*"(multi-uprobe links)"* ]]
	else
		[[ "$stderr" != *"(multi-uprobe links)"* ]]
	fi
	PROFILER_TEST_NO_UPROBE_MULTI=1 run --separate-stderr "$PROFILER" mem -v \
		-o "$TMP/out.folded" -o "$TMP/out.txt" -- "$W/mem_fork"
	check_mem_fork
	[[ "$stderr" == *"probes on malloc in "* ]]
	[[ "$stderr" != *"(multi-uprobe links)"* ]]
}

@test "mem: an exited child's probes go while the run goes on, and the next child's allocations are exact" {
	# (never skipped under CI, whose kernel has them)
	kernel_has_uprobe_multi || { [ "${CI:-}" != true ]; skip "mem's multi-uprobe links need 6.10"; }
	# each probe a process leaves behind is one more consumer that every
	# hit of the probe in the others walks past
	run --separate-stderr "$PROFILER" mem -v -o "$TMP/out.folded" -o "$TMP/out.txt" \
		-- sh -c "for i in \$(seq 20); do /bin/true; done; sleep 1; $W/mem_fork"
	check_mem_fork
	n=$(echo "$stderr" | sed -n 's/.*exited processes go (\([0-9]*\) so far).*/\1/p' | tail -1)
	echo "probes gone at exit: $n processes"
	[ "$n" -ge 20 ]
}

@test "mem: children are held at their first syscall exit where BPF cannot signal them at fork" {
	PROFILER_NO_SIGNAL_TASK=1 run --separate-stderr "$PROFILER" mem -v --stats \
		-o "$TMP/out.folded" -o "$TMP/out.txt" -- "$W/mem_fork"
	check_mem_fork
	[[ "$stderr" == *"BPF hold_sys_exit"* ]]
	[[ "$stderr" != *hold_fork_task* ]]
}

@test "mem: C++ new is charged to the function that calls it, through libstdc++ without frame pointers" {
	run "$PROFILER" mem -q -o "$TMP/out.folded" -- "$W/newleak"
	[ "$status" -eq 0 ]
	cat "$TMP/out.folded"
	# exact, and with the caller of operator new (from .eh_frame)
	n=$(folded_sum "$TMP/out.folded" ';main;make_many\(\);make_widget\(\);operator new\(unsigned long\);malloc$')
	[ "$n" -eq 4096000 ]
	# the check can fail: a frame-pointer walk skips make_widget
	run "$PROFILER" mem -q --unwind fp -o "$TMP/fp.folded" -- "$W/newleak"
	[ "$status" -eq 0 ]
	[ "$(folded_sum "$TMP/fp.folded" 'make_widget')" -eq 0 ]
	[ "$(folded_sum "$TMP/fp.folded" ';make_many\(\);operator new\(unsigned long\);malloc$')" -eq 4096000 ]
}

@test "mem: munmap of part of a region, or of several, releases just that" {
	mem_by_value mem_mmap inuse_space alloc_space
	P=$(getconf PAGESIZE)
	mapped() { folded_sum "$1" ";$2;map;[a-z_]+$"; }	# FILE FUNCTION
	# 16 pages, 4 unmapped in the middle and 4 at the end
	[ "$(mapped "$TMP/alloc_space.folded" map_partial)" -eq $((16 * P)) ]
	[ "$(mapped "$TMP/inuse_space.folded" map_partial)" -eq $((8 * P)) ]
	# 8 pages, the first 2 unmapped
	[ "$(mapped "$TMP/inuse_space.folded" map_front)" -eq $((6 * P)) ]
	# two adjacent regions, one munmap over both; one munmap of a whole region
	for f in map_span_a map_span_b map_whole; do
		[ "$(mapped "$TMP/alloc_space.folded" $f)" -eq $((4 * P)) ]
		[ "$(mapped "$TMP/inuse_space.folded" $f)" -eq 0 ]
	done
}


@test "mem: the caller of an allocator without CFI at its entry is kept (x86-64)" {
	[ "$(uname -m)" = x86_64 ] || skip "the workload's allocator is x86-64 assembly"
	# nocfi_malloc has no row in the binary's .eh_frame, as libc's malloc
	# when its table is cut: its frame is sp + 8 at its first instruction
	run "$PROFILER" mem -q -f folded --lib "$W/mem_nocfi" --prefix nocfi_ \
		-o "$TMP/space.folded" -- "$W/mem_nocfi"
	[ "$status" -eq 0 ]
	run "$PROFILER" mem -q -f folded --value alloc_objects --lib "$W/mem_nocfi" \
		--prefix nocfi_ -o "$TMP/objects.folded" -- "$W/mem_nocfi"
	[ "$status" -eq 0 ]
	cat "$TMP"/*.folded
	# exact, and each under its caller (the old walk gave main;nocfi_malloc)
	[ "$(folded_sum "$TMP/space.folded" ';main;leak_site;nocfi_malloc$')" -eq 4096000 ]
	[ "$(folded_sum "$TMP/objects.folded" ';main;leak_site;nocfi_malloc$')" -eq 1000 ]
	[ "$(folded_sum "$TMP/objects.folded" ';main;churn_site;nocfi_malloc$')" -eq 1000 ]
	[ "$(folded_sum "$TMP/objects.folded" ';main;nocfi_malloc$')" -eq 0 ]
}


@test "mem: the AddressSanitizer build profiles cleanly, in every mode" {
	[ -x "$BUILD/asan/profiler" ] || skip "no ASan build"
	ASAN_OPTIONS=detect_leaks=1 run "$BUILD/asan/profiler" mem -o "$TMP/x.folded" -o - -- "$W/mem_sites"
	[ "$status" -eq 0 ]
	[[ "$output" == *"leak_site"* ]]
	[[ "$output" != *"AddressSanitizer"* && "$output" != *"runtime error"* ]]
	ASAN_OPTIONS=detect_leaks=1 run "$BUILD/asan/profiler" mem --kernel -d 1
	[ "$status" -eq 0 ]
	[[ "$output" != *"AddressSanitizer"* && "$output" != *"runtime error"* ]]
	ASAN_OPTIONS=detect_leaks=1 run "$BUILD/asan/profiler" mem --faults -f report -- "$W/mem_sites"
	[ "$status" -eq 0 ]
	[[ "$output" != *"AddressSanitizer"* ]]
	[[ "$output" != *"runtime error"* ]]
}

@test "mem: a forked child's leaks after its exec are named from its own program" {
	# lifegen-parent and lifegen-child are one program at one address with
	# other names: the child's 300 blocks of 1000 bytes, never freed, were
	# allocated at addresses its fork's copy of the parent also mapped (as
	# go build's compile and link); the old build wrote them [pid N reused]
	run "$PROFILER" mem -o "$TMP/out.folded" -- "$W/lifegen-parent" spawn "$W/lifegen-child" leak 300 1000
	[ "$status" -eq 0 ]
	leak=$(folded_sum "$TMP/out.folded" '^lifegen-child;.*;main;child_leak_one;.*malloc')
	echo "in use under child_leak_one: $leak bytes"
	[ "$leak" -eq 300000 ]
	! grep -E '\[pid [0-9]+ reused\]|parent_' "$TMP/out.folded" || false
}
