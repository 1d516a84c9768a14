#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# What the session loop's wake-ups buy and cost under process churn:
# `profiler cpu -a -F 999 --stats` for SECONDS while `churn 100` starts 100
# processes a second (each 3 ms in short_lived_work), and then `-- sh LOOP`
# over 150 processes of 4 ms (names.bats' loop), with BASE=/path/to/an/
# older/profiler alternating in the same run (ROUNDS=N, default 2).
# For each run: CPU seconds (user + sys), how often the loop woke, BPF per
# sample, churn's short_lived_work samples, how many of those were unwound
# to _start, and churn's unnamed samples ([pid N exited], [unmapped],
# churn+0x, [unknown]); the loop: short_lived_work named, unnamed, from
# _start (the tables in place before the process needed them).
# VARIANTS="LABEL=PATH ..." adds more profilers to each round.  CGROUP=1
# puts churn in a cgroup v2 of its own and profiles only it (--cgroup):
# without the tables of whatever else a shared machine runs, which hold
# the loop for seconds (the mapping records stay the whole machine's).
#   scripts/bench/wakes.sh [BUILD] [SECONDS]
# Needs root.  A benchmark: nothing in `make test` depends on its timing.
set -euo pipefail

build=${1:-build}
secs=${2:-20}
here=$(dirname "$0")
# shellcheck source=lib.bash
. "$here/lib.bash"

start_re='_start;__libc_start_main[^;]*;__libc_start_call_main;main;short_lived_work'
unnamed_re='\[pid [0-9]+ (exited|reused)\]|\[unmapped\]|\[unknown\]|churn\+0x'
sum() { awk '{ s += $NF } END { print s + 0 }'; }

churn_run() {	# NAME PROFILER
	local f=$tmp/out.folded err=$tmp/err user sys kb
	/usr/bin/time -f '%U %S %M' -o "$tmp/time" \
		"$2" cpu -a ${cg:+--cgroup "$cg"} -F 999 -d "$secs" --stats -o "$f" 2>"$err"
	read -r user sys kb < "$tmp/time"
	printf '| %s | %.2f | %s | %s | %s | %s | %s | %s |\n' "$1" \
		"$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" \
		"$(sed -n 's/.*the loop woke \([0-9]*\) times.*/\1/p' "$err")" \
		"$(sed -n 's/.*BPF cpu_sample .* runs, \([0-9.]*\) us each.*/\1/p' "$err")" \
		"$(sum < "$f")" \
		"$(grep -E '^churn;.*short_lived_work' "$f" | sum)" \
		"$(grep -E "^churn;$start_re" "$f" | sum)" \
		"$(grep -E '^churn;' "$f" | grep -v sys_execve | grep -E "$unnamed_re" | sum)"
}

loop_run() {	# NAME PROFILER
	local f=$tmp/loop.folded user sys kb
	/usr/bin/time -f '%U %S %M' -o "$tmp/time" \
		"$2" cpu -F 999 --stats -o "$f" -- sh "$tmp/loop.sh" 2>"$tmp/err"
	read -r user sys kb < "$tmp/time"
	printf '| %s | %.2f | %s | %s | %s | %s |\n' "$1" \
		"$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" \
		"$(sed -n 's/.*the loop woke \([0-9]*\) times.*/\1/p' "$tmp/err")" \
		"$(grep -E '^shortchurn;.*short_lived_work' "$f" | sum)" \
		"$(grep -E '^shortchurn;' "$f" | grep -v sys_execve | grep -E "$unnamed_re" | sum)" \
		"$(grep -E "^shortchurn;$start_re" "$f" | sum)"
}

rounds=${ROUNDS:-2}
runs=()
[ -n "${BASE:-}" ] && runs+=("before=$BASE")
runs+=("after=$build/profiler")
for v in ${VARIANTS:-}; do runs+=("$v"); done
cp "$build/workloads/churn" "$tmp/shortchurn"
printf 'i=0; while [ $i -lt 150 ]; do %s --child 4; i=$((i + 1)); done\n' "$tmp/shortchurn" > "$tmp/loop.sh"

echo "## The loop's wake-ups under churn ($secs s, churn 100, -F 999 -a${CGROUP:+ --cgroup})"
echo
echo "| run | CPU s | loop woke | BPF per sample us | samples | short_lived_work | of it from _start | churn unnamed |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
cgroup_for_load wakes
bg_load "$build/workloads/churn" 100 $(( rounds * ${#runs[@]} * (secs + 15) + 10 )) \
	"$build/workloads/libspin.so"
sleep 1
for r in $(seq "$rounds"); do
	for v in "${runs[@]}"; do
		churn_run "${v%%=*}, round $r" "${v#*=}"
	done
done
kill "${loads[@]}" 2>/dev/null || true
echo
echo "## 150 processes of 4 ms under -- sh LOOP (600 samples of short_lived_work expected)"
echo
echo "| run | CPU s | loop woke | short_lived_work | unnamed | from _start |"
echo "| --- | --- | --- | --- | --- | --- |"
for r in $(seq "$rounds"); do
	for v in "${runs[@]}"; do
		loop_run "${v%%=*}, round $r" "${v#*=}"
	done
done
