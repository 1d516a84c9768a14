#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make demo: profile the bundled demo program for 5 seconds, print the
# report and leave a flame graph (BUILD/demo.svg) and folded stacks
# (BUILD/demo.folded).
set -euo pipefail
build=${1:-build}
sudo=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "demo: profiling needs root: run 'make demo' as root" >&2; exit 1; }
	sudo="sudo"
fi
echo "Profiling $build/workloads/demo for 5 seconds at 199 Hz..." >&2
$sudo "$build/profiler" cpu -F 199 -o "$build/demo.folded" -o "$build/demo-report.txt" \
	-o "$build/demo.svg" -- "$build/workloads/demo" 5
cat "$build/demo-report.txt"
echo
echo "Flame graph:   $build/demo.svg  (open it in a browser: hover, click to zoom, Ctrl-F to search)"
echo "Folded stacks: $build/demo.folded  (for flamegraph.pl, or: $build/profiler report $build/demo.folded -f svg)"
