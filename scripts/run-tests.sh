#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the unit tests (built with AddressSanitizer and UBSan) and the
# integration tests (bats, as root, loading real BPF programs), then print
# one closing line "N passed, N failed".
#   scripts/run-tests.sh BUILD [unit|integration]
set -uo pipefail

build=${1:-build}
what=${2:-all}
export BUILD=$build
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0
failed=0
failures=()

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in "$build"/tests/test_*; do
		[ -x "$t" ] || continue
		out=$("$t" 2>&1)
		rc=$?
		echo "$out"
		p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p')
		f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p')
		passed=$((passed + ${p:-0}))
		failed=$((failed + ${f:-0}))
		if [ $rc -ne 0 ] && [ -z "$f" ]; then
			failed=$((failed + 1))	# crashed or a sanitizer stopped it
			failures+=("$(basename "$t") (exit $rc)")
		elif [ -n "$f" ]; then
			failures+=("$(basename "$t")")
		fi
	done
fi

# The integration tests' own assertions: none that errexit cannot fail
# (scripts/lint-bats.sh); one test.
if [ "$what" = all ] || [ "$what" = unit ]; then
	if out=$(scripts/lint-bats.sh 2>&1); then
		passed=$((passed + 1))
	else
		echo "$out"
		echo "lint-bats: assertions that cannot fail (write '! cmd || false', one test a line)"
		failed=$((failed + 1))
		failures+=("lint-bats")
	fi
fi

# The libFuzzer targets: the committed seeds and regression inputs, then a
# few seconds of mutation each; one test per target.
if [ "$what" = all ] || [ "$what" = unit ]; then
	if ls "$build"/fuzz/fuzz_* >/dev/null 2>&1; then
		out=$(scripts/fuzz.sh "$build" --short)
		echo "$out"
		p=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, [0-9]* failed$/\1/p')
		f=$(echo "$out" | sed -n 's/^[0-9]* passed, \([0-9]*\) failed$/\1/p')
		passed=$((passed + ${p:-0}))
		failed=$((failed + ${f:-1}))
		while IFS= read -r l; do failures+=("$l"); done < <(echo "$out" | grep 'FAILED (exit')
	elif [ "${CI:-}" = true ]; then
		echo "the fuzz targets are not built ($build/fuzz/): make test builds them" >&2
		failed=$((failed + 1))
		failures+=("fuzz (not built)")
	fi
fi

if [ "$what" = all ] || [ "$what" = integration ]; then
	if [ "$(id -u)" != 0 ]; then
		if [ "${CI:-}" = true ]; then
			echo "integration tests need root, and CI must run them: run as root" >&2
			failed=$((failed + 1))
			failures+=("integration (not root)")
		else
			echo "SKIPPING the integration tests: they load BPF programs and need root (sudo make test)" >&2
		fi
	else
		tap=$(mktemp)
		bats --tap tests/integration 2>&1 | tee "$tap"
		p=$(grep -c '^ok ' "$tap")
		f=$(grep -c '^not ok ' "$tap")
		passed=$((passed + p))
		failed=$((failed + f))
		while IFS= read -r l; do failures+=("$l"); done < <(grep '^not ok ' "$tap")
		if ! grep -q '^1\.\.' "$tap"; then
			failed=$((failed + 1))
			failures+=("bats did not run")
		fi
		rm -f "$tap"
	fi
fi

echo
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
