#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Cost per malloc+free pair: a storm bare, under profiler mem (full
# tracking with stacks from .eh_frame, the same with frame pointers, and
# --sample-every 100), and under the equivalent bpftrace
# script (malloc uprobe + uretprobe with the user stack, free uprobe), in
# one run.  With BASE=/path/to/an/older/build (or its profiler), that build's profiler runs
# too, default and --unwind fp, in the same rounds.  Each round runs every
# variant once, in an order turned by one each round, so that a slow spell
# of a shared machine does not fall on one variant; the table gives medians.
# Two tables: wall time per pair, and the storm thread's CPU time per pair
# (the traps and the probes run on it), which waits for a CPU on a busy
# machine do not swell.
# Usage: [BASE=DIR] scripts/bench/mem.sh [BUILD] [PAIRS] [ROUNDS]
set -euo pipefail

BUILD=${1:-build}
N=${2:-1000000}
ROUNDS=${3:-3}
W=$BUILD/workloads/mem_storm
# BASE: an older build's directory, or its profiler binary
BASEP=${BASE:-}
[ -d "$BASEP" ] && BASEP=$BASEP/profiler
make --no-print-directory "$BUILD/profiler" "$W" >/dev/null
LIBC=$(ldd "$W" | awk '/libc\.so/ { print $3 }')
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cat > "$TMP/mem.bt" <<BT
uprobe:$LIBC:malloc /pid == cpid/ { @size[tid] = arg0; @stack[tid] = ustack; }
uretprobe:$LIBC:malloc /pid == cpid && @size[tid]/ {
	@live[retval] = @size[tid];
	@bytes[@stack[tid]] = sum(@size[tid]);
	delete(@size[tid]);
	delete(@stack[tid]);
}
uprobe:$LIBC:free /pid == cpid/ { delete(@live[arg0]); }
END { clear(@live); clear(@bytes); }
BT
# The same three probes doing nothing: what the traps alone cost.
cat > "$TMP/floor.bt" <<BT
uprobe:$LIBC:malloc /pid == cpid/ { }
uretprobe:$LIBC:malloc /pid == cpid/ { }
uprobe:$LIBC:free /pid == cpid/ { }
BT
# The same without the return probe: what malloc's uretprobe trap costs.
cat > "$TMP/floor_entry.bt" <<BT
uprobe:$LIBC:malloc /pid == cpid/ { }
uprobe:$LIBC:free /pid == cpid/ { }
BT

# "wall cpu", ns per pair
per_pair() {
	echo "$(sed -n 's/^ns_per_pair=//p' "$1" | tail -1) $(sed -n 's/^cpu_ns_per_pair=//p' "$1" | tail -1)"
}
run_bare() { "$W" "$N" 2>"$TMP/o"; per_pair "$TMP/o"; }
run_ours() { "$BUILD/profiler" mem -q "$@" -o /dev/null -f folded -- "$W" "$N" 2>"$TMP/o"; per_pair "$TMP/o"; }
run_base() { "$BASEP" mem -q "$@" -o /dev/null -f folded -- "$W" "$N" 2>"$TMP/o"; per_pair "$TMP/o"; }
run_bt() { bpftrace -c "$W $N" "$TMP/$1.bt" >/dev/null 2>"$TMP/o"; per_pair "$TMP/o"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A res
NAMES="bare floor floor_entry ours ours_fp ours_sampled bpftrace"
[ -n "${BASE:-}" ] && NAMES+=" base base_fp"
command -v bpftrace >/dev/null || NAMES=$(echo "$NAMES" | sed 's/floor floor_entry //; s/bpftrace//')
for name in $NAMES; do
	: > "$TMP/$name.wall"
	: > "$TMP/$name.cpu"
done
run_one() {
	case $1 in
	bare) run_bare ;;
	floor) run_bt floor ;;
	floor_entry) run_bt floor_entry ;;
	bpftrace) run_bt mem ;;
	ours) run_ours ;;
	ours_fp) run_ours --unwind fp ;;
	ours_sampled) run_ours --sample-every 100 ;;
	base) run_base ;;
	base_fp) run_base --unwind fp ;;
	esac
}
read -ra order <<< "$NAMES"
for r in $(seq "$ROUNDS"); do
	for i in "${!order[@]}"; do
		name=${order[(i + r) % ${#order[@]}]}
		read -r wall cpu < <(run_one "$name")
		echo "$wall" >> "$TMP/$name.wall"
		echo "$cpu" >> "$TMP/$name.cpu"
	done
done
us() { awk -v n="$1" 'BEGIN { if (n == "") print "n/a"; else printf "%.2f", n / 1000 }'; }
table() {	# wall|cpu
	local m=$1 name label add above
	for name in $NAMES; do
		res[$name]=$(median < "$TMP/$name.$m")
	done
	printf "%-40s %10s %12s %12s\n" "run ($m)" "us/pair" "added us" "above floor*"
	printf "%-40s %10s %12s %12s\n" "bare" "$(us "${res[bare]}")" "-" "-"
	for name in $NAMES; do
		[ "$name" = bare ] && continue
		label=$name
		[ "$name" = floor ] && label="3 empty probes (the traps alone)"
		[ "$name" = floor_entry ] && label="2 empty uprobes (no uretprobe)"
		[ "$name" = ours ] && label="profiler mem (full tracking)"
		[ "$name" = ours_fp ] && label="profiler mem --unwind fp"
		[ "$name" = ours_sampled ] && label="profiler mem --sample-every 100"
		[ "$name" = bpftrace ] && label="bpftrace (uprobe+uretprobe+ustack, free)"
		[ "$name" = base ] && label="profiler mem, BASE build"
		[ "$name" = base_fp ] && label="profiler mem --unwind fp, BASE build"
		add=$(awk -v a="${res[$name]}" -v b="${res[bare]}" 'BEGIN { if (a == "") print "n/a"; else printf "%.2f", (a - b) / 1000 }')
		# above the floor: the median of each round's difference, the two
		# taken minutes apart at most rather than medians taken apart
		above=n/a
		[ -s "$TMP/floor.$m" ] && above=$(paste "$TMP/$name.$m" "$TMP/floor.$m" |
			awk '{ print $1 - $2 }' | median | awk '{ printf "%+.2f", $1 / 1000 }')
		printf "%-40s %10s %12s %12s\n" "$label" "$(us "${res[$name]}")" "$add" "$above"
	done
}
echo "malloc(64)+free pairs: $N, median of $ROUNDS rounds, $(nproc) CPUs, $(uname -r)"
table wall
table cpu
echo "all runs, ns/pair (wall / cpu):"
for name in $NAMES; do
	echo "  $name: $(tr '\n' ' ' < "$TMP/$name.wall")/ $(tr '\n' ' ' < "$TMP/$name.cpu")"
done
echo "* median over rounds of (this run - the floor's run of the same round)"

# The BPF programs' own run time per pair (kernel.bpf_stats_enabled, through
# --stats): what the probes add beyond the traps, free of most of the
# machine's noise.  The floor's own three programs (bpftrace's, empty) are
# not counted here.
bpf_per_pair() {	# PROFILER [OPTIONS]
	local p=$1
	shift
	"$p" mem -q --stats "$@" -o /dev/null -f folded -- "$W" "$N" 2>&1 |
		awk -v n="$N" '/^  BPF .* runs, / {
				runs = $3; each = $5
				gsub(",", "", runs)
				# the probes that run on each pair; the fork and exec
				# tracepoints run for every process of the machine
				if (runs + 0 < n)
					next
				us = runs * each / n
				tot += us
				out = out sprintf(" %s %.2f", $2, us)
			}
			END { printf "%.2f us/pair:%s\n", tot, out }'
}
echo "BPF run time per pair (--stats, one run each):"
echo "  profiler mem: $(bpf_per_pair "$BUILD/profiler")"
echo "  profiler mem --unwind fp: $(bpf_per_pair "$BUILD/profiler" --unwind fp)"
if [ -n "${BASE:-}" ]; then
	echo "  BASE profiler mem: $(bpf_per_pair "$BASEP")"
	echo "  BASE profiler mem --unwind fp: $(bpf_per_pair "$BASEP" --unwind fp)"
fi
