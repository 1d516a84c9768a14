#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# profiler record: every collector in one run of a workload with known
# answers (O_DIRECT requests on a loop device of its own, a contended
# mutex, exact allocation sites, a CPU burn), and windows that add up.

bats_require_minimum_version 1.5.0
load helpers

N=100

setup() {
	setup_common
	loop_setup
	WORK="$W/dio $LOOP $N && $W/lockfight 5000 && $W/mem_sites && $W/burn31 1"
}

teardown() {
	loop_teardown
	teardown_common
}

# A saved profile as folded stacks with their total, through our reader.
folded() {	# FILE.pb.gz TYPE
	"$PROFILER" report "$1" -f folded --value "$2"
}

# Stacks and their values summed over files: identical stacks merged,
# zero ones dropped, sorted.  Lock labels that depend on what was alive
# when a window was cut (a waiter's owner thread, an exited process's
# anonymous memory) are taken out; every other frame must match.
stack_sums() {	# TYPE FILE...
	local t=$1 f
	shift
	for f in "$@"; do folded "$f" "$t"; done |
		sed -e 's/;owner:[^;]*;/;/' -e 's/lock:\[anon\] /lock:/' |
		awk '{ n = $NF; sub(/ [0-9]+$/, ""); s[$0] += n }
			END { for (k in s) if (s[k]) print k, s[k] }' | sort
}

@test "record: one run finds what each collector is known to find" {
	run "$PROFILER" record -o "$TMP/out" --io-disk "$DISK" -- sh -c "$WORK"
	[ "$status" -eq 0 ]
	echo "$output"
	cat "$TMP/out/report.txt"
	for c in cpu offcpu mem lock io; do
		[ -s "$TMP/out/$c.pb.gz" ]
		gzip -t "$TMP/out/$c.pb.gz"
		grep -q "^==== $c ====" "$TMP/out/report.txt"
		grep -q '</svg>' "$TMP/out/$c.svg"
	done
	# io: every write and read of dio, in the code paths that issued them
	folded "$TMP/out/io.pb.gz" requests > "$TMP/io.folded"
	[ "$(folded_sum "$TMP/io.folded" '^dio;.*;main;write_blocks;')" -ge $N ]
	[ "$(folded_sum "$TMP/io.folded" '^dio;.*;main;read_blocks;')" -ge $N ]
	# mem: exact counts at the known sites, from the first allocation
	folded "$TMP/out/mem.pb.gz" alloc_objects > "$TMP/mem.folded"
	folded "$TMP/out/mem.pb.gz" inuse_space > "$TMP/inuse.folded"
	[ "$(folded_sum "$TMP/mem.folded" ';leak_site;[a-z_]+$')" -eq 1000 ]
	[ "$(folded_sum "$TMP/mem.folded" ';churn_site;[a-z_]+$')" -eq 100000 ]
	[ "$(folded_sum "$TMP/inuse.folded" ';leak_site;[a-z_]+$')" -eq 4096000 ]
	# lock: the contended mutex, by name, waited on in its caller
	folded "$TMP/out/lock.pb.gz" delay > "$TMP/lock.folded"
	[ "$(folded_sum "$TMP/lock.folded" '^lockfight;lock:big_lock \(futex mutex\);.*;update_shared_counter;')" -gt 0 ]
	# offcpu: the waits of those same threads on that futex
	folded "$TMP/out/offcpu.pb.gz" offcpu > "$TMP/offcpu.folded"
	[ "$(folded_sum "$TMP/offcpu.folded" '^lockfight;.*;update_shared_counter;.*futex')" -gt 0 ]
	# cpu: burn31's CPU second, at 99 Hz on its functions
	folded "$TMP/out/cpu.pb.gz" samples > "$TMP/cpu.folded"
	burn=$(folded_sum "$TMP/cpu.folded" '^burn31;.*;main;')
	echo "burn31: $burn samples"
	[ "$burn" -ge 50 ]
}

@test "record: the windows add up to the whole run, sample for sample" {
	run "$PROFILER" record --window 0.4 -o "$TMP/out" --io-disk "$DISK" -- sh -c "$WORK"
	[ "$status" -eq 0 ]
	n=$(ls -d "$TMP"/out/window-* | wc -l)
	echo "$n windows"
	[ "$n" -ge 3 ]
	# Stack for stack, but for the shell's own: its first samples come as
	# it starts, and a window cut then may name their frames before its
	# mappings are known ([unmapped]) where the whole run names them; its
	# totals must still match.
	check() {	# COLLECTOR TYPE
		stack_sums "$2" "$TMP"/out/window-*/"$1".pb.gz > "$TMP/sum.$1.$2"
		stack_sums "$2" "$TMP/out/$1.pb.gz" > "$TMP/whole.$1.$2"
		echo "$1 $2: $(wc -l < "$TMP/whole.$1.$2") stacks, total $(folded_total "$TMP/whole.$1.$2")"
		[ -s "$TMP/whole.$1.$2" ]
		[ "$(folded_total "$TMP/sum.$1.$2")" -eq "$(folded_total "$TMP/whole.$1.$2")" ]
		[ "$(folded_sum "$TMP/sum.$1.$2" '^sh;')" -eq "$(folded_sum "$TMP/whole.$1.$2" '^sh;')" ]
		diff <(grep -v '^sh;' "$TMP/sum.$1.$2") <(grep -v '^sh;' "$TMP/whole.$1.$2")
	}
	check cpu samples
	check offcpu offcpu
	check offcpu switches
	check mem alloc_objects
	check mem alloc_space
	check lock contentions
	check lock delay
	check io requests
	check io bytes
	check io latency
	# more than one window holds cpu samples: the cut was tested, not skipped
	nonempty=0
	for f in "$TMP"/out/window-*/cpu.pb.gz; do
		[ "$(folded "$f" samples | folded_total /dev/stdin)" -gt 0 ] && nonempty=$((nonempty + 1))
	done
	echo "$nonempty windows with cpu samples"
	[ "$nonempty" -ge 2 ]
	# what is outstanding is state: the last window's is the whole run's
	last=$(ls -d "$TMP"/out/window-* | tail -1)
	[ "$(stack_sums inuse_space "$last/mem.pb.gz")" = "$(stack_sums inuse_space "$TMP/out/mem.pb.gz")" ]
}

@test "record: a thread asleep throughout is off the CPU no longer than the run" {
	# The run begins with the first collector attached: offcpu parks the
	# threads asleep at its start, and the collectors after it (lock, io
	# and their iterators) take long to load.  The run used to begin after
	# them, so the sleeper's wait, counted from its parking, outgrew it.
	sleep 600 &
	sp=$!
	run "$PROFILER" record --what cpu,offcpu,lock,io -p "$sp" -d 2 --window 1 -o "$TMP/out"
	kill "$sp"
	echo "$output"
	[ "$status" -eq 0 ]
	off=$(folded "$TMP/out/offcpu.pb.gz" offcpu | folded_total /dev/stdin)
	dur=$("$PROFILER" report "$TMP/out/offcpu.pb.gz" | sed -n 's/^Duration: *\([0-9.]*\) s$/\1/p')
	echo "asleep $off ns in a run of $dur s"
	[ "$off" -gt 0 ]
	# the duration is printed to 10 ms
	awk -v o="$off" -v d="$dur" 'BEGIN { exit !(o / 1e9 <= d + 0.01) }'
}

@test "record: a long wait is split over the windows it spans" {
	# A sleep of 2.2 s through windows of 0.5 s: each window holds the
	# part of the wait it saw (the wait used to land whole in the window
	# where it ended: 2.2 s off the CPU in a window of 0.26 s).
	run "$PROFILER" record --what offcpu --window 0.5 -o "$TMP/out" -- sleep 2.2
	echo "$output"
	[ "$status" -eq 0 ]
	full=0 sum=0
	for w in "$TMP"/out/window-*; do
		off=$(folded "$w/offcpu.pb.gz" offcpu | grep '^sleep' | folded_total /dev/stdin)
		dur=$("$PROFILER" report "$w/offcpu.pb.gz" | sed -n 's/^Duration: *\([0-9.]*\) s$/\1/p')
		echo "$w: $off ns in $dur s"
		# the duration is printed to 10 ms
		awk -v o="$off" -v d="$dur" 'BEGIN { exit !(o / 1e9 <= d + 0.01) }'
		awk -v o="$off" 'BEGIN { exit !(o >= 0.3e9) }' && full=$((full + 1))
		sum=$((sum + off))
	done
	echo "$full windows with most of a window asleep; $sum ns in all"
	[ "$full" -ge 3 ]
	# and the windows still add up to the wait
	awk -v s="$sum" 'BEGIN { exit !(s >= 2.15e9 && s <= 2.4e9) }'
}

@test "record: without -o the combined report goes to stdout, a section per collector" {
	run --separate-stderr "$PROFILER" record --what cpu,offcpu -q -- "$W/burn31" 0.5
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "${lines[0]}" == "profiler record: 2 collectors,"* ]]
	[ "$(grep -c '^==== ' <<< "$output")" -eq 2 ]
	grep -q '^==== cpu ====' <<< "$output"
	grep -q '^==== offcpu ====' <<< "$output"
	grep -q 'burn' <<< "$output"
}

@test "record: bad --what, --window and -f are one-line errors" {
	run --separate-stderr "$PROFILER" record --what cpu,bogus -d 1
	[ "$status" -eq 2 ]
	echo "$stderr"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"unknown collector 'bogus'"*"cpu,offcpu,mem,lock,io"* ]]
	run --separate-stderr "$PROFILER" record --window 0 -d 1
	[ "$status" -eq 2 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"invalid --window '0'"* ]]
	run --separate-stderr "$PROFILER" record -f folded -d 1
	[ "$status" -eq 2 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	run --separate-stderr "$PROFILER" record --offcpu-state bogus -d 1
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"invalid --state 'bogus'"* ]]
}
