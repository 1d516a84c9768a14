#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# BPF time per sample under process churn, by how the user stack is taken:
# `profiler cpu -a -F 999 --stats` with -K (kernel stack only), --unwind fp
# --no-leaf-fix, --unwind fp, and the default (.eh_frame where a process
# has tables), while tests/workloads/churn starts 100 processes a second.
# With BASE=/path/to/an/older/profiler each capture runs with that one
# too, alternating, ROUNDS times: a same-run before/after.
#   scripts/bench/churn_bpf.sh [BUILD] [SECONDS]
# Needs root.  A benchmark: nothing in `make test` depends on its timing.
set -euo pipefail

build=${1:-build}
secs=${2:-8}
rounds=${ROUNDS:-2}
here=$(dirname "$0")
# shellcheck source=lib.bash
. "$here/lib.bash"

"$build/workloads/churn" 100 $(( rounds * 8 * (secs + 3) + 10 )) "$build/workloads/libspin.so" >/dev/null &
loads+=($!)
sleep 1

# BPF us per sample of one run: PROFILER OPTIONS...
us() {
	local p=$1
	shift
	"$p" cpu -a -F 999 -d "$secs" --stats -o /dev/null "$@" 2>&1 |
		sed -n 's/.*BPF cpu_sample .* runs, \([0-9.]*\) us each.*/\1/p'
}

echo "## BPF per sample under churn"
echo
echo "\`profiler cpu -a -F 999 -d $secs --stats\` while \`churn 100\` runs, by capture;"
echo "µs of cpu_sample per sample (kernel.bpf_stats_enabled), $rounds rounds, alternating."
echo
if [ -n "${BASE:-}" ]; then
	echo "| capture | before (each round) | after (each round) | after / before |"
	echo "| --- | --- | --- | --- |"
else
	echo "| capture | each round |"
	echo "| --- | --- |"
fi
for opts in "-K" "--unwind fp --no-leaf-fix" "--unwind fp" ""; do
	b=() a=()
	for _ in $(seq "$rounds"); do
		# shellcheck disable=SC2086
		[ -n "${BASE:-}" ] && b+=("$(us "$BASE" $opts)")
		# shellcheck disable=SC2086
		a+=("$(us "$build/profiler" $opts)")
	done
	if [ -n "${BASE:-}" ]; then
		printf '| `%s` | %s | %s | %s |\n' "${opts:-(default)}" "${b[*]}" "${a[*]}" \
			"$(printf '%s\n' "${b[@]}" "--" "${a[@]}" | awk '$1 == "--" { x = 1; next }
				{ if (x) sa += $1; else sb += $1 } END { printf "%.2f", sa / sb }')"
	else
		printf '| `%s` | %s |\n' "${opts:-(default)}" "${a[*]}"
	fi
done
