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

# A loop device of the test's own over a 16 MiB file: LOOP (/dev/loopN) and
# DISK (loopN).  Another losetup -f at the same moment may take the same
# free device: try again.
loop_attach() {
	truncate -s 16M "$TMP/disk.img"
	for i in 1 2 3 4 5; do
		LOOP=$(losetup -f --show "$TMP/disk.img") && break
		sleep 0.$((RANDOM % 10))
	done
	[ -n "$LOOP" ]
	DISK=${LOOP#/dev/}
}

loop_detach() {
	[ -n "${LOOP:-}" ] && losetup -d "$LOOP"
	LOOP=
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

# Statistical bounds.  Each assertion accepts 5 standard deviations (plus
# one count for rounding): a correct profiler then fails one by chance with
# probability about 6e-7 (two-sided normal tail at 5 sigma), so a suite of a
# few dozen such checks run thousands of times still almost never fails by
# chance, while a real skew of a few percent on thousands of samples is far
# outside.  Bounds come from the sample count, never from a fixed percentage.

# true when K successes of N trials fit probability P: |K - N P| <= 5 sigma + 1,
# sigma = sqrt(N P (1 - P)) (binomial)
binomial_ok() {	# K N P
	awk -v k="$1" -v n="$2" -v p="$3" 'BEGIN {
		d = k - n * p; if (d < 0) d = -d
		t = 5 * sqrt(n * p * (1 - p)) + 1
		printf "binomial: %d of %d, expected %.1f +- %.1f\n", k, n, n * p, t
		exit !(n > 0 && d <= t) }'
}

# true when a count K of events fits its expectation L: |K - L| <= 5 sqrt(L) + 2.
# A timer sampling a task takes about L samples with variance at most L: each
# stretch the task runs gives floor or ceil of its length in periods (variance
# under 1/4, or p(1 - p) for a stretch shorter than a period), so the
# Poisson bound sqrt(L) is an upper bound of sigma; 2 for the first and last
# stretch.
count_ok() {	# K L
	awk -v k="$1" -v l="$2" 'BEGIN {
		d = k - l; if (d < 0) d = -d
		t = 5 * sqrt(l) + 2
		printf "count: %d, expected %.1f +- %.1f\n", k, l, t
		exit !(l > 0 && d <= t) }'
}

# Wait until process PID has used SECS more CPU seconds (utime + stime of
# /proc/PID/stat), for at most 300 s: a fixed sleep gives a loaded
# machine's workload fewer samples, this gives it as many.
wait_cpu() {	# PID SECS [TID]
	local stat=/proc/$1/stat hz start now
	[ -n "${3:-}" ] && stat=/proc/$1/task/$3/stat
	hz=$(getconf CLK_TCK)
	cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$stat"; }
	start=$(cpu_ticks) || return 1
	for i in $(seq 3000); do
		now=$(cpu_ticks) || return 1
		awk -v a="$start" -v b="$now" -v h="$hz" -v s="$2" 'BEGIN { exit !((b - a) / h >= s) }' && return 0
		sleep 0.1
	done
	return 1
}

# Wait (up to 60 s) until a profiler run started with -v in the background
# says it is collecting: interrupting it earlier would stop it loading.
wait_collecting() {	# STDERR_FILE
	for i in $(seq 600); do grep -q collecting "$1" && return 0; sleep 0.1; done
	grep -q collecting "$1"
}
