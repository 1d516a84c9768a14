#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The smoke suite `make test-kernels` runs inside the guest (busybox sh and
# awk, no bats): every collector loads and attaches (between them every BPF
# object: cpu, offcpu, mem, io, lock, latency and entry; Python frames) and gives the known answer
# of its workload (the answers of tests/integration/*.bats), and says which
# mechanism this kernel made it use.  One line per check, "ok N - …"
# or "not ok N - …", then "N passed, N failed".  A failed check prints the
# profiler's output and its -vv run (libbpf's and the verifier's log).
#   smoke.sh [CHECK...]    (default: all; names as in the list at the end)

P=/profiler/profiler
W=/profiler/workloads
T=/tmp/smoke
# no run may hang the suite: a stuck profiler is a failed check
LIMIT=${SMOKE_LIMIT:-240}
mkdir -p "$T"
checks=0
passed=0
failed=0

# Sum of the counts of folded lines whose stack matches an awk regex.
folded_sum() {	# FILE REGEX
	awk -v re="$2" '{ line = $0; v = $NF; sub(/ [0-9]+$/, "", line); if (line ~ re) s += v }
		END { printf "%.0f\n", s }' "$1"
}

# true when |a - b| <= t
within() {	# A B T
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'
}

# the profiler, bounded in time; its stderr in $T/err
prof() {
	timeout "$LIMIT" "$P" "$@" 2>"$T/err"
}

# Record one check: NAME, then the command whose status decides it.  Its
# output goes to the console only when it fails.
check() {	# NAME FUNCTION
	name=$1
	shift
	checks=$((checks + 1))
	rm -f "$T/err"
	start=$(date +%s)
	if "$@" >"$T/log" 2>&1; then
		passed=$((passed + 1))
		echo "ok $checks - $name ($(( $(date +%s) - start )) s)"
		sed -n 's/^NOTE: /# /p' "$T/log"
	else
		failed=$((failed + 1))
		echo "not ok $checks - $name ($(( $(date +%s) - start )) s)"
		sed 's/^/#   /' "$T/log"
		[ -s "$T/err" ] && sed 's/^/#   stderr: /' "$T/err"
	fi
}

# Rerun a failed profile with -vv so the console carries the verifier's log.
verbose_log() {	# ARGS...
	timeout "$LIMIT" "$P" "$@" -vv 2>&1 >/dev/null | tail -200
}

# A 3:1 split: THREE samples of one side, ONE of the other, within five
# standard deviations of a binomial share of their sum
split_ok() {	# WHAT THREE ONE
	awk -v w="$1" -v a="$2" -v b="$3" 'BEGIN {
		n = a + b; if (n < 400) { print "too few samples: " n; exit 1 }
		# squared: busybox awk may have no sqrt()
		p = a / n; var = 0.75 * 0.25 / n; d = p - 0.75
		printf "NOTE: %s three=%d one=%d share=%.4f, (share-0.75)^2=%.6f, (5 sd)^2=%.6f\n",
			w, a, b, p, d * d, 25 * var
		exit !(d * d <= 25 * var) }'
}

# .eh_frame tables, one BPF array per binary in an array of maps, and a
# --max-depth above the kernel's 127: qsort's comparator, called from
# libc (no frame pointers), still reaches main
cpu_tables() {
	prof cpu -F 999 --max-depth 300 --stats -o "$T/q.folded" -- "$W/qsort_slow" 2 ||
		{ verbose_log cpu -d 1 -a; return 1; }
	grep 'unwind tables' "$T/err"
	all=$(folded_sum "$T/q.folded" '^qsort_slow;')
	main=$(folded_sum "$T/q.folded" '^qsort_slow;.*;main;.*slow_compare')
	echo "NOTE: through libc to main: $main of $all"
	[ "$main" -gt $((all / 2)) ] && grep -q 'rows in' "$T/err" && ! grep -q 'no unwind table' "$T/err"
}

# Go (src/symbol/gopclntab*.c): names and rows from .gopclntab, and the
# BPF unwinder's step from C back to its goroutine (UNW_GO_CGO)
go_cgo() {
	prof cpu -F 999 -o "$T/go.folded" -- "$W/go/gocgo" 5 || { verbose_log cpu -d 1 -a; return 1; }
	# (no backslashes: busybox awk's -v takes them as escapes)
	all=$(folded_sum "$T/go.folded" ';c_spin')
	whole=$(folded_sum "$T/go.folded" '^gocgo;runtime.goexit;runtime.main;main.main;main.callC;.*;runtime.asmcgocall;(_cgo_[0-9a-f]+_Cfunc_c_spin;)?c_spin')
	echo "NOTE: Go: $whole of $all samples in C reach main.main through cgocall"
	[ "$all" -gt 100 ] && [ $((whole * 100)) -ge $((all * 95)) ] ||
		{ sort -t' ' -k2 -rn "$T/go.folded" | head -5; return 1; }
}

cpu_split() {
	prof cpu -F 999 -o "$T/cpu.folded" -- "$W/burn31" 2 || { verbose_log cpu -d 1 -a; return 1; }
	split_ok spin "$(folded_sum "$T/cpu.folded" ';spin_three$')" \
		"$(folded_sum "$T/cpu.folded" ';spin_one$')"
}

# The program's own frame-pointer walk (bpf/fp_walk.bpf.h, bpf_loop) and
# the leaf check (bpf/code_check.bpf.h): the same split, frames pointers only
cpu_fp_split() {
	prof cpu -F 999 --unwind fp -o "$T/fp.folded" -- "$W/burn31" 2 ||
		{ verbose_log cpu -d 1 -a --unwind fp; return 1; }
	split_ok spin "$(folded_sum "$T/fp.folded" ';main;[a-z_;]*spin_three$')" \
		"$(folded_sum "$T/fp.folded" ';main;[a-z_;]*spin_one$')"
}

# Python frames (bpf/python.bpf.h, bpf_loop): the 3:1 split between two
# Python functions, each under the interpreter frame that runs it
python_split() {
	[ -x /usr/bin/python3.11 ] || { echo "no python3.11 in the initramfs: scripts/deps.sh"; return 1; }
	PYTHONHOME=/profiler/pyhome prof cpu -F 999 -o "$T/py.folded" -- \
		/usr/bin/python3.11 -S "$W/smoke31.py" 2 || { verbose_log cpu -d 1 -a; return 1; }
	under=';_PyEval_EvalFrameDefault;<module> [(]smoke31[.]py:[0-9]+[)]_[[]p[]];main [(]smoke31[.]py:[0-9]+[)]_[[]p[]];'
	split_ok python "$(folded_sum "$T/py.folded" "${under}three [(]")" \
		"$(folded_sum "$T/py.folded" "${under}one [(]")"
}

mem_leak() {
	prof mem -q -f folded --value inuse_space -o "$T/mem.folded" -- "$W/mem_sites" ||
		{ verbose_log mem -d 1 -p 1; return 1; }
	leak=$(folded_sum "$T/mem.folded" ';leak_site;[a-z_]+$')
	churn=$(folded_sum "$T/mem.folded" ';churn_site;[a-z_]+$')
	echo "NOTE: leak_site=$leak bytes churn_site=$churn bytes in use"
	[ "$leak" -eq 4096000 ] && [ "$churn" -eq 0 ]
}

mem_kernel() {
	prof mem --kernel --value alloc_objects -o "$T/kmem.folded" -o "$T/kmem.txt" \
		-- sh -c 'for i in $(seq 200); do cat /proc/self/status; done >/dev/null' ||
		{ verbose_log mem --kernel -d 1; return 1; }
	head -3 "$T/kmem.txt"
	how=$(sed -n 's/^.*kernel allocations via \([^(]*\).*/\1/p' "$T/kmem.txt" | head -1)
	echo "NOTE: mem --kernel used: $how"
	count=$(folded_sum "$T/kmem.folded" '^(sh|cat|seq);')
	echo "NOTE: allocations by the command: $count"
	[ "$count" -gt 200 ] || return 1
	# the mechanism the report names is the one this kernel should give
	if [ -e /sys/bus/event_source/devices/kprobe ]; then
		grep -q 'kmem tracepoints.*kprobes available but not needed' "$T/kmem.txt"
	else
		grep -q 'kmem tracepoints.*kprobes not available on this kernel' "$T/kmem.txt"
	fi
	# kernel stacks end in the allocator, not in the probe's own frames
	grep -q ';k[a-z_]*alloc[a-z_]*_\[k\] [0-9]*$' "$T/kmem.folded" &&
		! grep -E ';(bpf_prog_|bpf_trace_run|kprobe_)[^;]* [0-9]+$' "$T/kmem.folded"
}

lock_names() {
	prof lock --user -o "$T/lock.txt" -o "$T/lock.folded" -- "$W/lockfight" 20000 ||
		{ verbose_log lock -d 1; return 1; }
	first=$(awk '/^Top by lock/ { on = 1; getline; next } on && NF == 0 { exit }
		on { sub(/^.*  lock:/, "lock:"); print }' "$T/lock.txt" | grep -v '\[anon\]' | head -1)
	# [(] rather than \(: busybox awk takes the escape out of a -v string
	wait=$(folded_sum "$T/lock.folded" '^lockfight;lock:big_lock [(]futex mutex[)];.*;update_shared_counter;')
	echo "NOTE: first lock: $first, waited in update_shared_counter: $wait ns"
	[ "$first" = "lock:big_lock (futex mutex)" ] && [ "$wait" -gt 0 ]
}

# The lifetime tag: lifegen-parent and lifegen-child are one program at one
# address under other names; the child, forked and exec'd as go build runs
# compile and link, is named from its own program, never [pid N reused]
# (mem.bats' and lock.bats' tests of the same name)
mem_life() {
	prof mem -o "$T/life.folded" -- "$W/lifegen-parent" spawn "$W/lifegen-child" leak 300 1000 ||
		{ verbose_log mem -d 1 -p 1; return 1; }
	leak=$(folded_sum "$T/life.folded" '^lifegen-child;.*;main;child_leak_one;.*malloc')
	echo "NOTE: in use under the child's child_leak_one: $leak bytes (truth 300000)"
	[ "$leak" -eq 300000 ] && ! grep -E '\[pid [0-9]+ reused\]|parent_' "$T/life.folded"
}

lock_life() {
	prof lock --user --value contentions -o "$T/llife.folded" -- \
		"$W/lifegen-parent" spawn "$W/lifegen-child" lock 200 || { verbose_log lock -d 1; return 1; }
	total=$(folded_sum "$T/llife.folded" '^lifegen-child;')
	named=$(folded_sum "$T/llife.folded" '^lifegen-child;.*;child_lock_loop;')
	echo "NOTE: the child's contentions: $total, in child_lock_loop: $named"
	[ "$named" -ge 100 ] && [ "$named" -ge $((total * 95 / 100)) ] &&
		! grep -E '\[pid [0-9]+ reused\]|parent_' "$T/llife.folded"
}

# offcpu under FORCE (empty: tp_btf; 1: the raw_tp fallback), against the truth
offcpu_waits() {	# FORCE
	PROFILER_OFFCPU_RAW_TP=$1 prof offcpu -v -o "$T/off.folded" -o "$T/off.txt" -- "$W/waits" 2 ||
		{ verbose_log offcpu -d 1; return 1; }
	cat "$T/err"
	how=$(sed -n 's/.*attached as \([a-z_]*\).*/\1/p' "$T/err" | head -1)
	sleep_ns=$(sed -n 's/.*sleep_ns=\([0-9]*\).*/\1/p' "$T/err")
	read_ns=$(sed -n 's/.*read_ns=\([0-9]*\).*/\1/p' "$T/err")
	a=$(folded_sum "$T/off.folded" '^sleeper;.*;sleep_in_a;.*nanosleep')
	b=$(folded_sum "$T/off.folded" '^reader;.*;read_in_b;.*read')
	lost=$(grep -c 'lost' "$T/off.folded")
	echo "NOTE: attached as $how; sleep_in_a=$a (truth $sleep_ns) read_in_b=$b (truth $read_ns); stacks with a lost part: $lost"
	[ -n "$sleep_ns" ] && [ -n "$read_ns" ] || return 1
	[ "$sleep_ns" -gt 1000000000 ] && [ "$read_ns" -gt 1000000000 ] &&
		within "$a" "$sleep_ns" $((sleep_ns / 5)) &&
		within "$b" "$read_ns" $((read_ns / 5)) &&
		[ "$lost" -eq 0 ] && ! grep -q 'did not fit' "$T/err" &&
		grep -Eq '%  read: (anon_)?pipe_read$' "$T/off.txt" &&
		grep -Eq '%  nanosleep: do_nanosleep$' "$T/off.txt" &&
		grep -Eq '%  read_in_b  \[waits\]  \(read\)$' "$T/off.txt" &&
		if [ -n "$1" ]; then [ "$how" = raw_tp ]; else [ -n "$how" ]; fi
}
offcpu_btf() { offcpu_waits ""; }
offcpu_raw() { offcpu_waits 1; }

# A short command, first thing after boot: once took minutes on this
# kernel (not seen again; each run is bounded by LIMIT either way).
offcpu_short() {
	for i in 1 2 3 4 5 6 7 8 9 10; do
		prof offcpu -o "$T/short.folded" -- sleep 0.3 || { cat "$T/err"; return 1; }
		! grep -q 'did not fit\|lost' "$T/err" "$T/short.folded" || { cat "$T/err" "$T/short.folded"; return 1; }
	done
}

io_count() {
	N=200
	dev=$(ls /sys/block | grep '^vd' | head -1)
	[ -n "$dev" ] || { echo "no virtio disk"; return 1; }
	prof io --disk "$dev" -o "$T/io.folded" -o "$T/io.txt" -- "$W/dio" "/dev/$dev" $N ||
		{ verbose_log io -d 1; return 1; }
	echo "scheduler: $(cat /sys/block/$dev/queue/scheduler), queues: $(ls /sys/block/$dev/mq | wc -l)"
	head -5 "$T/io.txt"
	cat "$T/io.folded"
	total=$(folded_sum "$T/io.folded" '^dio;')
	w=$(folded_sum "$T/io.folded" '^dio;.*;main;write_blocks;')
	r=$(folded_sum "$T/io.folded" '^dio;.*;main;read_blocks;')
	how=$(sed -n 's/^Profile: .*(\(.*\)).*/\1/p' "$T/io.txt" | head -1)
	echo "NOTE: /dev/$dev: total=$total writes=$w reads=$r (truth >= $((2 * N)), $N, $N); via ${how:-?}"
	[ "$total" -ge $((2 * N)) ] && [ "$w" -ge $N ] && [ "$r" -ge $N ] &&
		! grep -v '^dio;' "$T/io.folded"
}

wall_split() {
	prof wall -o "$T/wall.folded" -- "$W/waits" 1 burn || { verbose_log wall -d 1; return 1; }
	c=$(folded_sum "$T/wall.folded" ';burn_in_c')
	a=$(folded_sum "$T/wall.folded" ';sleep_in_a;')
	echo "NOTE: wall: burn_in_c=$c ns sleep_in_a=$a ns"
	[ "$c" -gt 300000000 ] && [ "$a" -gt 300000000 ]
}

# The CALLS (or, with last, the last) column of a report's Functions row.
func_col() {	# FILE LABEL [last]
	awk -v l="$2" -v last="$3" 'index($0, "  " l "  ") == 1 {
		rest = substr($0, length(l) + 3); split(rest, a, " ")
		print (last == "" ? a[1] : $NF); found = 1; exit }
		END { if (!found) print "none" }' "$1"
}

latency_user() {
	prof latency recurse fast -o "$T/lat.txt" -o "$T/lat.folded" -- "$W/latency" recurse 100 10 ||
		{ verbose_log latency fast -d 1 -a; return 1; }
	r=$(func_col "$T/lat.txt" "recurse (latency)")
	f=$(func_col "$T/lat.txt" "fast (latency)")
	rr=$(folded_sum "$T/lat.folded" '^latency;recurse;recurse$')
	prof latency jumper deep -o "$T/jump.txt" -- "$W/latency" jump 50 || return 1
	j=$(func_col "$T/jump.txt" "jumper (latency)")
	d=$(func_col "$T/jump.txt" "deep (latency)" last)
	echo "NOTE: latency: recurse=$r (1100) fast=$f (100) recurse<-recurse=$rr (1000); jumper=$j (50), deep never returned=$d (50)"
	[ "$r" = 1100 ] && [ "$f" = 100 ] && [ "$rr" = 1000 ] && [ "$j" = 50 ] && [ "$d" = 50 ]
}

latency_syscall() {
	prof latency syscall:getppid -o "$T/lsys.txt" -- "$W/latency" sys 1234 ||
		{ verbose_log latency syscall:getppid -d 1; return 1; }
	n=$(func_col "$T/lsys.txt" "syscall:getppid")
	echo "NOTE: latency syscall:getppid=$n (1234)"
	[ "$n" = 1234 ]
}

# kernel: works through kprobes (or fentry) where the kernel has them, else one line
latency_kernel() {
	if prof latency kernel:vfs_read -o "$T/lk.txt" -- "$W/latency" sys 5; then
		n=$(func_col "$T/lk.txt" "kernel:vfs_read")
		how=$(sed -n 's/^Profile: .*kernel functions *(\(.*\)).*/\1/p' "$T/lk.txt" | head -1)
		echo "NOTE: latency kernel:vfs_read=$n via ${how:-?}"
		[ "$n" -ge 1 ]
	else
		echo "NOTE: latency kernel: refused: $(cat "$T/err")"
		[ ! -e /sys/bus/event_source/devices/kprobe ] && [ "$(wc -l < "$T/err")" -eq 1 ] &&
			grep -q 'needs kprobes or fentry/fexit' "$T/err"
	fi
}

# --cgroup (bpf/targets.bpf.h: the task's cgroup and its ancestors through
# CO-RE): of two burners, only the one in a cgroup below the target is
# sampled, on cpu (current task) and offcpu (sched_switch's prev), and its
# samples carry the cgroup's path
cgroup_filter() {
	cg=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$cg" ] || { cg=/sys/fs/cgroup; mount -t cgroup2 none $cg || return 1; }
	mkdir -p $cg/smoke/in || return 1
	sh -c "echo \$\$ > $cg/smoke/in/cgroup.procs; exec $W/burn31 600" 2>/dev/null &
	inside=$!
	"$W/burn31" 600 2>/dev/null &
	outside=$!
	prof cpu -F 999 --cgroup smoke -d 2 --group-by pid -o "$T/cg.folded" -o "$T/cg.txt"
	rc=$?
	# then sleepers inside and outside: waits for offcpu to find, or wrongly keep
	sh -c "echo \$\$ > $cg/smoke/in/cgroup.procs; while :; do sleep 0.05; done" 2>/dev/null &
	sleeper_in=$!
	sh -c 'while :; do sleep 0.05; done' 2>/dev/null &
	sleeper_out=$!
	prof offcpu --cgroup /smoke -d 1 --group-by cgroup -o "$T/cgoff.folded" || rc=1
	kill $inside $outside $sleeper_in $sleeper_out
	wait $inside $outside $sleeper_in $sleeper_out 2>/dev/null
	sleep 0.2	# the last sleep child leaves the cgroup
	rmdir $cg/smoke/in $cg/smoke
	[ $rc -eq 0 ] || { verbose_log cpu --cgroup / -d 1; return 1; }
	in=$(folded_sum "$T/cg.folded" "^burn31-$inside;")
	all=$(folded_sum "$T/cg.folded" '.')
	off=$(folded_sum "$T/cgoff.folded" "^/smoke/in;")
	offall=$(folded_sum "$T/cgoff.folded" '.')
	row=$(grep -A3 '^Top cgroups' "$T/cg.txt" | grep '/smoke/in$')
	echo "NOTE: --cgroup: inside $in of $all samples; offcpu: /smoke/in $off of $offall ns; report: $row"
	# the sleeper inside waits most of the second
	[ "$in" -gt 100 ] && [ "$in" -eq "$all" ] && [ "$off" -gt 100000000 ] &&
		[ "$off" -eq "$offall" ] && [ -n "$row" ]
}

# Thousands of new stacks in seconds: each is allocated as it comes, and
# what the kernel's allocator refuses at that instant waits in the spill
# (sized per CPU, src/runtime/map_sizes.c) until the next window; 6.1's
# allocator refills its caches more slowly than 6.18's.  None may be lost;
# the spill's use is noted.
cpu_new_stacks() {
	prof cpu -v -F 999 -o "$T/many.folded" -- "$W/manystacks" 3 cpu ||
		{ verbose_log cpu -d 1 -a; return 1; }
	moved=$(sed -n 's/.* \([0-9]*\) of the spill.s [0-9]* stacks moved.*/\1/p' "$T/err" |
		awk '{ s += $1; if ($1 > m) m = $1 } END { printf "%d, %d at most at one window", s, m }')
	echo "NOTE: $(folded_sum "$T/many.folded" '^manystacks;') samples, $(wc -l < "$T/many.folded") stacks; through the spill: $moved"
	! grep -q 'stacks not kept' "$T/err" && ! grep -q '\[lost' "$T/many.folded"
}

# Before 6.1 the verifier refuses perf events' programs that use hash maps
# allocating as they fill, as every collector's stacks maps do: each
# collector then says so in one line naming the kernel and what it needs,
# before loading anything, and exits non-zero.  (Checked on Debian 11's
# 5.10: KERNELS=5.10 make test-kernels.)
too_old() {
	for c in cpu offcpu wall mem io lock; do
		set -- -d 0.2
		[ "$c" = mem ] && set -- -- /bin/true
		prof $c "$@" -o "$T/old.out" && { echo "$c ran"; return 1; }
		lines=$(wc -l < "$T/err")
		echo "NOTE: $c: $(cat "$T/err")"
		[ "$lines" -eq 1 ] || { echo "$c: $lines lines"; return 1; }
		grep -q "this kernel ($(uname -r)) .* needs Linux 6.1 or later" "$T/err" || return 1
	done
}

all="offcpu_short cpu_split cpu_fp_split python_split cpu_tables cpu_new_stacks go_cgo mem_leak mem_kernel mem_life lock_names lock_life offcpu_btf offcpu_raw wall_split io_count latency_user latency_syscall latency_kernel cgroup_filter"
echo "# kernel $(uname -r), $(nproc) CPUs; kprobes: $([ -e /sys/bus/event_source/devices/kprobe ] && echo yes || echo no)"
# a kernel the profiler refuses: that it says so is the one check (a PID
# that no process has ends the run at the next check, before any load)
if ! "$P" cpu -p 4194303 -o /dev/null 2>"$T/first" && grep -q "needs Linux 6.1" "$T/first"; then
	all=too_old
fi
for c in ${*:-$all}; do
	check "$(echo "$c" | tr _ ' ')" "$c"
done
echo "$passed passed, $failed failed"
