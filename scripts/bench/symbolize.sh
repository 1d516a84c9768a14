#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Symbolization speed and memory: profiler cpu against perf record -g +
# perf script + a stack collapse, on the same workload in the same run.
# A system-wide profile of tests/workloads/manystacks (thousands of unique
# stacks) and whatever else runs.  Prints a markdown section on stdout
# (make bench puts it in docs/performance.md).
#   scripts/bench/symbolize.sh [BUILD] [SECONDS]
# Needs root and linux-perf (scripts/deps.sh --bench).
set -euo pipefail

build=${1:-build}
secs=${2:-10}
freq=999
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v perf >/dev/null || { echo "bench: perf not found: run scripts/deps.sh --bench" >&2; exit 1; }

here=$(dirname "$0")

"$build/workloads/manystacks" $((secs + 4)) &
wl=$!
sleep 1
perf record -q -F $freq -g -a -o "$tmp/perf.data" -- sleep "$secs" 2>/dev/null &
perfpid=$!
/usr/bin/time -f '%e %M' -o "$tmp/ours.time" \
	"$build/profiler" cpu -a -F $freq -d "$secs" -v -o "$tmp/ours.folded" 2>"$tmp/ours.err"
wait $perfpid
kill $wl 2>/dev/null || true
wait $wl 2>/dev/null || true

sym_ms=$(sed -n 's/.*symbolized \([0-9]*\) locations in \([0-9.]*\) ms.*/\2/p' "$tmp/ours.err")
locs=$(sed -n 's/.*symbolized \([0-9]*\) locations.*/\1/p' "$tmp/ours.err")
read -r ours_s ours_kb < "$tmp/ours.time"
ours_stacks=$(wc -l < "$tmp/ours.folded")

# perf's symbolization is perf script; the collapse is the cheap part
/usr/bin/time -f '%e %M' -o "$tmp/script.time" perf script -i "$tmp/perf.data" > "$tmp/perf.script" 2>/dev/null
# stackcollapse-perf.pl is not packaged in Debian: the same folding in awk
/usr/bin/time -f '%e %M' -o "$tmp/collapse.time" \
	awk -f "$here/collapse-perf.awk" "$tmp/perf.script" > "$tmp/perf.folded"
read -r script_s script_kb < "$tmp/script.time"
read -r coll_s coll_kb < "$tmp/collapse.time"
perf_stacks=$(wc -l < "$tmp/perf.folded")
perf_samples=$(awk '{ s += $NF } END { print s }' "$tmp/perf.folded")
ours_samples=$(awk '{ s += $NF } END { print s }' "$tmp/ours.folded")

# warm caches: symbolize the same locations again in one process is what
# profiler does for a second profile; here, the second perf script run
/usr/bin/time -f '%e %M' -o "$tmp/script2.time" perf script -i "$tmp/perf.data" > /dev/null 2>&1
read -r script2_s _ < "$tmp/script2.time"

ms() { awk -v a="$1" 'BEGIN { printf "%.0f", a * 1000 }'; }
cat <<EOT
## Symbolization: profiler vs perf script

A ${secs} s system-wide profile at $freq Hz while tests/workloads/manystacks makes
thousands of unique stacks, \`perf record -F $freq -g -a\` over the same seconds.
Ours: the symbolization time \`profiler cpu -v\` reports (kallsyms read in the
background during the profile). perf: \`perf script\` plus a fold of its output
(scripts/bench/collapse-perf.awk, as stackcollapse-perf.pl is not in Debian).
RSS: the whole profiler process against perf script alone.

| | profiler | perf |
| --- | ---: | ---: |
| samples | $ours_samples | $perf_samples |
| unique stacks (folded lines) | $ours_stacks | $perf_stacks |
| locations symbolized | $locs | – |
| symbolization, ms | $sym_ms | $(awk -v a="$script_s" -v b="$coll_s" 'BEGIN { printf "%.0f", (a + b) * 1000 }') |
| perf script again (page cache warm), ms | – | $(ms "$script2_s") |
| peak RSS, MiB | $((ours_kb / 1024)) | $((script_kb / 1024)) |
EOT
