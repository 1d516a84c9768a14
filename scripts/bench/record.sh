#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The cost of profiler record (every collector in one session) against
# each collector alone, on one workload that gives each something to see:
# O_DIRECT requests on a loop device, a contended mutex, allocations, a
# CPU burn (the integration test's).  --stats gives the profiler's own CPU
# time and peak memory and the kernel's BPF run time; ROUNDS interleaved
# runs, medians.  Then the memory of windows: the same run cut into 0.1 s
# windows and not cut at all.
#   scripts/bench/record.sh [BUILD] [ROUNDS]
set -euo pipefail

build=${1:-build}
rounds=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.bash"
prof=$build/profiler
W=$build/workloads

for f in "$prof" "$W/dio" "$W/lockfight" "$W/mem_sites" "$W/burn31"; do
	[ -x "$f" ] || { echo "missing $f: run 'make all workloads'" >&2; exit 1; }
done
truncate -s 16M "$tmp/disk.img"
loop=$(losetup -f --show "$tmp/disk.img")
trap 'losetup -d "$loop"; cleanup' EXIT
work="$W/dio $loop 200 && $W/lockfight 5000 && $W/mem_sites && $W/burn31 2"

# --stats on stderr: CPU seconds, BPF milliseconds (all programs), peak MiB
stats() {	# FILE
	awk '/^  BPF .* ms in all/ { for (i = 1; i <= NF; i++) if ($i == "ms" && $(i + 1) == "in") b += $(i - 1) }
	     /^  profiler: .* s CPU/ { c = $2; for (i = 1; i <= NF; i++) if ($i == "RSS") m = $(i + 1) }
	     END { printf "%.3f %.1f %.1f\n", c, b, m }' "$1"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A cpu bpf rss wall
kinds="cpu offcpu mem lock io record"
for r in $(seq "$rounds"); do
	for k in $kinds; do
		t0=$(date +%s%N)
		if [ "$k" = record ]; then
			"$prof" record -q --stats --io-disk "${loop#/dev/}" -- sh -c "$work" \
				> /dev/null 2> "$tmp/err" || true
		else
			extra=
			[ "$k" = io ] && extra="--disk ${loop#/dev/}"
			"$prof" "$k" -q --stats -f report -o /dev/null $extra -- sh -c "$work" \
				> /dev/null 2> "$tmp/err" || true
		fi
		read -r c b m < <(stats "$tmp/err")
		cpu[$k]+="$c "
		bpf[$k]+="$b "
		rss[$k]+="$m "
		wall[$k]+="$(( ($(date +%s%N) - t0) / 1000000 )) "
	done
done

med() { echo $1 | tr ' ' '\n' | median; }
# programs that see the whole machine (sched_switch, futex and syscall
# tracepoints, exec and fork) run as long as the run lasts: BPF time is
# given per second of it too
printf "%-28s %12s %12s %14s %10s %12s\n" "median of $rounds runs" "profiler CPU" "BPF time" "peak RSS" \
	"run" "BPF ms/s"
sc=0 sb=0
for k in $kinds; do
	c=$(med "${cpu[$k]}") b=$(med "${bpf[$k]}") m=$(med "${rss[$k]}") t=$(med "${wall[$k]}")
	if [ "$k" != record ]; then
		sc=$(awk -v a="$sc" -v b="$c" 'BEGIN { print a + b }')
		sb=$(awk -v a="$sb" -v b="$b" 'BEGIN { print a + b }')
		name="profiler $k alone"
	else
		printf "%-28s %10.3f s %9.1f ms\n" "sum of the five alone" "$sc" "$sb"
		name="profiler record (all five)"
	fi
	printf "%-28s %10.3f s %9.1f ms %10.1f MiB %8.1f s %12.1f\n" "$name" "$c" "$b" "$m" \
		"$(awk -v t="$t" 'BEGIN { print t / 1000 }')" "$(awk -v b="$b" -v t="$t" 'BEGIN { print b * 1000 / t }')"
done
c=$(med "${cpu[record]}") b=$(med "${bpf[record]}")
awk -v c="$c" -v sc="$sc" -v b="$b" -v sb="$sb" 'BEGIN {
	printf "together / sum alone: profiler CPU %.2f, BPF time %.2f\n", c / sc, (sb > 0 ? b / sb : 0) }'

# Windows: the same burn cut every 0.1 s or not at all; memory must not
# follow the number of windows.
for win in none 0.1; do
	opt=
	[ "$win" != none ] && opt="--window $win"
	"$prof" record -q --stats $opt --what cpu,offcpu -o "$tmp/win" -- "$W/burn31" 4 \
		> /dev/null 2> "$tmp/err" || true
	read -r c b m < <(stats "$tmp/err")
	n=$(find "$tmp/win" -maxdepth 1 -name "window-*" | wc -l)
	printf "record --what cpu,offcpu, burn31 4 s, windows %-5s %4d windows: %.3f s CPU, peak RSS %.1f MiB\n" \
		"$win" "$n" "$c" "$m"
	rm -rf "$tmp/win"
done
