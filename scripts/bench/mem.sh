#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Cost per malloc+free pair: a storm bare, under profiler mem (full
# tracking with stacks from .eh_frame, the same with frame pointers, and
# --sample-every 100), and under the equivalent bpftrace
# script (malloc uprobe + uretprobe with the user stack, free uprobe), in
# one run, beside the floor: the same three probes doing nothing.  With
# BASE=/path/to/an/older/build (or its profiler), that build's profiler runs
# too, default and --unwind fp, in the same rounds.
#
# Each round runs every variant once, in an order turned by one each round,
# so that a slow spell of a shared machine does not fall on one variant.
# The storm is pinned to one CPU (STORM_CPU, default the last; taskset), so
# that it does not migrate between runs of a round.  Two tables: wall time
# per pair, and the storm thread's CPU time per pair (the traps and the
# probes run on it), which waits for a CPU on a busy machine do not swell.
# "above floor" is the median over rounds of (this run - the floor's run
# of the same round), with a distribution-free interval for that median
# (order statistics of the paired differences, sign test: the confidence
# printed is exact for the number of rounds; 95% or more from 6 rounds).
# The verdicts at the end say whether the rounds show, refute, or cannot
# decide the target: <= 1 us above the floor, and below bpftrace.
# Usage: [BASE=DIR] [STORM_CPU=N] [ONLY="floor ours ..."] \
#	scripts/bench/mem.sh [BUILD] [PAIRS] [ROUNDS]
set -euo pipefail

BUILD=${1:-build}
# 9 rounds of 200,000 pairs: some 8 minutes on a quiet machine for the 7
# variants; the interval wants rounds more than pairs (a round's noise is
# the machine's, not the count's)
N=${2:-200000}
ROUNDS=${3:-9}
W=$BUILD/workloads/mem_storm
# BASE: an older build's directory, or its profiler binary
BASEP=${BASE:-}
[ -d "$BASEP" ] && BASEP=$BASEP/profiler
STORM_CPU=${STORM_CPU:-$(($(nproc) - 1))}
make --no-print-directory "$BUILD/profiler" "$W" >/dev/null
LIBC=$(ldd "$W" | awk '/libc\.so/ { print $3 }')
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cat > "$TMP/mem.bt" <<BT
uprobe:$LIBC:malloc /pid == cpid/ { @size[tid] = arg0; @stack[tid] = ustack; }
uretprobe:$LIBC:malloc /pid == cpid && @size[tid]/ {
	@live[retval] = @size[tid];
	@bytes[@stack[tid]] = sum(@size[tid]);
	delete(@size[tid]);
	delete(@stack[tid]);
}
uprobe:$LIBC:free /pid == cpid/ { delete(@live[arg0]); }
END { clear(@live); clear(@bytes); }
BT
# The same three probes doing nothing: what the traps alone cost.
cat > "$TMP/floor.bt" <<BT
uprobe:$LIBC:malloc /pid == cpid/ { }
uretprobe:$LIBC:malloc /pid == cpid/ { }
uprobe:$LIBC:free /pid == cpid/ { }
BT
# The same without the return probe: what malloc's uretprobe trap costs.
cat > "$TMP/floor_entry.bt" <<BT
uprobe:$LIBC:malloc /pid == cpid/ { }
uprobe:$LIBC:free /pid == cpid/ { }
BT

# "wall cpu", ns per pair
per_pair() {
	echo "$(sed -n 's/^ns_per_pair=//p' "$1" | tail -1) $(sed -n 's/^cpu_ns_per_pair=//p' "$1" | tail -1)"
}
# the storm, pinned (taskset execs it: its pid, and mem's probes, stay)
STORM=("$(command -v taskset)" -c "$STORM_CPU" "$W" "$N")
run_bare() { "${STORM[@]}" 2>"$TMP/o"; per_pair "$TMP/o"; }
run_ours() { "$BUILD/profiler" mem -q "$@" -o /dev/null -f folded -- "${STORM[@]}" 2>"$TMP/o"; per_pair "$TMP/o"; }
run_base() { "$BASEP" mem -q "$@" -o /dev/null -f folded -- "${STORM[@]}" 2>"$TMP/o"; per_pair "$TMP/o"; }
run_bt() { bpftrace -c "${STORM[*]}" "$TMP/$1.bt" >/dev/null 2>"$TMP/o"; per_pair "$TMP/o"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# ns values in, "median lo hi confidence%" in us out: the interval of the
# median from order statistics, [x(k), x(n+1-k)] with the largest k whose
# two tails P(Bin(n, 1/2) < k) stay within 2.5% each (k = 1 below 6 rounds:
# the whole range, at the confidence it has)
interval() {
	sort -g | awk '{ v[NR] = $1 } END {
		n = NR
		if (!n) { print "n/a n/a n/a -"; exit }
		med = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		p = 0.5 ^ n; cdf = 0; k = 1; conf = 1 - 2 * p
		# cdf: P(X <= j - 1) as j grows; k the last j with 2 cdf <= 0.05
		for (j = 1; j <= n / 2; j++) {
			cdf += p; p = p * (n - j + 1) / j
			if (2 * cdf <= 0.05) { k = j; conf = 1 - 2 * cdf }
		}
		if (n < 6) conf = 1 - 2 * 0.5 ^ n
		printf "%.2f %.2f %.2f %.1f\n", med / 1000, v[k] / 1000, v[n + 1 - k] / 1000, conf * 100
	}'
}

declare -A res
NAMES="bare floor floor_entry ours ours_fp ours_sampled bpftrace"
[ -n "${BASE:-}" ] && NAMES+=" base base_fp"
command -v bpftrace >/dev/null || NAMES=$(echo "$NAMES" | sed 's/floor floor_entry //; s/bpftrace//')
# ONLY: a subset, for a longer run of what matters (bare and the floor
# always run)
if [ -n "${ONLY:-}" ]; then
	keep=
	for n in $NAMES; do
		if [[ " bare floor $ONLY " == *" $n "* ]]; then keep+=" $n"; fi
	done
	NAMES=${keep# }
fi
for name in $NAMES; do
	: > "$TMP/$name.wall"
	: > "$TMP/$name.cpu"
done
run_one() {
	case $1 in
	bare) run_bare ;;
	floor) run_bt floor ;;
	floor_entry) run_bt floor_entry ;;
	bpftrace) run_bt mem ;;
	ours) run_ours ;;
	ours_fp) run_ours --unwind fp ;;
	ours_sampled) run_ours --sample-every 100 ;;
	base) run_base ;;
	base_fp) run_base --unwind fp ;;
	esac
}
read -ra order <<< "$NAMES"
for r in $(seq "$ROUNDS"); do
	for i in "${!order[@]}"; do
		name=${order[(i + r) % ${#order[@]}]}
		read -r wall cpu < <(run_one "$name")
		echo "$wall" >> "$TMP/$name.wall"
		echo "$cpu" >> "$TMP/$name.cpu"
	done
done
label_of() {
	case $1 in
	floor) echo "3 empty probes (the traps alone)" ;;
	floor_entry) echo "2 empty uprobes (no uretprobe)" ;;
	ours) echo "profiler mem (full tracking)" ;;
	ours_fp) echo "profiler mem --unwind fp" ;;
	ours_sampled) echo "profiler mem --sample-every 100" ;;
	bpftrace) echo "bpftrace (uprobe+uretprobe+ustack, free)" ;;
	base) echo "profiler mem, BASE build" ;;
	base_fp) echo "profiler mem --unwind fp, BASE build" ;;
	*) echo "$1" ;;
	esac
}
# each round's difference of two variants: A B wall|cpu
paired() { paste "$TMP/$1.$3" "$TMP/$2.$3" | awk '$1 != "" && $2 != "" { print $1 - $2 }'; }
us() { awk -v n="$1" 'BEGIN { if (n == "") print "n/a"; else printf "%.2f", n / 1000 }'; }
table() {	# wall|cpu
	local m=$1 name add above iv med lo hi conf
	for name in $NAMES; do
		res[$name]=$(median < "$TMP/$name.$m")
	done
	printf "%-40s %8s %9s %12s %20s\n" "run ($m)" "us/pair" "added us" "above floor*" "interval (conf.)"
	[ -n "${res[bare]:-}" ] && printf "%-40s %8s %9s %12s\n" "bare" "$(us "${res[bare]}")" "-" "-"
	for name in $NAMES; do
		[ "$name" = bare ] && continue
		add=-
		[ -n "${res[bare]:-}" ] && add=$(awk -v a="${res[$name]}" -v b="${res[bare]}" \
			'BEGIN { if (a == "") print "n/a"; else printf "%.2f", (a - b) / 1000 }')
		above=- iv=
		if [ "$name" != floor ]; then
			read -r med lo hi conf < <(paired "$name" floor "$m" | interval)
			above=$(printf "%+.2f" "$med")
			iv=$(printf "[%+.2f, %+.2f] %s%%" "$lo" "$hi" "$conf")
		fi
		printf "%-40s %8s %9s %12s %20s\n" "$(label_of "$name")" "$(us "${res[$name]}")" "$add" \
			"$above" "$iv"
	done
}
# whether the rounds show a target: SHOWN when the whole interval meets it,
# REFUTED when none of it does, else not decided
verdict() {	# LABEL A B LIMIT_US wall|cpu
	local med lo hi conf v
	read -r med lo hi conf < <(paired "$2" "$3" "$5" | interval)
	v=$(awk -v lo="$lo" -v hi="$hi" -v l="$4" 'BEGIN {
		print (hi <= l ? "SHOWN" : (lo > l ? "REFUTED" : "not decided")) }')
	printf "  %-44s %+.2f us [%+.2f, %+.2f] %s%%: %s\n" "$1 ($5)" "$med" "$lo" "$hi" "$conf" "$v"
}
echo "malloc(64)+free pairs: $N, $ROUNDS rounds, storm on CPU $STORM_CPU of $(nproc), $(uname -r)"
table wall
table cpu
echo "all runs, ns/pair (wall / cpu):"
for name in $NAMES; do
	echo "  $name: $(tr '\n' ' ' < "$TMP/$name.wall")/ $(tr '\n' ' ' < "$TMP/$name.cpu")"
done
echo "* median over rounds of (this run - the floor's run of the same round); the"
echo "  interval holds that median's true value at the confidence given (sign test)"
if [[ " $NAMES " == *" floor "* && " $NAMES " == *" ours "* ]]; then
	echo "targets (median of the rounds' paired differences, interval):"
	for m in cpu wall; do
		verdict "profiler mem - floor <= 1 us" ours floor 1 "$m"
		[[ " $NAMES " == *" bpftrace "* ]] &&
			verdict "profiler mem - bpftrace < 0" ours bpftrace -0.000001 "$m"
	done
fi

# The BPF programs' own run time per pair (kernel.bpf_stats_enabled, through
# --stats): what the probes add beyond the traps, free of most of the
# machine's noise.  The floor's own three programs (bpftrace's, empty) are
# not counted here.
bpf_per_pair() {	# PROFILER [OPTIONS]
	local p=$1
	shift
	"$p" mem -q --stats "$@" -o /dev/null -f folded -- "$W" "$N" 2>&1 |
		awk -v n="$N" '/^  BPF .* runs, / {
				runs = $3; each = $5
				gsub(",", "", runs)
				# the probes that run on each pair; the fork and exec
				# tracepoints run for every process of the machine
				if (runs + 0 < n)
					next
				us = runs * each / n
				tot += us
				out = out sprintf(" %s %.2f", $2, us)
			}
			END { printf "%.2f us/pair:%s\n", tot, out }'
}
echo "BPF run time per pair (--stats, one run each):"
echo "  profiler mem: $(bpf_per_pair "$BUILD/profiler")"
echo "  profiler mem --unwind fp: $(bpf_per_pair "$BUILD/profiler" --unwind fp)"
if [ -n "${BASE:-}" ]; then
	echo "  BASE profiler mem: $(bpf_per_pair "$BASEP")"
	echo "  BASE profiler mem --unwind fp: $(bpf_per_pair "$BASEP" --unwind fp)"
fi
