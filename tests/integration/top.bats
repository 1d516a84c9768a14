#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# profiler top: driven in a real terminal (a tmux pane of 80x24: start it,
# send keys, read the screen), and in batch mode.  The known answers come
# from the workloads: burn31's spin_three takes 3/4 of its CPU, dio writes
# and reads a loop device of its own, lockfight's threads fight over one
# mutex.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	setup_common
	SOCK="profiler-top-$$-$BATS_TEST_NUMBER"
}

teardown() {
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	loop_teardown
	teardown_common
}

# Start top in a new 80x24 pane with these arguments; the pane's shell
# keeps the terminal's settings before and after, and top's exit code.
top_start() {
	tmux -L "$SOCK" new-session -d -x 80 -y 24 -e "NO_COLOR=${NO_COLOR:-}" \
		"stty -g > $TMP/stty.before; $PROFILER top $*; echo \$? > $TMP/rc; stty -g > $TMP/stty.after; sleep 600"
}

screen() {
	tmux -L "$SOCK" capture-pane -p "$@"
}

# Wait up to 60 s for the screen to match an extended regex.
wait_for() {	# REGEX
	for _ in $(seq 300); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.2
	done
	echo "the screen never matched '$1':"
	screen
	return 1
}

key() {
	tmux -L "$SOCK" send-keys "$@"
	sleep 0.3
}

# The window number in the header.
window_no() {
	screen | sed -n 's/^profiler top.* - window \([0-9]*\),.*/\1/p' | head -1
}

# top ended by itself or by a key: exit code 0, the terminal as it was
# (same stty settings), the dashboard gone from the pane.
ended_clean() {
	for _ in $(seq 100); do
		[ -s "$TMP/rc" ] && break
		sleep 0.2
	done
	screen
	[ "$(cat "$TMP/rc")" = 0 ]
	cmp "$TMP/stty.before" "$TMP/stty.after"
	! screen | grep -q 'q quit  space pause'
}

# A data row of the CPU panel's table: SELF% TOTAL% NAME
cpu_row() {	# NAME
	screen | grep -E "^ +[0-9.]+% +[0-9.]+%  $1\$"
}

@test "top: the hot function of a known workload on the screen; q exits and restores the terminal" {
	top_start -i 1 -- "$W/burn31" 120
	wait_for '^ +[0-9.]+% +[0-9.]+%  spin_three$'
	screen
	# the CPU panel is the first one shown, and its process is burn31
	screen | grep -q '^>CPU '
	screen | grep -Eq '^ +[0-9.]+% +[0-9.]+%  burn31 \[[0-9]+\]$'
	screen | grep -q 'q quit  space pause  tab panel'
	key q
	ended_clean
}

@test "top: each key does what it says" {
	top_start -i 1 -o "$TMP" -- "$W/burn31" 120
	wait_for '^ +[0-9.]+% +[0-9.]+%  spin_one$'
	pid=$(screen | sed -n 's/.*burn31 \[\([0-9]*\)\]$/\1/p' | head -1)
	[ -n "$pid" ]

	# tab, arrows: the panels in turn
	key Tab
	wait_for '^>MEM '
	wait_for '^-- MEM: sorted by ALLOC/s'
	key Right
	wait_for '^>I/O '
	key Down
	wait_for '^>WAIT '
	key Left
	wait_for '^>I/O '
	key BTab
	key Up
	wait_for '^>CPU '

	# s: by total, so the callers of everything come first
	key s
	wait_for 'CPU: sorted by TOTAL'
	wait_for '^ +[0-9.]+% +100\.0%  (main|_start|__libc_start_main|__libc_start_call_main)$'
	key s
	wait_for 'CPU: sorted by SELF'

	# /: only names with the text
	key /
	wait_for 'Search names for'
	key -l spin_one
	key Enter
	wait_for 'names with .spin_one.'
	wait_for '^ +[0-9.]+% +[0-9.]+%  spin_one$'
	sleep 1.5
	! cpu_row spin_three
	key /
	key Enter
	wait_for '^ +[0-9.]+% +[0-9.]+%  spin_three$'

	# p: one process; a PID that runs nothing shows why the panel is empty
	key p
	wait_for 'PID to show'
	key -l 4194303
	key Enter
	wait_for 'PID 4194303 only'
	wait_for 'no samples of this PID in this window'
	key p
	key -l "$pid"
	key Enter
	wait_for "PID $pid only"
	wait_for '^ +[0-9.]+% +[0-9.]+%  spin_three$'
	key p
	key -l abc
	key Enter
	wait_for "not a PID: 'abc'"
	key p
	key Enter
	wait_for 'showing every process'

	# space: the window stays while paused, and moves on after
	key Space
	wait_for 'PAUSED'
	n=$(window_no)
	sleep 2.5
	[ "$(window_no)" = "$n" ]
	key Space
	sleep 2.5
	! screen | grep -q PAUSED
	[ "$(window_no)" -gt "$n" ]

	# w: the window as files, and where they went
	key w
	wait_for "wrote 15 files .* to $TMP/top-"
	dir=$(ls -d "$TMP"/top-*)
	for c in cpu offcpu mem lock io; do
		[ -s "$dir/$c.svg" ] && [ -s "$dir/$c.pb.gz" ] && [ -e "$dir/$c.folded" ]
	done
	grep -q '</svg>' "$dir/cpu.svg"
	grep -q ';spin_three ' "$dir/cpu.folded"
	"$PROFILER" report "$dir/cpu.pb.gz" -f folded | grep -q ';spin_three '

	# h and ?: the keys; any key closes them
	key h
	wait_for 'Keys of profiler top'
	key x
	sleep 0.5
	! screen | grep -q 'Keys of profiler top'
	key '?'
	wait_for 'Keys of profiler top'
	key q
	ended_clean
}

@test "top: Ctrl-C, SIGTERM and the target's exit restore the terminal too" {
	top_start -i 1 -- "$W/burn31" 120
	wait_for 'spin_three'
	key C-c
	ended_clean
	tmux -L "$SOCK" kill-server

	rm -f "$TMP/rc"
	top_start -i 1 -- "$W/burn31" 120
	wait_for 'spin_three'
	pane=$(tmux -L "$SOCK" display -p '#{pane_pid}')
	kill -TERM "$(pgrep -P "$pane" -x profiler)"
	ended_clean
	tmux -L "$SOCK" kill-server

	rm -f "$TMP/rc"
	top_start -i 1 -- "$W/burn31" 2
	wait_for 'spin_three'
	ended_clean
}

@test "top: a resized terminal is drawn again; too small says so" {
	top_start -i 1 -- "$W/burn31" 120
	wait_for 'spin_three'
	tmux -L "$SOCK" resize-window -x 120 -y 40
	wait_for '^-- CPU: sorted by SELF \(s\) -+$'
	[ "$(screen | grep '^-- CPU' | awk '{ print length($0) }')" = 120 ]
	tmux -L "$SOCK" resize-window -x 30 -y 8
	wait_for 'needs 40x1'
	tmux -L "$SOCK" resize-window -x 80 -y 24
	wait_for '^-- CPU: sorted by SELF'
	[ "$(screen | grep '^-- CPU' | awk '{ print length($0) }')" = 80 ]
	key q
	ended_clean
}

@test "top: colors unless NO_COLOR is set" {
	top_start -i 1 -- "$W/burn31" 120
	wait_for 'spin_three'
	screen -e | grep -q $'\e\\[3[0-7]m'
	key q
	ended_clean
	tmux -L "$SOCK" kill-server

	rm -f "$TMP/rc"
	NO_COLOR=1 top_start -i 1 -- "$W/burn31" 120
	wait_for 'spin_three'
	! screen -e | grep -q $'\e\\[3[0-7]m'
	key q
	ended_clean
}

@test "top: a terminal it cannot drive is refused with a way out" {
	# script: a terminal for stdout, so that top does not fall back to -b
	run script -qec "env TERM=dumb $PROFILER top -- $W/burn31 1" /dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"TERM is dumb"*"-b for text"* ]]
}

@test "top -b: one block per refresh, the hot function in it" {
	run "$PROFILER" top -b -i 1 -n 3 -- "$W/burn31" 120
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^==== profiler top - window [0-9]*, .* - burn31 - refresh 1 s ====$' <<< "$output")" -eq 3 ]
	grep -Eq '^ +[0-9.]+% +[0-9.]+%  spin_three$' <<< "$output"
	grep -Eq '^ +[0-9.]+% +[0-9.]+%  spin_one$' <<< "$output"
	grep -q '^Recommendations:' <<< "$output"
	# stdout no terminal: batch without -b
	"$PROFILER" top -q -i 1 -n 2 -- "$W/burn31" 120 > "$TMP/out" 2> /dev/null
	[ "$(grep -c '^==== profiler top' "$TMP/out")" -eq 2 ]
}

@test "top -b: I/O per disk, contended locks, allocation sites; a panel that cannot show says why" {
	loop_setup
	# no -n: the run ends with the command, its last window printed too,
	# so each workload is seen however slowly a busy machine runs them
	run "$PROFILER" top -b -i 1 --what io,lock,mem -- sh -c \
		"$W/dio $LOOP 200 && $W/lockfight 5000 && $W/mem_sites"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -Eq "^ +[0-9.,]+ +[0-9.]+ [mun]?s .* $DISK write$" <<< "$output"
	grep -Eq "^ +[0-9.,]+ +[0-9.]+ [mun]?s .* $DISK read$" <<< "$output"
	grep -q 'LATENCY HISTOGRAM of' <<< "$output"
	grep -Eq 'big_lock' <<< "$output"
	grep -Eq '(leak_site|churn_site)$' <<< "$output"
	grep -q '^CPU  not collected: --what leaves out cpu' <<< "$output"

	run "$PROFILER" top -b -a -i 1 -n 1 --what cpu
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '^MEM  not collected: mem follows processes' <<< "$output"
}

@test "top: bad options name the fix" {
	run "$PROFILER" top -n 0
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid -n '0'"* ]]
	run "$PROFILER" top -i x
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid -i 'x'"* ]]
	run "$PROFILER" top -f svg
	[ "$status" -eq 2 ]
	[[ "$output" == *"takes no -f"* ]]
	run "$PROFILER" top --what cpu,bogus
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown collector 'bogus'"* ]]
}
