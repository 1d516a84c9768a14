#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# What process churn costs: `profiler cpu -a -F 999` against `perf record
# -g -a -F 999` + `perf script` + a fold (collapse-perf.awk), one after the
# other under the same load: tests/workloads/churn starting 100 processes
# a second (each 3 ms of CPU in short_lived_work, a thread and a dlopen
# every tenth).  For each: CPU seconds (user + sys, /usr/bin/time, the
# tools' own processes), peak RSS, and for ours the BPF program's time per
# sample (--stats) and the samples lost.  With BASE=/path/to/an/older/
# profiler, that one runs too, in the same run, for a before/after.
# Each build first runs once for 3 s, unmeasured: a new build's first run
# makes every unwind table it caches on disk, which later runs read back.
# ROUNDS=N (default 1) repeats the lot, the tools alternating, and gives
# each ratio's median: a shared machine's load changes from minute to
# minute.  CGROUP=1 puts churn in a cgroup v2 of its own and profiles
# only it (`--cgroup`), ours only (perf record -G needs the v1 perf_event
# controller): what a new process costs us, without the tables and the
# symbols of whatever else the machine runs.  TOGETHER=1 (with BASE=)
# runs the two builds at once on the same churn, no perf, the one started
# first alternating: on a loaded machine, where one run after another
# sees different neighbours (their processes, stacks and files), both
# then profile the same ones.
#   scripts/bench/churn.sh [BUILD] [SECONDS]
# Needs root.  A benchmark: nothing in `make test` depends on its timing.
set -euo pipefail

build=${1:-build}
secs=${2:-${CHURN_SECONDS:-25}}
rate=100
here=$(dirname "$0")
# shellcheck source=lib.bash
. "$here/lib.bash"

command -v perf >/dev/null || { echo "churn.sh: perf is missing: scripts/deps.sh --bench" >&2; exit 1; }
bpf_stats_on	# our CPU without --stats's own switch of them (lib.bash)

# One row: NAME CPU_SECONDS RSS_KIB FOLDED BPF_US LOST
row() {
	local work
	work=$(awk '/^churn;.*short_lived_work/ { s += $NF } END { print s + 0 }' "$4")
	printf '| %s | %.2f | %.1f | %s | %s | %s | %s |\n' "$1" "$2" \
		"$(awk -v k="$3" 'BEGIN { print k / 1024 }')" "$5" \
		"$(awk '{ s += $NF } END { print s + 0 }' "$4")" "$work" "$6"
}

ours() {	# NAME PROFILER
	local err=$tmp/$1.err user sys kb bpf lost at
	/usr/bin/time -f '%U %S %M' -o "$tmp/$1.time" \
		"$2" cpu -a ${cg:+--cgroup "$cg"} -F 999 -d "$secs" --stats -o "$tmp/$1.folded" 2>"$err"
	read -r user sys kb < "$tmp/$1.time"
	bpf=$(sed -n 's/.*BPF cpu_sample\(_defer\)\{0,1\} .* runs, \([0-9.]*\) us each.*/\2 us/p' "$err")
	# on 6.18 a young process's first sample is finished in task work,
	# which the kernel's run-time stats leave out: added from --stats,
	# spread over all the samples
	tw=$(sed -n 's/.*young processes: \([0-9]*\) samples unwound at their return to user mode (\([0-9.]*\) us each.*/\1 \2/p' "$err")
	if [ -n "$tw" ] && [ -n "$bpf" ]; then
		bpf=$(sed -n 's/.*BPF cpu_sample_defer *\([0-9,]*\) runs, .* \([0-9.]*\) ms in all.*/\1 \2/p' "$err" |
			tr -d , | awk -v tw="$tw" '{ split(tw, t, " ");
				printf "%.2f us (%.2f + task work)", ($2 * 1000 + t[1] * t[2]) / $1, $2 * 1000 / $1 }')
	fi
	# where task work is refused (some 6.18 builds) the entries are made as
	# processes take their mmap lock, by a program of their own: its
	# time, on the processes' own, is spread over the samples too
	at=$(sed -n 's/.*BPF cpu_entry_at_lock *[0-9,]* runs, .* \([0-9.]*\) ms in all.*/\1/p' "$err")
	if [ -n "$at" ] && [ -n "$bpf" ]; then
		bpf=$(sed -n 's/.*BPF cpu_sample *\([0-9,]*\) runs, .* \([0-9.]*\) ms in all.*/\1 \2/p' "$err" |
			tr -d , | awk -v at="$at" '{ printf "%.2f us (%.2f + entries at the mmap lock)",
				($2 + at) * 1000 / $1, $2 * 1000 / $1 }')
	fi
	lost=$(sed -n 's/.*warning: \([0-9,]*\) samples did not fit.*/\1/p' "$err")
	row "$1" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$kb" "$tmp/$1.folded" \
		"${bpf:--}" "${lost:-0}"
	awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }' > "$tmp/$1.cpu"
	# the parts, for docs/performance.md's breakdown
	grep -E '^  (unwind tables|per process|young processes|processes noted|CPU by part):' "$err" \
		> "$tmp/$1.parts" || true
}

theirs() {
	local user sys kb u2 s2 kb2
	/usr/bin/time -f '%U %S %M' -o "$tmp/rec.time" \
		perf record -q -F 999 -g -a -o "$tmp/perf.data" -- sleep "$secs" 2>/dev/null
	/usr/bin/time -f '%U %S %M' -o "$tmp/script.time" \
		sh -c "perf script -i '$tmp/perf.data' 2>/dev/null | awk -f '$here/collapse-perf.awk' > '$tmp/perf.folded'"
	read -r user sys kb < "$tmp/rec.time"
	read -r u2 s2 kb2 < "$tmp/script.time"
	row "perf record -g + script + collapse" \
		"$(awk -v a="$user" -v b="$sys" -v c="$u2" -v d="$s2" 'BEGIN { print a + b + c + d }')" \
		"$(( kb > kb2 ? kb : kb2 ))" "$tmp/perf.folded" - -
	awk -v a="$user" -v b="$sys" -v c="$u2" -v d="$s2" 'BEGIN { print a + b + c + d }' > "$tmp/perf.cpu"
}

rounds=${ROUNDS:-1}
runs=2
[ -n "${BASE:-}" ] && runs=3
if [ -n "${TOGETHER:-}" ]; then
	[ -n "${BASE:-}" ] || { echo "churn.sh: TOGETHER=1 needs BASE=/path/to/the/other/profiler" >&2; exit 1; }
	runs=1
fi
cg=
churn_secs=$(( rounds * runs * (secs + 30) + 30 ))
if [ -n "${CGROUP:-}" ]; then
	v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$v2" ] || { echo "churn.sh: CGROUP=1 needs a cgroup v2 mount" >&2; exit 1; }
	cg=$v2/profiler-churn-$$
	mkdir "$cg"
	trap 'cleanup; rmdir "$cg" 2>/dev/null || true' EXIT
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$cg" \
		"$build/workloads/churn" $rate $churn_secs "$build/workloads/libspin.so" >/dev/null &
else
	"$build/workloads/churn" $rate $churn_secs "$build/workloads/libspin.so" >/dev/null &
fi
loads+=($!)
sleep 1

echo "## Process churn"
echo
[ -n "$cg" ] && echo "Only churn's cgroup (\`--cgroup\`; no perf row): ours alone, at 999 Hz for $secs s while \`churn $rate\` starts $rate processes a" \
	|| echo "System-wide at 999 Hz for $secs s while \`churn $rate\` starts $rate processes a"
echo "second (each 3 ms of CPU in \`short_lived_work\`: about $((rate * secs * 3)) samples of it"
echo "expected), one tool after the other under the same load. CPU: user + system"
echo "seconds of the tools' own processes (perf: record, then script and the fold)."
echo "BPF: our program's run time per sample (--stats); the kernel's own sampling"
echo "and perf's are not counted on either side. The kernel's BPF run-time stats"
echo "stay on for the whole run, so that --stats does not switch them (lib.bash)."
echo
# Each build once, unmeasured, before the rounds: the unwind tables it
# keeps on disk are its own (keyed by its build-id), so a new build's first
# run makes them all, which any later run reads back; measured after, the
# rounds compare runs as a machine sees them after the first.
for p in "$build/profiler" ${BASE:+"$BASE"}; do
	"$p" cpu -a -F 999 -d 3 -o /dev/null 2>/dev/null || true
done
echo "Each build ran once for 3 s before the rounds, unmeasured (its tables cached)."
echo
echo "| tool | CPU s | peak RSS MiB | BPF per sample | samples | short_lived_work | samples lost |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
together() {	# ROUND: both builds at once, the first started alternating
	local a="profiler cpu (round $1)" b="profiler cpu (before, round $1)" p1 p2

	if [ $(($1 % 2)) = 1 ]; then
		ours "$b" "$BASE" > "$tmp/b.row" & p1=$!
		sleep 0.2
		ours "$a" "$build/profiler" > "$tmp/a.row" & p2=$!
	else
		ours "$a" "$build/profiler" > "$tmp/a.row" & p1=$!
		sleep 0.2
		ours "$b" "$BASE" > "$tmp/b.row" & p2=$!
	fi
	wait "$p1" "$p2"
	cat "$tmp/b.row" "$tmp/a.row"
	ratio "$tmp/$a.cpu" "$tmp/$b.cpu" >> "$tmp/self.ratios"
	echo >> "$tmp/self.ratios"
}
ratio() { awk -v a="$(cat "$1")" -v b="$(cat "$2")" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
for r in $(seq "$rounds"); do
	if [ -n "${TOGETHER:-}" ]; then
		together "$r"
		continue
	fi
	sfx=$([ "$rounds" -gt 1 ] && echo ", round $r" || true)
	[ -n "${BASE:-}" ] && ours "profiler cpu (before$sfx)" "$BASE"
	ours "profiler cpu$([ "$rounds" -gt 1 ] && echo " (round $r)")" "$build/profiler"
	if [ -n "$cg" ]; then	# no perf: each of ours against the base, if any
		echo 1 > "$tmp/perf.cpu"
	else
		theirs
	fi
	ratio "$tmp/perf.cpu" "$tmp/profiler cpu$([ "$rounds" -gt 1 ] && echo " (round $r)").cpu" >> "$tmp/after.ratios"
	echo >> "$tmp/after.ratios"
	if [ -n "${BASE:-}" ]; then
		ratio "$tmp/perf.cpu" "$tmp/profiler cpu (before$sfx).cpu" >> "$tmp/before.ratios"
		echo >> "$tmp/before.ratios"
		ratio "$tmp/profiler cpu$([ "$rounds" -gt 1 ] && echo " (round $r)").cpu" \
			"$tmp/profiler cpu (before$sfx).cpu" >> "$tmp/self.ratios"
		echo >> "$tmp/self.ratios"
	fi
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
echo
[ -n "$cg" ] && [ -n "${BASE:-}" ] && echo && echo "ours after / before: $(median "$tmp/self.ratios")x$([ "$rounds" -gt 1 ] && echo ", median of $rounds rounds")."
[ -n "${TOGETHER:-}" ] && echo "Both builds at once on one churn: ours / before $(median "$tmp/self.ratios")x$([ "$rounds" -gt 1 ] && echo ", median of $rounds rounds") (the ratios: $(tr '\n' ' ' < "$tmp/self.ratios"))."
[ -z "$cg" ] && [ -z "${TOGETHER:-}" ] && echo "perf's CPU / ours: $(median "$tmp/after.ratios")x$([ -n "${BASE:-}" ] && echo " (before: $(median "$tmp/before.ratios")x; ours after / before: $(median "$tmp/self.ratios")x)")$([ "$rounds" -gt 1 ] && echo ", medians of $rounds rounds")."
for f in "$tmp"/*.parts; do
	[ -s "$f" ] || continue
	echo
	echo "$(basename "$f" .parts), --stats:"
	echo '```'
	cat "$f"
	echo '```'
done
