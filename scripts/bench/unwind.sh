#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# User stacks through code built without frame pointers: qsort_slow spends
# its time in a comparator that Debian's libc (no frame pointers) calls
# from its merge sort.  Profiled -p for DUR seconds at 999 Hz by
#   profiler cpu (.eh_frame tables in BPF, the default), profiler cpu
#   --unwind fp, perf record -g (frame pointers), perf record --call-graph
#   dwarf (8 KiB of stack copied per sample, unwound afterwards);
# for each: the share of samples whose stack reaches main, the tool's CPU
# seconds (perf's include perf script), our BPF time per sample
# (kernel.bpf_stats_enabled) and perf.data's size.
# Prints a markdown section on stdout.  Usage: scripts/bench/unwind.sh [BUILD]
set -euo pipefail
build=${1:-build}
dur=${DUR:-5}
P=$build/profiler
W=$build/workloads
here=$(dirname "$0")
. "$here/lib.bash"

command -v perf >/dev/null || { echo "unwind.sh: perf is missing: scripts/deps.sh --bench" >&2; exit 1; }

# user+sys CPU seconds of a command (and its children); its stderr to $tmp/err
cpu_secs() {
	local TIMEFORMAT='%U %S' t
	t=$( { time "$@" >/dev/null 2>"$tmp/err"; } 2>&1 | tail -1)
	awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.3f\n", a[1] + a[2] }'
}

# percent of FILE's qsort_slow samples whose stack holds main (perf script
# of a -p recording prints no CPU, and the collapser then keeps the whole
# header line as the comm: anything up to the first ';')
main_share() {
	awk '{ n = $NF; line = $0; sub(/ [0-9]+$/, "", line)
		if (line !~ /^qsort_slow[^;]*;/) next
		all += n; if (line ~ /;main(;|$)/) hit += n }
		END { printf "%.1f%%", all ? 100 * hit / all : 0 }' "$1"
}

perf_fold() {	# DATA FOLDED
	perf script -i "$1" 2>/dev/null | awk -f "$here/collapse-perf.awk" > "$2"
}

"$W/qsort_slow" $((dur * 6 + 30)) & loads+=($!)
q=${loads[-1]}
sleep 0.5

echo "## Unwinding through code without frame pointers"
echo
echo "\`qsort_slow\` profiled with -p for ${dur} s at 999 Hz: its comparator is called by libc's"
echo "merge sort, and Debian's libc has no frame pointers.  CPU s: the tool's user + sys"
echo "(perf: record + script).  BPF: our program's run time per sample of the target."
echo
echo "| tool | stacks reaching main | CPU s | BPF per sample | data |"
echo "| --- | --- | --- | --- | --- |"

for mode in dwarf fp; do
	secs=$(cpu_secs "$P" cpu -F 999 -d "$dur" -p "$q" --unwind "$mode" --stats -q \
		-o "$tmp/$mode.folded")
	# --stats: "BPF cpu_sample  N runs, X us each, Y ms in all"
	ms=$(sed -n 's/.*BPF cpu_sample .* \([0-9.]*\) ms in all.*/\1/p' "$tmp/err")
	n=$(awk '/^qsort_slow;/ { s += $NF } END { print s + 0 }' "$tmp/$mode.folded")
	bpf=$(awk -v ms="${ms:-0}" -v n="$n" 'BEGIN { if (n) printf "%.2f us", ms * 1000 / n; else print "-" }')
	echo "| profiler cpu --unwind $mode | $(main_share "$tmp/$mode.folded") | $secs | $bpf | - |"
done

for cg in "fp" "dwarf"; do
	rec=$(cpu_secs perf record -q -F 999 --call-graph "$cg" -p "$q" -o "$tmp/perf.data" -- sleep "$dur")
	scr=$(cpu_secs perf_fold "$tmp/perf.data" "$tmp/perf.folded")
	size=$(stat -c %s "$tmp/perf.data")
	label=$([ "$cg" = fp ] && echo "perf record -g" || echo "perf record --call-graph dwarf")
	echo "| $label | $(main_share "$tmp/perf.folded") |" \
		"$(awk -v a="$rec" -v b="$scr" 'BEGIN { printf "%.3f", a + b }') | - |" \
		"$(awk -v s="$size" 'BEGIN { printf "%.1f MiB", s / 1048576 }') |"
done

echo
"$P" cpu -F 999 -d 1 -p "$q" --stats -q -o /dev/null 2>&1 |
	sed -n 's/^ *unwind tables: /Tables for the target: /p'
