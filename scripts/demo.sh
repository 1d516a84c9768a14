#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make demo: profile the bundled demo program for 5 seconds, print the
# report and leave folded stacks in BUILD/demo.folded.
set -euo pipefail
build=${1:-build}
sudo=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "demo: profiling needs root: run 'make demo' as root" >&2; exit 1; }
	sudo="sudo"
fi
echo "Profiling $build/workloads/demo for 5 seconds at 199 Hz..." >&2
$sudo "$build/profiler" cpu -F 199 -o "$build/demo.folded" -o "$build/demo-report.txt" \
	-- "$build/workloads/demo" 5
cat "$build/demo-report.txt"
echo
echo "Folded stacks: $build/demo.folded  (draw them: flamegraph.pl $build/demo.folded > demo.svg)"
