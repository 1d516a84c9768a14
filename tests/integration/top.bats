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
	! screen | grep -q 'q quit  space pause' || false
}

# A directory that w or W wrote: svg, pprof and folded files of each
# collector, which profiler report reads back, burn31's hot function in them.
snapshot_ok() {	# DIR
	for c in cpu offcpu mem lock io; do
		[ -s "$1/$c.svg" ]
		[ -s "$1/$c.pb.gz" ]
		[ -e "$1/$c.folded" ]
		"$PROFILER" report "$1/$c.pb.gz" > /dev/null
	done
	grep -q '</svg>' "$1/cpu.svg"
	grep -q ';spin_three ' "$1/cpu.folded"
	"$PROFILER" report "$1/cpu.pb.gz" -f folded | grep -q ';spin_three '
	"$PROFILER" report "$1/cpu.folded" | grep -q 'spin_three'
}

# The samples of a folded file.
samples() {	# FILE
	awk '{ n += $NF } END { print n + 0 }' "$1"
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
	# the keys, once the note on burn31's output has been seen a while
	wait_for 'q quit  space pause  tab panel'
	key q
	ended_clean
}

@test "top: each key does what it says" {
	top_start -i 1 -o "$TMP" -- "$W/burn31" 120
	# the command's output goes to top's log: the status line says so
	wait_for "^burn31's output is kept and shown when top exits"
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
	! cpu_row spin_three || false
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
	! screen | grep -q PAUSED || false
	[ "$(window_no)" -gt "$n" ]

	# w: the window on the screen as files, and where they went
	key w
	wait_for "^window [0-9]+ written to $TMP/top-[0-9-]+-w[0-9]+/"
	dir=$(ls -d "$TMP"/top-*-w*)
	snapshot_ok "$dir"
	# W: the run so far, at the next refresh: more than one window's samples
	key W
	wait_for "^the run so far \\([0-9]+ s\\) written to $TMP/top-[0-9-]+-run/"
	run_dir=$(ls -d "$TMP"/top-*-run)
	snapshot_ok "$run_dir"
	[ "$(samples "$run_dir/cpu.folded")" -gt "$(samples "$dir/cpu.folded")" ]

	# h and ?: the keys; any key closes them
	key h
	wait_for 'Keys of profiler top'
	key x
	sleep 0.5
	! screen | grep -q 'Keys of profiler top' || false
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
	! screen -e | grep -q $'\e\\[3[0-7]m' || false
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

@test "top -b: a command that fails is named as top's" {
	"$PROFILER" top -b -i 1 -- sh -c 'sleep 1.5; exit 3' > "$TMP/out" 2> "$TMP/err"
	cat "$TMP/err"
	grep -qx 'profiler top: the command exited with status 3' "$TMP/err"
	! grep -q 'profiler record' "$TMP/err" || false
	grep -q '^==== profiler top' "$TMP/out"
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

# A kernel thread: no user-space mappings, so nothing for mem to probe.
kernel_thread() {
	for d in /proc/[0-9]*; do
		[ -r "$d/maps" ] && [ -z "$(head -c1 "$d/maps" 2>/dev/null)" ] &&
			[ "$(cat "$d/comm" 2>/dev/null)" = kthreadd ] && { basename "$d"; return; }
	done
	for d in /proc/[0-9]*; do
		[ -r "$d/maps" ] && [ -z "$(head -c1 "$d/maps" 2>/dev/null)" ] &&
			[ "$(basename "$d")" != 1 ] && { basename "$d"; return; }
	done
	echo "no kernel thread to be seen in /proc" >&2
	return 1
}

@test "top: a collector that fails to start fails its own panel only, which says why" {
	# mem probes each target's allocator: a kernel thread has none, a real
	# refusal at start; cpu, offcpu, lock and io go on
	kt=$(kernel_thread)
	"$W/burn31" 120 &
	burn=$!
	top_start -i 1 -p "$burn,$kt"
	wait_for '^ +[0-9.]+% +[0-9.]+%  spin_three$'
	wait_for "^ MEM  mem failed to start: no allocator found in the mappings of PID $kt"
	key Tab
	wait_for "^>MEM  mem failed to start"
	wait_for "^  mem failed to start: no allocator found"
	key Tab
	wait_for '^>I/O '
	key Tab
	wait_for '^>WAIT locks'
	key q
	ended_clean
	# the message itself after the exit, as every message of the run
	screen | grep -q "profiler: no allocator found in the mappings of PID $kt"

	run "$PROFILER" top -b -i 1 -n 2 -p "$burn,$kt"
	kill "$burn"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^==== profiler top' <<< "$output")" -eq 2 ]
	grep -q "^MEM  mem failed to start: no allocator found in the mappings of PID $kt" <<< "$output"
	grep -Eq '^ +[0-9.]+% +[0-9.]+%  spin_three$' <<< "$output"

	# every collector failing is the run failing
	run "$PROFILER" top -b -i 1 -n 1 --what mem -p "$kt"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no allocator found in the mappings of PID $kt"* ]]
}

@test "top: the command's output waits for the exit, said once on the status line" {
	# quoted twice: top_start's arguments go through the pane's shell
	top_start -i 1 -- sh -c "'echo line-from-the-command; exec $W/burn31 120'"
	wait_for "^sh's output is kept and shown when top exits"
	wait_for 'spin_three'
	# not on the screen, which stays whole
	! screen | grep -q line-from-the-command || false
	screen | grep -q '^profiler top - window'
	# once: the next key takes it away (else it goes after a few seconds)
	key Tab
	wait_for '^>MEM '
	! screen | grep -q "output is kept" || false
	key q
	ended_clean
	screen | grep -q '^line-from-the-command$'
	# not the one-shot collectors' note: no profile goes to standard output here
	! screen | grep -q 'the profile is on standard output' || false
}

@test "top: TERM that cannot drive a screen, vt100 without colors, NO_COLOR, a pipe" {
	# no description for TERM: a one-line error naming the fix
	run script -qec "env TERM=no-such-terminal $PROFILER top -- $W/burn31 1" /dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$(grep -c . <<< "$output")" -eq 1 ]
	[[ "$output" == *"no terminal description for TERM=no-such-terminal"*"-b for text"* ]]
	run script -qec "env -u TERM $PROFILER top -- $W/burn31 1" /dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"TERM is not set"* ]]

	# vt100: no colors, no alternate screen; the dashboard still fits and
	# is gone after q
	tmux -L "$SOCK" new-session -d -x 80 -y 24 \
		"stty -g > $TMP/stty.before; TERM=vt100 $PROFILER top -i 1 -- $W/burn31 120; echo \$? > $TMP/rc; stty -g > $TMP/stty.after; sleep 600"
	wait_for '^ +[0-9.]+% +[0-9.]+%  spin_three$'
	! screen -e | grep -q $'\e\\[3[0-7]m' || false
	[ "$(screen | awk 'length($0) > 80' | wc -l)" -eq 0 ]
	key q
	ended_clean
	! screen | grep -q 'spin_three' || false

	# a pipe: batch without -b
	"$PROFILER" top -q -i 1 -n 1 -- "$W/burn31" 120 | cat > "$TMP/piped"
	[ "$(grep -c '^==== profiler top' "$TMP/piped")" -eq 1 ]
	! grep -q $'\e' "$TMP/piped" || false
}
