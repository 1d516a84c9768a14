#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The cost of Python frames: profiler cpu at 999 Hz on a Python workload
# (tests/workloads/python/split31.py: two threads, stacks some 20 Python
# frames deep), with Python frames and with --no-python, alternating in
# the same run.  The kernel's own accounting (--stats) gives the run count
# and BPF time of cpu_sample, which runs at every tick of every task on
# the machine: the runs for other tasks (filtered out at once) are taken
# out at their own cost, measured in the same round by a run whose only
# target sleeps, and what is left, over the workload's samples, is the BPF
# time per sample.  Prints a markdown section.  Usage: scripts/bench/python.sh [BUILD]
set -euo pipefail
build=${1:-build}
P=$build/profiler
PY=/usr/bin/python3.11
script=$(dirname "$0")/../../tests/workloads/python/split31.py
secs=${PY_SECS:-3}
rounds=${PY_ROUNDS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -x "$PY" ] || { echo "python.sh: no $PY: scripts/deps.sh" >&2; exit 1; }

# "SAMPLES RUNS BPF_MS" of the run in $tmp/err
stats() {
	awk '/^profiler cpu: / { gsub(",", "", $3); s = $3 }
	     /BPF cpu_sample/ { r = $3; gsub(",", "", r); for (i = 1; i <= NF; i++) if ($i == "ms") t = $(i - 1) }
	     END { print s + 0, r + 0, t + 0 }' "$tmp/err"
}
one() {
	"$P" cpu -F 999 --stats "$@" -o "$tmp/out.folded" -- "$PY" "$script" "$secs" 2> "$tmp/err" >/dev/null
	stats
}
# us per run of cpu_sample for a task that is no target
idle_cost() {
	sleep 30 & local s=$!
	"$P" cpu -F 999 --stats -p "$s" -d 3 -o /dev/null 2> "$tmp/err" >/dev/null
	kill "$s" 2>/dev/null; wait "$s" 2>/dev/null || true
	stats | awk '{ printf "%.4f\n", $2 ? $3 * 1000 / $2 : 0 }'
}

echo "## Python frames"
echo
echo "\`profiler cpu -F 999 -- python3.11 split31.py $secs\` (two threads, Python stacks some"
echo "20 frames deep), with Python frames and with \`--no-python\`, alternating, $rounds rounds."
echo "BPF time is cpu_sample's (\`--stats\`, kernel.bpf_stats_enabled), less its runs for other"
echo "tasks at their own cost (a run whose only target sleeps), over the workload's samples."
echo
echo "| round | other tasks' run | samples | us/sample, Python frames | samples | us/sample, --no-python | extra per sample |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for r in $(seq "$rounds"); do
	c=$(idle_cost)
	read -r s1 r1 t1 < <(one)
	read -r s0 r0 t0 < <(one --no-python)
	awk -v r="$r" -v c="$c" -v s1="$s1" -v r1="$r1" -v t1="$t1" -v s0="$s0" -v r0="$r0" -v t0="$t0" 'BEGIN {
		a = (t1 * 1000 - (r1 - s1) * c) / s1; b = (t0 * 1000 - (r0 - s0) * c) / s0
		printf "| %d | %.2f us | %d | %.2f | %d | %.2f | %+.2f us (%.2fx) |\n", r, c, s1, a, s0, b, a - b, a / b }'
done
