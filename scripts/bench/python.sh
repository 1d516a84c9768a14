#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The cost of Python frames: profiler cpu at 999 Hz on a Python workload
# (tests/workloads/python/split31.py: two threads, stacks some 20 Python
# frames deep), with Python frames and with --no-python, alternating in
# the same run.  The kernel's own accounting (--stats) gives the BPF time
# of cpu_sample; divided by the workload's samples it is the BPF time per
# sample (the runs that leave at once for other tasks included, the same
# in both modes).  Prints a markdown section.  Usage: scripts/bench/python.sh [BUILD]
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

# "SAMPLES BPF_MS" of one run
one() {
	"$P" cpu -F 999 --stats "$@" -o "$tmp/out.folded" -- "$PY" "$script" "$secs" 2> "$tmp/err" >/dev/null
	awk '/^profiler cpu: / { gsub(",", "", $3); s = $3 }
	     /BPF cpu_sample/ { for (i = 1; i <= NF; i++) if ($i == "ms") t = $(i - 1) }
	     END { print s, t }' "$tmp/err"
}

echo "## Python frames"
echo
echo "\`profiler cpu -F 999 -- python3.11 split31.py $secs\` (two threads, Python stacks some"
echo "20 frames deep), with Python frames and with \`--no-python\`, alternating, $rounds rounds."
echo "BPF time is cpu_sample's total from \`--stats\` (kernel.bpf_stats_enabled) over the"
echo "workload's samples."
echo
echo "| round | samples | BPF us/sample, Python frames | samples | BPF us/sample, --no-python | extra per sample |"
echo "| --- | --- | --- | --- | --- | --- |"
for r in $(seq "$rounds"); do
	read -r s1 t1 < <(one)
	read -r s0 t0 < <(one --no-python)
	awk -v r="$r" -v s1="$s1" -v t1="$t1" -v s0="$s0" -v t0="$t0" 'BEGIN {
		a = t1 * 1000 / s1; b = t0 * 1000 / s0
		printf "| %d | %d | %.2f | %d | %.2f | %+.2f us (%.1fx) |\n", r, s1, a, s0, b, a - b, a / b }'
done
