#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# BPF time per sample under process churn, by how the user stack is taken:
# `profiler cpu -a -F 999 --stats` with -K (kernel stack only), --unwind fp
# --no-leaf-fix, --unwind fp, and the default (.eh_frame where a process
# has tables), while tests/workloads/churn starts 100 processes a second.
# With BASE=/path/to/an/older/profiler each capture runs with that one
# too, alternating, ROUNDS times: a same-run before/after.  In each of the
# default's rounds the floor runs too (floor_sample.bpf.c, built here): a
# program that does only what any sampler of user and kernel stacks must,
# and the default's figure above it.
#   scripts/bench/churn_bpf.sh [BUILD] [SECONDS]
# Needs root, clang and libbpf's headers.  A benchmark: nothing in `make
# test` depends on its timing.
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

# The floor: a program doing only what any stack sampler must
# (floor_sample.bpf.c), built here, run on the same churn as ours
arch=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
${CLANG:-clang} -g -O2 -target bpf -D__TARGET_ARCH_$arch -I"$here/../../vmlinux/$arch" \
	-c "$here/floor_sample.bpf.c" -o "$tmp/floor_sample.bpf.o"
cc -O2 -Wall -o "$tmp/floor_sample" "$here/floor_sample.c" -lbpf
bpf_stats_on	# the floor's run time is counted only with them on (lib.bash)
floor_us() {
	"$tmp/floor_sample" "$tmp/floor_sample.bpf.o" 999 "$secs" | awk '{ print $2 }'
}

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
	b=() a=() f=()
	for _ in $(seq "$rounds"); do
		# beside the default, in each of its rounds: the floor
		[ -z "$opts" ] && f+=("$(floor_us)")
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
printf '| the floor (floor_sample.bpf.c: the first user read, and the kernel walk of a kernel-mode sample) | %s |%s\n' \
	"${f[*]}" "${BASE:+ | |}"
echo
printf '%s\n' "${f[@]}" "--" "${a[@]}" | awk '$1 == "--" { x = 1; next }
	{ if (x) { sa += $1; na++ } else { sf += $1; nf++ } }
	END { printf "The default above the floor, in the same rounds: %.2f us a sample (%.2f - %.2f).\n",
		sa / na - sf / nf, sa / na, sf / nf }'

