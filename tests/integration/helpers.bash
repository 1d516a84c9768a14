# SPDX-License-Identifier: GPL-2.0
# Shared by the integration tests: paths, and readers of folded output.

BUILD=${BUILD:-build}
PROFILER=${PROFILER:-$BUILD/profiler}
W=$BUILD/workloads

setup_common() {
	if [ "$(id -u)" != 0 ]; then
		[ "${CI:-}" = true ] && { echo "integration tests must run as root under CI" >&2; return 1; }
		skip "not root: these tests load BPF programs"
	fi
	TMP=$(mktemp -d)
}

teardown_common() {
	[ -n "${BGPID:-}" ] && kill "$BGPID" 2>/dev/null && wait "$BGPID" 2>/dev/null
	BGPID=
	rm -rf "$TMP"
}

# Sum of the counts of folded lines whose stack matches an awk regex.
folded_sum() {	# FILE REGEX
	awk -v re="$2" '{ line = $0; n = $NF; sub(/ [0-9]+$/, "", line); if (line ~ re) s += n } END { printf "%.0f\n", s }' "$1"
}

folded_total() {	# FILE
	awk '{ s += $NF } END { printf "%.0f\n", s }' "$1"
}

# 100 * a / b, one decimal
pct() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print 0; else printf "%.1f\n", 100 * a / b }'
}

# true when |a - b| <= tol
within() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'
}
