#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Overhead of off-CPU profiling under a context-switch-heavy load: two
# threads ping-pong one byte over pipes, both pinned to one CPU, so every
# round trip is two blocking context switches.  The load reports its own
# round trips per second; each tool's cost is the drop from the bare run.
# Runs interleaved (bare, profiler offcpu on the command, profiler offcpu
# system-wide, the bpftrace equivalent), ROUNDS times, and prints medians.
#   scripts/bench/offcpu.sh [BUILD] [SECONDS] [ROUNDS]
# Needs root, bpftrace, and build/profiler + build/workloads/pingpong
# (make all build/workloads/pingpong).
set -euo pipefail

build=${1:-build}
secs=${2:-5}
rounds=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
prof=$build/profiler
load="$build/workloads/pingpong $secs"
taskset=$(command -v taskset)
pin="$taskset -c 0"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for f in "$prof" "$build/workloads/pingpong"; do
	[ -x "$f" ] || { echo "missing $f: run 'make all $build/workloads/pingpong'" >&2; exit 1; }
done
command -v bpftrace >/dev/null || { echo "bpftrace missing: apt-get install bpftrace" >&2; exit 1; }
# bpftrace's tracepoint: probes read the event id from tracefs, as perf does
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing

rate() { sed -n 's/.*round_trips_per_sec=\([0-9]*\).*/\1/p' "$1" | tail -1; }
cost() { sed -n 's/.*cpu_ns_per_round_trip=\([0-9]*\).*/\1/p' "$1" | tail -1; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A runs ns
for r in $(seq "$rounds"); do
	$pin $load > "$out/bare"
	runs[bare]+="$(rate "$out/bare") "
	ns[bare]+="$(cost "$out/bare") "
	"$prof" offcpu -q -o "$out/cmd.folded" -- $pin $load > "$out/cmd"
	runs[cmd]+="$(rate "$out/cmd") "
	ns[cmd]+="$(cost "$out/cmd") "
	$pin $load > "$out/sys" &
	"$prof" offcpu -q -a -d "$secs" -o "$out/sys.folded" 2>/dev/null
	wait
	runs[sys]+="$(rate "$out/sys") "
	ns[sys]+="$(cost "$out/sys") "
	bpftrace "$here/offcpu.bt" -c "$pin $load" > "$out/bt" 2>&1
	runs[bt]+="$(rate "$out/bt") "
	ns[bt]+="$(cost "$out/bt") "
done

bare=$(echo ${runs[bare]} | tr ' ' '\n' | median)
bare_ns=$(echo ${ns[bare]} | tr ' ' '\n' | median)
printf "%-40s %13s %8s %11s %8s\n" "median of $rounds runs of ${secs} s, CPU 0" \
	"round trips/s" "drop" "CPU ns/trip" "added"
for k in bare cmd sys bt; do
	case $k in
	bare) name="bare" ;;
	cmd) name="profiler offcpu -- CMD" ;;
	sys) name="profiler offcpu -a (system-wide)" ;;
	bt) name="bpftrace, kstack+ustack map" ;;
	esac
	m=$(echo ${runs[$k]} | tr ' ' '\n' | median)
	c=$(echo ${ns[$k]} | tr ' ' '\n' | median)
	printf "%-40s %13s %8s %11s %8s\n" "$name" "$m" \
		"$(awk -v b="$bare" -v m="$m" 'BEGIN { printf "%.1f%%", 100 * (b - m) / b }')" "$c" \
		"$(awk -v b="$bare_ns" -v m="$c" 'BEGIN { printf "%+.0f%%", 100 * (m - b) / b }')"
done
echo "all runs: $(for k in bare cmd sys bt; do printf '%s=[%s] ' $k "${ns[$k]% }"; done)"
