#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# What loading the BPF programs costs: for each collector, the
# instructions the verifier processed per program (bpf_prog_info's
# verified_insns, read from the running profiler's own fds by
# scripts/bench/bpf_insns.c) and the time to load and attach (-v); then
# the CPU (user + sys) of a 1 s system-wide `profiler cpu`, whose start-up
# (verification first) is most of it.  With BASE=/path/to/an/older/profiler
# every row is taken with that one too, alternating, ROUNDS times (default
# 5): a same-run before/after.
#   scripts/bench/verify.sh [BUILD]
# Needs root and libbpf's headers.  A benchmark: nothing in `make test`
# depends on its timing.
set -euo pipefail

build=${1:-build}
rounds=${ROUNDS:-5}
here=$(dirname "$0")
# shellcheck source=lib.bash
. "$here/lib.bash"

cc -O2 -Wall -o "$tmp/bpf_insns" "$here/bpf_insns.c" -lbpf
profilers=("$build/profiler")
[ -n "${BASE:-}" ] && profilers+=("$BASE")

"$build/workloads/burn31" 600 >/dev/null 2>&1 &
loads+=($!)
target=${loads[0]}
sleep 0.3

# insns PROFILER ARGS...: "program insns" lines once the run collects, then
# "load MS" (the collector's own load-and-attach time)
insns() {
	local err=$tmp/err pid i
	"$@" -v -d 1 -o /dev/null >/dev/null 2>"$err" &
	pid=$!
	for i in $(seq 600); do
		sleep 0.1
		if grep -q collecting "$err"; then
			"$tmp/bpf_insns" "$pid" | sort -u
			break
		fi
	done
	wait "$pid" || true
	sed -n 's/.*loaded and attached in \([0-9.]*\) ms.*/load \1/p' "$err" | head -1
}

echo "## BPF verification"
echo
echo "Instructions the verifier processed, per program (several programs of a"
echo "collector that load the same code show once), and the collector's load"
echo "and attach time (\`-v\`), $(uname -r):"
echo
echo "| collector | profiler | programs: verified instructions | sum | load ms |"
echo "| --- | --- | --- | --- | --- |"
for c in "cpu -a" "offcpu -a" "lock -a" "io -a" "mem -p $target" \
	 "latency -p $target libc:nanosleep"; do
	for p in "${profilers[@]}"; do
		# shellcheck disable=SC2086
		out=$(insns "$p" $c)
		progs=$(grep -v '^load ' <<<"$out" | awk '$2 > 100 { printf "%s%s %d", n++ ? ", " : "", $1, $2 }')
		sum=$(grep -v '^load ' <<<"$out" | awk '{ s += $2 } END { print s + 0 }')
		load=$(sed -n 's/^load //p' <<<"$out")
		echo "| ${c%% -*} | $p | ${progs:-none over 100} | $sum | ${load:-?} |"
	done
done
echo

echo "## Start-up CPU"
echo
echo "\`profiler cpu -a -F 999 -d 1 -o /dev/null\`, CPU seconds (user + sys),"
echo "alternating, $rounds rounds:"
echo
echo "| round | $(printf '%s | ' "${profilers[@]}")"
echo "| --- | $(printf -- '--- | %.0s' "${profilers[@]}")"
for r in $(seq "$rounds"); do
	row="| $r |"
	for p in "${profilers[@]}"; do
		t=$( { /usr/bin/time -f '%U %S' "$p" cpu -a -F 999 -d 1 -o /dev/null 2>&1 >/dev/null; } |
			tail -1 | awk '{ printf "%.2f", $1 + $2 }')
		row="$row $t |"
	done
	echo "$row"
done
