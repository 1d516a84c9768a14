#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Cost per malloc+free pair: a storm bare, under profiler mem (full
# tracking with stacks from .eh_frame, the same with frame pointers, and
# --sample-every 100), and under the equivalent bpftrace
# script (malloc uprobe + uretprobe with the user stack, free uprobe), in
# one run.  Usage: scripts/bench/mem.sh [BUILD] [PAIRS] [ROUNDS]
set -euo pipefail

BUILD=${1:-build}
N=${2:-1000000}
ROUNDS=${3:-3}
W=$BUILD/workloads/mem_storm
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

per_pair() { sed -n 's/^ns_per_pair=//p' "$1" | tail -1; }
run_bare() { "$W" "$N" 2>"$TMP/o"; per_pair "$TMP/o"; }
run_ours() { "$BUILD/profiler" mem -q "$@" -o /dev/null -f folded -- "$W" "$N" 2>"$TMP/o"; per_pair "$TMP/o"; }
run_bt() { bpftrace -c "$W $N" "$TMP/$1.bt" >/dev/null 2>"$TMP/o"; per_pair "$TMP/o"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A res
NAMES="bare floor ours ours_fp ours_sampled bpftrace"
for name in $NAMES; do
	: > "$TMP/$name"
done
for r in $(seq "$ROUNDS"); do
	run_bare >> "$TMP/bare"
	run_ours >> "$TMP/ours"
	run_ours --unwind fp >> "$TMP/ours_fp"
	run_ours --sample-every 100 >> "$TMP/ours_sampled"
	if command -v bpftrace >/dev/null; then
		run_bt floor >> "$TMP/floor"
		run_bt mem >> "$TMP/bpftrace"
	fi
done
for name in $NAMES; do
	res[$name]=$(median < "$TMP/$name")
done
us() { awk -v n="$1" 'BEGIN { if (n == "") print "n/a"; else printf "%.2f", n / 1000 }'; }
echo "malloc(64)+free pairs: $N, median of $ROUNDS rounds, $(nproc) CPUs, $(uname -r)"
printf "%-40s %10s %12s\n" "run" "us/pair" "added us"
printf "%-40s %10s %12s\n" "bare" "$(us "${res[bare]}")" "-"
for name in floor ours ours_fp ours_sampled bpftrace; do
	label=$name
	[ "$name" = floor ] && label="3 empty probes (the traps alone)"
	[ "$name" = ours ] && label="profiler mem (full tracking)"
	[ "$name" = ours_fp ] && label="profiler mem --unwind fp"
	[ "$name" = ours_sampled ] && label="profiler mem --sample-every 100"
	[ "$name" = bpftrace ] && label="bpftrace (uprobe+uretprobe+ustack, free)"
	add=$(awk -v a="${res[$name]}" -v b="${res[bare]}" 'BEGIN { if (a == "") print "n/a"; else printf "%.2f", (a - b) / 1000 }')
	printf "%-40s %10s %12s\n" "$label" "$(us "${res[$name]}")" "$add"
done
