#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# What profiler top costs at its default refresh (2 s): its own CPU time
# plus the run time of its BPF programs, as a share of one CPU, in the
# steady state (from WARM s after its programs are loaded to WARM + SPAN
# s: loading and the first unwind tables are a one-off, said apart).  Own CPU from
# /proc/PID/stat, BPF time from the run_time_ns of each of its programs
# (/proc/PID/fdinfo; --stats turns the kernel's counting on).  Three runs:
# the dashboard in a tmux pane of 80x24 watching the whole system (the
# default), the same in batch mode to /dev/null, and the dashboard on one
# idle process (-p of a sleep).  The target is <= 1% of one CPU on an idle
# machine; the load average is printed beside, since the programs that see
# the whole machine (sched_switch, futex) cost what the machine does.
# With BASE=/path/to/an/older/profiler each case runs both builds at once
# (the same span of the same machine), over ROUNDS rounds (default 2),
# which starts first alternating; the ratios are printed.
#   [BASE=OLD ROUNDS=N] scripts/bench/top.sh [BUILD] [WARM] [SPAN]
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
trap 'for i in 1 2; do tmux -L "$sock-$i" kill-server 2>/dev/null || true; done; cleanup' EXIT

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

# wait until the profiler has loaded its programs (their number steady
# for 5 s): on a busy machine loading takes longer than any fixed WARM
loaded() {	# PID
	local n prev=-1 same=0
	for _ in $(seq 300); do
		n=$(awk '/^prog_id:/ { print $2 }' /proc/"$1"/fdinfo/* 2>/dev/null | sort -u | wc -l)
		if [ "$n" -gt 0 ] && [ "$n" = "$prev" ]; then
			same=$((same + 1))
			[ "$same" -ge 5 ] && return 0
		else
			same=0
		fi
		prev=$n
		sleep 1
	done
}

# the steady-state cost of the profilers with these PIDs, measured over
# the same span: a "cpu% bpf%" line for each
measure() {	# PID...
	local p t0=() t1=() s0 s1 i=0
	for p in "$@"; do
		loaded "$p"
	done
	sleep "$warm"
	s0=$(date +%s%N)
	for p in "$@"; do
		t0+=("$(ticks "$p")")
		bpf_ns "$p" > "$tmp/bpf0.$p"
	done
	sleep "$span"
	s1=$(date +%s%N)
	for p in "$@"; do
		t1+=("$(ticks "$p")")
		bpf_ns "$p" > "$tmp/bpf1.$p"
	done
	for p in "$@"; do
		awk -v t="$((t1[i] - t0[i]))" -v hz="$hz" -v ns="$((s1 - s0))" \
			-v b="$(bpf_delta "$tmp/bpf0.$p" "$tmp/bpf1.$p")" 'BEGIN {
			printf "%.2f %.2f\n", 100 * t / hz / (ns / 1e9), 100 * b / ns }'
		i=$((i + 1))
	done
}

# the profiler under the pane of tmux server SOCK
pane_profiler() {	# SOCK
	local pane p
	pane=$(tmux -L "$1" display -p '#{pane_pid}')
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

d=$((warm + span + 120))	# loading takes seconds, on a busy machine a minute

# the median time of a window's collect and symbolization in a -v log,
# the first 3 windows (the first symbolization, loading) left out
cut_ms() {	# LOG
	grep -o 'collected and symbolized in [0-9.]* ms' "$1" | awk '{ print $5 }' |
		tail -n +4 | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'
}

# one case, with each build given at once: a "cpu% bpf%" line for each
run_case() {	# dashboard|batch|idle PROFILER...
	local c=$1 pr i=0 pids=() socks=()
	shift
	for pr in "$@"; do
		i=$((i + 1))
		case $c in
		dashboard|idle)
			socks+=("$sock-$i")
			tmux -L "$sock-$i" new-session -d -x 80 -y 24 \
				"'$pr' top -q --stats -d $d $([ "$c" = idle ] && echo "-p ${loads[0]}") 2> $tmp/$c.$i.err"
			pids+=("$(pane_profiler "$sock-$i")") ;;
		batch)
			# -v: each window's collect and symbolization time (pr_debug)
			"$pr" top -b -v --stats -d "$d" > /dev/null 2> "$tmp/batch.$i.err" &
			pids+=($!) ;;
		esac
	done
	measure "${pids[@]}"
	for s in "${socks[@]}"; do
		tmux -L "$s" kill-server 2>/dev/null || true
	done
	[ "$c" = batch ] && { kill "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; }
	return 0
}

label() {	# CASE
	case $1 in
	dashboard) echo "dashboard (80x24 tmux pane), whole system" ;;
	batch) echo "batch (-b to /dev/null), whole system" ;;
	idle) echo "dashboard, -p of an idle process" ;;
	esac
}

sleep 3600 &
loads+=($!)
echo "profiler top at its default refresh (2 s), steady state: ${span} s measured after ${warm} s"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
printf "%-44s %9s %9s %9s\n" "share of one CPU" "own CPU" "BPF" "total"
if [ -z "${BASE:-}" ]; then
	for c in dashboard batch idle; do
		row "$(label "$c")" "$(run_case "$c" "$prof")"
	done
else
	# the old build and this one at once, over the same span: the same
	# machine under them (alternating spans would not share a busy
	# machine's bursts); which starts first alternates by round
	base=$(cd "$(dirname "$BASE")" && pwd)/$(basename "$BASE")
	for r in $(seq "${ROUNDS:-2}"); do
		for c in dashboard batch idle; do
			if [ $((r % 2)) = 1 ]; then
				mapfile -t v < <(run_case "$c" "$base" "$prof" || true)
				b=${v[0]:-} n=${v[1]:-}
			else
				mapfile -t v < <(run_case "$c" "$prof" "$base" || true)
				n=${v[0]:-} b=${v[1]:-}
			fi
			if [ -z "$b" ] || [ -z "$n" ]; then
				echo "round $r, $c: a profiler ended early, left out:"
				cat "$tmp/$c".*.err 2>/dev/null | tail -5
				continue
			fi
			echo "$c base $b" >> "$tmp/ab"
			echo "$c new $n" >> "$tmp/ab"
			row "round $r, before: $c" "$b"
			row "round $r, after:  $c" "$n"
			if [ "$c" = batch ]; then
				if [ $((r % 2)) = 1 ]; then cb=1 cn=2; else cb=2 cn=1; fi
				echo "$(cut_ms "$tmp/batch.$cb.err") $(cut_ms "$tmp/batch.$cn.err")" >> "$tmp/cuts"
				echo "round $r: a window's collect + symbolization, median: $(cut -d' ' -f1 < <(tail -1 "$tmp/cuts")) ms before, $(cut -d' ' -f2 < <(tail -1 "$tmp/cuts")) ms after"
			fi
		done
	done
	echo "after / before, totals (own CPU + BPF) averaged over the rounds:"
	awk '{ t[$1 " " $2] += $3 + $4; k[$1 " " $2]++ } END {
		n = split("dashboard batch idle", c, " ")
		for (i = 1; i <= n; i++) {
			b = c[i] " base"; a = c[i] " new"
			if (k[b])
				printf "  %-10s %6.2f%% -> %6.2f%%  ratio %.2f\n", c[i], t[b] / k[b],
				       t[a] / k[a], t[b] ? t[a] / t[b] : 0
		} }' "$tmp/ab"
	[ -s "$tmp/cuts" ] && awk '{ b += $1; a += $2 } END {
		printf "  per window, collect + symbolize (batch, median): %.1f ms -> %.1f ms  ratio %.2f\n",
		       b / NR, a / NR, b ? a / b : 0 }' "$tmp/cuts"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
