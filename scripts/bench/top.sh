#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# What profiler top costs at its default refresh (2 s): its own CPU time
# plus the run time of its BPF programs, as a share of one CPU, in the
# steady state (from WARM s after the start to WARM + SPAN s: loading and
# the first unwind tables are a one-off, said apart).  Own CPU from
# /proc/PID/stat, BPF time from the run_time_ns of each of its programs
# (/proc/PID/fdinfo; --stats turns the kernel's counting on).  Three runs:
# the dashboard in a tmux pane of 80x24 watching the whole system (the
# default), the same in batch mode to /dev/null, and the dashboard on one
# idle process (-p of a sleep).  The target is <= 1% of one CPU on an idle
# machine; the load average is printed beside, since the programs that see
# the whole machine (sched_switch, futex) cost what the machine does.
#   scripts/bench/top.sh [BUILD] [WARM] [SPAN]
set -euo pipefail

build=${1:-build}
warm=${2:-15}
span=${3:-30}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.bash"
prof=$(cd "$build" && pwd)/profiler
sock="bench-top-$$"

[ -x "$prof" ] || { echo "missing $prof: run 'make all'" >&2; exit 1; }
command -v tmux > /dev/null || { echo "tmux missing: run scripts/deps.sh" >&2; exit 1; }
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; cleanup' EXIT

hz=$(getconf CLK_TCK)

# user + system CPU ticks of a process
ticks() {	# PID
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# run time of each of a process's BPF programs: "id ns" lines, each program once
bpf_ns() {	# PID
	awk 'FNR == 1 { id = "" } /^prog_id:/ { id = $2 } /^run_time_ns:/ && id != "" { print id, $2 }' \
		/proc/"$1"/fdinfo/* 2>/dev/null | sort -u -k1,1
}

# the growth of the programs' run time between two bpf_ns lists; a
# program that was closed meanwhile (a one-off iterator) is left out
bpf_delta() {	# BEFORE AFTER
	join "$1" "$2" | awk '{ s += $3 - $2 } END { printf "%.0f\n", s }'
}

# the steady-state cost of the profiler with this PID: "cpu% bpf%"
measure() {	# PID
	local p=$1 t0 t1 s0 s1
	sleep "$warm"
	t0=$(ticks "$p") s0=$(date +%s%N)
	bpf_ns "$p" > "$tmp/bpf0"
	sleep "$span"
	t1=$(ticks "$p") s1=$(date +%s%N)
	bpf_ns "$p" > "$tmp/bpf1"
	awk -v t="$((t1 - t0))" -v hz="$hz" -v b="$(bpf_delta "$tmp/bpf0" "$tmp/bpf1")" -v ns="$((s1 - s0))" 'BEGIN {
		printf "%.2f %.2f\n", 100 * t / hz / (ns / 1e9), 100 * b / ns }'
}

# the profiler under a tmux pane's shell
pane_profiler() {
	local pane p
	pane=$(tmux -L "$sock" display -p '#{pane_pid}')
	for _ in $(seq 50); do
		p=$(pgrep -P "$pane" -x profiler || true)
		[ -n "$p" ] && { echo "$p"; return; }
		sleep 0.1
	done
	echo "no profiler under the tmux pane" >&2
	return 1
}

row() {	# LABEL "cpu% bpf%"
	local c b
	read -r c b <<< "$2"
	printf "%-44s %8.2f%% %8.2f%% %8.2f%%\n" "$1" "$c" "$b" "$(awk -v c="$c" -v b="$b" 'BEGIN { print c + b }')"
}

d=$((warm + span + 30))	# loading takes seconds on a busy machine
echo "profiler top at its default refresh (2 s), steady state: ${span} s measured after ${warm} s"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
printf "%-44s %9s %9s %9s\n" "share of one CPU" "own CPU" "BPF" "total"

tmux -L "$sock" new-session -d -x 80 -y 24 "'$prof' top -q --stats -d $d 2> $tmp/screen.err"
row "dashboard (80x24 tmux pane), whole system" "$(measure "$(pane_profiler)")"
tmux -L "$sock" kill-server 2>/dev/null || true

"$prof" top -b -q --stats -d "$d" > /dev/null 2> "$tmp/batch.err" &
p=$!
row "batch (-b to /dev/null), whole system" "$(measure "$p")"
kill "$p" 2>/dev/null || true
wait "$p" 2>/dev/null || true

sleep 3600 &
loads+=($!)
tmux -L "$sock" new-session -d -x 80 -y 24 "'$prof' top -q --stats -d $d -p ${loads[0]} 2> $tmp/idle.err"
row "dashboard, -p of an idle process" "$(measure "$(pane_profiler)")"
tmux -L "$sock" kill-server 2>/dev/null || true
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
