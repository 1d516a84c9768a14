#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the libFuzzer targets built in BUILD/fuzz/: first every committed
# input once (the seeds of tests/fuzz/corpus/TARGET/ and the inputs that
# once failed, tests/fuzz/regressions/TARGET/), then mutation for SECONDS
# per target.  Prints one line per target (executions, crashes) and a
# closing "N passed, N failed" line; exits non-zero if any target failed.
#   scripts/fuzz.sh BUILD SECONDS     (make fuzz: FUZZ_SECONDS)
#   scripts/fuzz.sh BUILD --short     (make test: the committed inputs, then
#                                      FUZZ_SHORT_RUNS (default 1000) mutations
#                                      each, from a fixed seed)
# New inputs that reach new code go to BUILD/fuzz/corpus/TARGET/, failing
# ones to BUILD/fuzz/crashes/TARGET/: copy a fixed one to regressions/.
set -uo pipefail

build=${1:-build}
secs=${2:-60}
short=false
[ "$secs" = --short ] && short=true
# The short pass is part of make test, so it must give the same answer on
# every run of the same code: a fixed seed and a fixed number of mutations
# (a time limit would make how far it gets depend on the machine's load),
# capped at 20 s per target all the same.
limits=(-max_total_time="$secs")
$short && limits=(-seed=1 -runs="${FUZZ_SHORT_RUNS:-1000}" -max_total_time=20)
passed=0
failed=0
total=0

for bin in "$build"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	t=${bin##*/fuzz_}
	work=$build/fuzz/corpus/$t
	# the short pass starts from the committed inputs alone, so that its
	# time does not grow with what longer runs have added
	$short && work=$(mktemp -d)
	crashes=$build/fuzz/crashes/$t
	mkdir -p "$work" "$crashes"
	dirs=("$work")
	for d in tests/fuzz/corpus/$t tests/fuzz/regressions/$t; do
		[ -d "$d" ] && dirs+=("$d")
	done
	log=$build/fuzz/$t.log
	lim=("${limits[@]}")
	# unwind_table: an open finding (docs/fuzzing.md: one libdw lookup on
	# crafted CFI takes over 10 s under ASan and cannot be interrupted), so
	# its mutations would fail make test until that is closed; make test
	# replays its committed inputs, make fuzz mutates it
	$short && [ "$t" = unwind_table ] && lim=(-seed=1 -runs=0)
	# -timeout: an input that takes this long is a finding (a hostile file
	# must not stall the profiler); -close_fd_mask=2: the parsers' warnings
	# would drown the reports, which libFuzzer still prints.
	"$bin" "${lim[@]}" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=2 \
		-print_final_stats=1 -artifact_prefix="$crashes/" "${dirs[@]}" >"$log" 2>&1
	rc=$?
	$short && rm -rf "$work"
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	execs=${execs:-0}
	total=$((total + execs))
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		printf 'fuzz %-14s %10s executions, 0 crashes\n' "$t" "$execs"
	else
		failed=$((failed + 1))
		printf 'fuzz %-14s %10s executions, FAILED (exit %d): %s\n' "$t" "$execs" "$rc" \
			"$(ls "$crashes" | tail -1)"
		grep -m3 -E 'ERROR: |runtime error|SUMMARY' "$log" | sed 's/^/    /'
		echo "    full log: $log"
	fi
done
echo "fuzz: $total executions in all"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
