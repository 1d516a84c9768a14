#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# How fast a big profile becomes an SVG flame graph: N unique stacks (default
# 100,000, 8 to 40 frames deep over 2,000 function names) rendered by
# `profiler report -f svg`, timed over 3 runs; prints the best time, the
# file size and the number of frames drawn.
#   scripts/bench/svg.sh [BUILD] [N]
set -euo pipefail

build=${1:-build}
n=${2:-100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

awk -v n="$n" 'BEGIN {
	srand(42)
	for (i = 0; i < n; i++) {
		d = 8 + int(rand() * 33)
		s = "app;main"
		for (k = 0; k < d; k++)
			s = s ";fn_" int(rand() * (k < 4 ? 20 : 2000))
		print s ";leaf_" i, 1 + int(rand() * 100)
	}
}' > "$tmp/big.folded"

best=
for run in 1 2 3; do
	start=$(date +%s.%N)
	"$build/profiler" report "$tmp/big.folded" -f svg -o "$tmp/big.svg"
	end=$(date +%s.%N)
	t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
	if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
done
frames=$(grep -c '^<g data-n=' "$tmp/big.svg")
size=$(stat -c %s "$tmp/big.svg")
echo "svg: $n unique stacks -> ${best} s (best of 3), $frames frames drawn, $((size / 1024)) KiB"
