#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# profiler io against a workload with known requests on a loop device of its own.

bats_require_minimum_version 1.5.0
load helpers

N=200

setup() {
	setup_common
	loop_setup
}

teardown() {
	loop_teardown
	teardown_common
}

# Sum of the COUNT column of every histogram whose title matches REGEX.
hist_sum() {	# FILE REGEX
	awk -v re="$2" '/^[^ ].*: [0-9,]+, average/ { take = ($0 ~ re) }
		take && /^ +[0-9.]+ [mnu]?s -> / {
			for (i = 1; i <= NF && $i !~ /^\|/; i++) c = $i
			gsub(",", "", c); s += c }
		END { print s + 0 }' "$1"
}

@test "io: N O_DIRECT writes + fdatasync + N reads: >= 2N requests, in the code paths that issued them" {
	run "$PROFILER" io --disk "$DISK" -o "$TMP/out.folded" -o "$TMP/out.txt" -- "$W/dio" "$LOOP" $N
	[ "$status" -eq 0 ]
	cat "$TMP/out.txt"
	total=$(folded_sum "$TMP/out.folded" '^dio;')
	w=$(folded_sum "$TMP/out.folded" '^dio;.*;main;write_blocks;.*__x64_sys_pwrite64')
	r=$(folded_sum "$TMP/out.folded" '^dio;.*;main;read_blocks;.*__x64_sys_pread64')
	echo "total=$total writes=$w reads=$r"
	[ "$total" -ge $((2 * N)) ]
	[ "$w" -ge $N ]
	[ "$r" -ge $N ]
	# only the command's requests, and none charged to a kworker
	! grep -v '^dio;' "$TMP/out.folded" || false
	grep -q "^Total: *$total requests" "$TMP/out.txt"
	# the histograms count every request once: latency ones sum to the total
	[ "$(hist_sum "$TMP/out.txt" "^$DISK .*, latency")" -eq "$total" ]
	[ "$(hist_sum "$TMP/out.txt" "^$DISK read, latency")" -eq "$r" ]
	grep -q 'p50 .* p95 .* p99 .*(estimates' "$TMP/out.txt"
}

@test "io: --value bytes weighs stacks by bytes" {
	run "$PROFILER" io --disk "$DISK" --value bytes -f folded -o "$TMP/out.folded" -- "$W/dio" "$LOOP" $N
	[ "$status" -eq 0 ]
	w=$(folded_sum "$TMP/out.folded" ';write_blocks;.*__x64_sys_pwrite64')
	[ "$w" -eq $((N * 4096)) ]
}

@test "io: raw_tp fallback gives the same answer" {
	PROFILER_IO_RAW_TP=1 run "$PROFILER" io -v --stats --disk "$DISK" -f folded -o "$TMP/out.folded" -- "$W/dio" "$LOOP" $N
	[ "$status" -eq 0 ]
	[[ "$output" == *"attached raw_tp programs"* ]]
	w=$(folded_sum "$TMP/out.folded" '^dio;.*;write_blocks;')
	r=$(folded_sum "$TMP/out.folded" '^dio;.*;read_blocks;')
	# what a failure needs to be understood: the counts and every stack
	echo "$output"
	echo "writes=$w reads=$r"
	cut -c1-400 "$TMP/out.folded"
	[ "$w" -ge $N ]
	[ "$r" -ge $N ]
}

@test "io: without block_io_start (kernels before 6.5) the submitter comes from block_getrq" {
	for raw in "" 1; do
		PROFILER_IO_GETRQ=1 PROFILER_IO_RAW_TP=$raw run "$PROFILER" io -v --disk "$DISK" \
			-o "$TMP/out.folded" -o "$TMP/out.txt" -- "$W/dio" "$LOOP" $N
		[ "$status" -eq 0 ]
		[[ "$output" == *"submitters taken at block_getrq"* ]]
		grep -q '^Profile: .*submitters at block_getrq' "$TMP/out.txt"
		# the kernel stack ends where the request is made, before any issue
		w=$(folded_sum "$TMP/out.folded" '^dio;.*;main;write_blocks;.*__x64_sys_pwrite64.*;blk_mq_submit_bio_\[k\]$')
		r=$(folded_sum "$TMP/out.folded" '^dio;.*;main;read_blocks;.*__x64_sys_pread64.*;blk_mq_submit_bio_\[k\]$')
		echo "raw=$raw writes=$w reads=$r"
		[ "$w" -ge $N ]
		[ "$r" -ge $N ]
		! grep -v '^dio;' "$TMP/out.folded" || false
	done
}

@test "io: --disk filters: the loop device's requests do not show under another disk" {
	# any other disk of this machine (vda, sda, nvme0n1, another loop device)
	other=$(ls /sys/block | grep -vx "$DISK" | head -1)
	[ -n "$other" ]
	run "$PROFILER" io --disk "$other" -f folded -o "$TMP/out.folded" -- "$W/dio" "$LOOP" $N
	[ "$status" -eq 0 ]
	[ "$(folded_sum "$TMP/out.folded" '^dio;.*_blocks;')" -eq 0 ]
}

@test "io: -p filters by process; other processes' I/O is left out" {
	"$W/dio" "$LOOP" 1000000 &	# outlasts the profile on any disk; killed after
	BGPID=$!
	(for i in $(seq 50); do dd if=/dev/zero of="$LOOP" bs=4k count=1 seek=$((4000 - i)) oflag=direct status=none; done) &
	other=$!
	run "$PROFILER" io -p "$BGPID" --disk "$DISK" -d 1 -f folded -o "$TMP/out.folded"
	wait "$other"
	[ "$status" -eq 0 ]
	[ "$(folded_sum "$TMP/out.folded" '^dio;')" -gt 0 ]
	! grep -v '^dio;' "$TMP/out.folded" || false
}

@test "io: --slow lists each slow request; -i prints one report per interval" {
	run "$PROFILER" io --disk "$DISK" --slow 0.0001 --queued -f report -o "$TMP/out.txt" -- "$W/dio" "$LOOP" 50
	[ "$status" -eq 0 ]
	rows=$(grep -cE "^  [0-9:.]+ +[0-9]+ +dio +$DISK +(read|write|flush)" "$TMP/out.txt")
	echo "rows=$rows"
	[ "$rows" -ge 100 ]
	grep -q "^$DISK write, queued (insert to issue)" "$TMP/out.txt"
	# each interval's report is in the file as soon as it is written: wait
	# for three (a loaded machine may take seconds over the first, whose
	# symbolization reads the kernel's symbols), then stop it for the last
	"$PROFILER" io -i 0.5 -d 300 -f report -o "$TMP/int.txt" 2>/dev/null &
	prof=$!
	for i in $(seq 1200); do
		[ "$(grep -c '^Profile:' "$TMP/int.txt" 2>/dev/null)" -ge 3 ] && break
		sleep 0.1
	done
	kill -INT "$prof"
	wait "$prof"
	[ "$(grep -c '^Profile:' "$TMP/int.txt")" -ge 4 ]
	# each covers its own interval, not the time since the start
	grep '^Profile:' "$TMP/int.txt" | head -3
}

@test "io: an unknown disk fails in one line naming the disks" {
	run --separate-stderr "$PROFILER" io --disk nosuchdisk -d 1
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$(echo "$stderr" | wc -l)" -eq 1 ]
	[[ "$stderr" == *"no disk named 'nosuchdisk'"*"$DISK"* ]]
}

@test "io: a forked child's requests after its exec are named from its own program" {
	# lifegen-parent and lifegen-child are one program at one address with
	# other names: the child's writes, submitted after its exec, from code
	# at addresses its fork's copy of the parent also mapped (as go build's
	# compile and link); the old build wrote those frames [pid N reused]
	run "$PROFILER" io --disk "$DISK" -o "$TMP/out.folded" -- \
		"$W/lifegen-parent" spawn "$W/lifegen-child" io "$LOOP" $N
	[ "$status" -eq 0 ]
	w=$(folded_sum "$TMP/out.folded" '^lifegen-child;.*;main;child_write_blocks;.*__x64_sys_pwrite64')
	echo "writes under child_write_blocks: $w"
	[ "$w" -ge $N ]
	! grep -E '\[pid [0-9]+ reused\]|parent_' "$TMP/out.folded" || false
}

@test "io: in agent windows the submitters' keys and stacks leave the kernel's maps once they exit; every request still counted" {
	# dio processes one after another for 3.5 s over windows of 1 s, each
	# N/10 O_DIRECT writes, an fdatasync and N/10 reads: >= 2N/10 requests
	# each, all counted across the windows while the keys and user stacks
	# of those gone are deleted
	n=$((N / 10))
	run --separate-stderr "$PROFILER" agent -v --what io --io-disk "$DISK" --window 1 --listen off \
		--dir "$TMP/d" --stats -- sh -c "end=\$((\$(date +%s%N) + 3500000000))
			while [ \$(date +%s%N) -lt \$end ]; do '$W/dio' '$LOOP' $n > /dev/null; echo >> '$TMP/runs'; done"
	[ "$status" -eq 0 ]
	runs=$(wc -l < "$TMP/runs")
	deleted=$(echo "$stderr" | sed -n 's/.*io: \([0-9]*\) keys and .* deleted.*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
	left=$(echo "$stderr" | sed -n 's/^  map attr  *\([0-9,]*\) of.*/\1/p' | tr -d , | tail -1)
	total=0
	for f in "$TMP"/d/io-*.pb.gz; do
		"$PROFILER" report "$f" -o "$TMP/w.folded"
		total=$((total + $(folded_sum "$TMP/w.folded" '^dio;')))
	done
	echo "runs=$runs requests=$total (at least $((2 * n * runs))) keys deleted=$deleted left=$left"
	[ "$runs" -ge 10 ]
	[ "$total" -ge $((2 * n * runs)) ]
	# and no more than the fdatasync's flush and one more request a run
	[ "$total" -le $(((2 * n + 2) * runs)) ]
	[ "$deleted" -ge "$runs" ]
	[ "$deleted" -ge "$left" ]
}
