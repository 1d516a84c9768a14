#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# profiler cpu against perf on the same load in the same run:
#  1. CPU seconds (user + sys) each tool spends to produce a folded
#     system-wide profile of DUR seconds at 99 Hz and 999 Hz while every
#     CPU runs a workload with thousands of unique stacks;
#  2. the per-sample cost of our BPF program (kernel.bpf_stats_enabled);
#  3. the slowdown of a fixed amount of work profiled at 999 Hz;
#  4. time from launch to the first sample.
# Prints a markdown section on stdout.  Usage: scripts/bench/cpu.sh [BUILD]
set -euo pipefail
build=${1:-build}
dur=${DUR:-10}
P=$build/profiler
W=$build/workloads
here=$(dirname "$0")
. "$(dirname "$0")/lib.bash"

command -v perf >/dev/null || { echo "cpu.sh: perf is missing: scripts/deps.sh --bench" >&2; exit 1; }

# user+sys CPU seconds of a command (and its children)
cpu_secs() {
	local TIMEFORMAT='%U %S' t
	t=$( { time "$@" >/dev/null 2>&1; } 2>&1 | tail -1)
	awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.3f\n", a[1] + a[2] }'
}

perf_pipeline() {	# HZ: record, then script | collapse, into $tmp/perf.folded
	perf record -q -F "$1" -g -a -o "$tmp/perf.data" -- sleep "$dur"
}
perf_fold() {
	perf script -i "$tmp/perf.data" 2>/dev/null | awk -f "$here/collapse-perf.awk" > "$tmp/perf.folded"
}

for i in $(seq "$(nproc)"); do
	"$W/stackmix" $((dur * 6 + 60)) & loads+=($!)
done
sleep 1

echo "## profiler cpu vs perf"
echo
echo "System-wide, ${dur} s, every CPU busy with \`stackmix\` (thousands of unique stacks)."
echo "CPU seconds are user + sys of the tools' own processes; ratio = perf / ours."
echo
echo "| rate | profiler cpu CPU s | perf record CPU s | perf script + collapse CPU s | perf total | ratio | our stacks | perf stacks |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for hz in 99 999; do
	ours=$(cpu_secs "$P" cpu -a -F "$hz" -d "$dur" -q -o "$tmp/ours.folded")
	rec=$(cpu_secs perf_pipeline "$hz")
	scr=$(cpu_secs perf_fold)
	tot=$(awk -v a="$rec" -v b="$scr" 'BEGIN { printf "%.3f", a + b }')
	ratio=$(awk -v a="$tot" -v b="$ours" 'BEGIN { printf "%.1fx", (b > 0 ? a / b : 0) }')
	echo "| $hz Hz | $ours | $rec | $scr | $tot | $ratio | $(wc -l < "$tmp/ours.folded") | $(wc -l < "$tmp/perf.folded") |"
done

# per-sample BPF cost, from the kernel's own accounting
old=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
"$P" cpu -a -F 999 -d 5 -q -o /dev/null &
prof=$!
sleep 4.5
stats=$(bpftool prog show -j 2>/dev/null | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p.get("name") == "cpu_sample" and p.get("run_cnt"):
        print(p["run_cnt"], p["run_time_ns"])' | tail -1)
wait "$prof" || true
sysctl -qw kernel.bpf_stats_enabled="$old"
echo
if [ -n "$stats" ]; then
	set -- $stats
	echo "BPF cost per sample (cpu_sample, 999 Hz, busy machine): $(awk -v c="$1" -v t="$2" 'BEGIN { printf "%.2f us over %d runs", t / c / 1000, c }')."
fi

for p in "${loads[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
loads=()

# slowdown of fixed work at 999 Hz (median of 3)
med() { sort -n | sed -n 2p; }
bare=$(for i in 1 2 3; do "$W/fixedwork" 1500; done | med)
ours=$(for i in 1 2 3; do "$P" cpu -F 999 -q -o /dev/null -- "$W/fixedwork" 1500; done | med)
perfr=$(for i in 1 2 3; do perf record -q -F 999 -g -o "$tmp/fw.data" -- "$W/fixedwork" 1500 2>/dev/null; done | med)
echo
echo "Fixed work (\`fixedwork 1500\`), wall seconds, median of 3, profiled at 999 Hz:"
echo
echo "| bare | profiler cpu | perf record -g |"
echo "| --- | --- | --- |"
awk -v a="$bare" -v b="$ours" -v c="$perfr" 'BEGIN {
	printf "| %.3f | %.3f (%+.1f%%) | %.3f (%+.1f%%) |\n", a, b, 100 * (b - a) / a, c, 100 * (c - a) / a }'

# launch to first sample
first=$(for i in 1 2 3 4 5; do "$P" cpu -v -q -o /dev/null -- "$W/burn31" 0.3 2>&1 |
	sed -n 's/.*first sample \([0-9.]*\) ms.*/\1/p'; done | sort -n | sed -n 3p)
attach=$(for i in 1 2 3 4 5; do "$P" cpu -v -q -o /dev/null -- "$W/burn31" 0.3 2>&1 |
	sed -n 's/.*attached in \([0-9.]*\) ms.*/\1/p'; done | sort -n | sed -n 3p)
echo
echo "Start-up (median of 5): loaded and attached ${attach} ms after launch; first sample ${first} ms after launch."
