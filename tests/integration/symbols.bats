#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Names for every frame: separate debug info, other mount namespaces,
# processes that exited, deleted binaries, JIT code.  Each test fails when
# its frames come out as module+0xOFFSET, [JIT code: ...], or [pid N exited].

bats_require_minimum_version 1.5.0
load helpers

setup() { setup_common; }
teardown() {
	[ -z "${REPPID:-}" ] || kill "$REPPID" 2>/dev/null || true
	rm -f /tmp/perf-"${JITPID:-none}".map
	[ -n "${NSDIR:-}" ] && umount "$NSDIR" 2>/dev/null
	teardown_common
}

# Nothing left unnamed in the lines of FILE that start with COMM, but for
# samples taken in execve after the new name was set: their user stack is
# the replaced image's, gone from the maps ([unmapped]+0x...), and any run
# that starts a program may catch one.
all_named() {	# FILE COMM
	grep -q "^$2;" "$1"
	! grep "^$2;" "$1" | grep -v 'sys_execve' |
		grep -E '\+0x[0-9a-f]+|exited\]|\[unknown\]|;0x[0-9a-f]+'
}

libc_debug_installed() {
	local id
	id=$(readelf -n "$(ldd "$W/burn31" | awk '/libc.so/ { print $3 }')" | sed -n 's/.*Build ID: //p')
	[ -f "/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug" ]
}

@test "symbols: libc's internal functions are named from libc6-dbg" {
	libc_debug_installed || { [ "${CI:-}" = true ] && false; skip "libc6-dbg is not installed"; }
	run "$PROFILER" cpu -o "$TMP/burn.folded" -- "$W/burn31" 1
	[ "$status" -eq 0 ]
	run "$PROFILER" cpu -o "$TMP/qsort.folded" -- "$W/qsort_slow" 2
	[ "$status" -eq 0 ]
	cat "$TMP/burn.folded" "$TMP/qsort.folded"
	# not exported: .dynsym alone names these after a neighbour, or not at all;
	# unwound with .eh_frame, the stack goes on to _start
	grep -Eq '^burn31;(_start;__libc_start_main[^;]*;)?__libc_start_call_main;main;spin_three ' \
		"$TMP/burn.folded"
	all=$(folded_total "$TMP/qsort.folded")
	msort=$(folded_sum "$TMP/qsort.folded" ';msort_with_tmp[^;]*;slow_compare$')
	echo "msort_with_tmp;slow_compare: $msort of $all"
	[ "$msort" -gt $((all / 2)) ]
	all_named "$TMP/qsort.folded" qsort_slow
}

@test "symbols: a stripped binary is named from its .gnu_debuglink file and MiniDebugInfo" {
	objcopy --only-keep-debug "$W/burn31" "$TMP/burn31.debug"
	strip -s "$W/burn31" -o "$TMP/stripped"
	(cd "$TMP" && objcopy --add-gnu-debuglink=burn31.debug stripped burn31)
	run "$PROFILER" cpu -o "$TMP/link.folded" -- "$TMP/burn31" 1
	[ "$status" -eq 0 ]
	cat "$TMP/link.folded"
	grep -q '^burn31;.*;main;spin_three ' "$TMP/link.folded"
	all_named "$TMP/link.folded" burn31

	# MiniDebugInfo: the symbol table, xz-compressed, inside the binary
	objcopy --strip-debug --remove-section .comment "$TMP/burn31.debug" "$TMP/mini"
	xz "$TMP/mini"
	mkdir "$TMP/m"
	objcopy --add-section .gnu_debugdata="$TMP/mini.xz" "$TMP/stripped" "$TMP/m/burn31"
	run "$PROFILER" cpu -o "$TMP/mini.folded" -- "$TMP/m/burn31" 1
	[ "$status" -eq 0 ]
	cat "$TMP/mini.folded"
	grep -q '^burn31;.*;main;spin_three ' "$TMP/mini.folded"
	all_named "$TMP/mini.folded" burn31

	# the control: stripped and nothing beside it stays unnamed
	cp "$TMP/stripped" "$TMP/m/bare"
	run "$PROFILER" cpu -o "$TMP/bare.folded" -- "$TMP/m/bare" 1
	cat "$TMP/bare.folded"
	grep -q 'bare+0x' "$TMP/bare.folded"
}

@test "symbols: a binary that exists only in its own mount namespace is named" {
	NSDIR="$TMP/ns"
	mkdir "$NSDIR"
	# tmpfs mounted inside the new namespace only: the host sees an empty dir
	# unshare and sh exec in turn: the PID is nsburn's once it has started
	# (not pgrep: another run of these tests may have an nsburn too)
	unshare -m --propagation private sh -c \
		"mount -t tmpfs none '$NSDIR' && cp '$W/burn31' '$NSDIR/nsburn' && exec '$NSDIR/nsburn' 30" \
		2>/dev/null &
	BGPID=$!
	for i in $(seq 300); do [ "$(cat /proc/$BGPID/comm 2>/dev/null)" = nsburn ] && break; sleep 0.1; done
	[ "$(cat /proc/$BGPID/comm)" = nsburn ]
	pid=$BGPID
	[ ! -e "$NSDIR/nsburn" ]
	run "$PROFILER" cpu -p "$pid" -d 1.5 -o "$TMP/out.folded"
	[ "$status" -eq 0 ]
	cat "$TMP/out.folded"
	grep -q '^nsburn;.*;main;spin_three ' "$TMP/out.folded"
	all_named "$TMP/out.folded" nsburn
}

@test "symbols: a process that ran 0.5 s and exited during a system-wide profile is named" {
	cp "$W/burn31" "$TMP/shortburn"
	"$PROFILER" cpu -a -d 120 -v -o "$TMP/out.folded" 2>"$TMP/err" &
	prof=$!
	# start the short process once sampling runs, however loaded the machine
	wait_collecting "$TMP/err"
	"$TMP/shortburn" 0.5 2>/dev/null
	# it exited while the profile still ran (ended by Ctrl-C, not by a
	# duration a loaded machine could outlast): long before symbolization
	sleep 0.5
	kill -0 "$prof"
	kill -INT "$prof"
	wait "$prof"
	grep '^shortburn;' "$TMP/out.folded"
	[ "$(folded_sum "$TMP/out.folded" '^shortburn;.*;main;spin_(three|one)$')" -gt 10 ]
	all_named "$TMP/out.folded" shortburn
}

@test "symbols: deleted and replaced binaries are named through map_files" {
	cp "$W/burn31" "$TMP/delburn"
	cp "$W/burn31" "$TMP/repburn"
	"$TMP/delburn" 30 2>/dev/null &
	BGPID=$!
	"$TMP/repburn" 30 2>/dev/null &
	REPPID=$!
	# both running their own image before it is deleted or replaced
	for i in $(seq 300); do
		[ "$(cat /proc/$BGPID/comm /proc/$REPPID/comm 2>/dev/null)" = "$(printf 'delburn\nrepburn')" ] && break
		sleep 0.1
	done
	[ "$(cat /proc/$BGPID/comm /proc/$REPPID/comm)" = "$(printf 'delburn\nrepburn')" ]
	rm "$TMP/delburn"
	# an upgrade: a new file renamed over the old one
	cp "$W/threads" "$TMP/repburn.new"
	mv "$TMP/repburn.new" "$TMP/repburn"
	run "$PROFILER" cpu -p "$BGPID,$REPPID" -d 1.5 -o "$TMP/out.folded"
	kill "$REPPID" 2>/dev/null; wait "$REPPID" 2>/dev/null || true
	REPPID=
	[ "$status" -eq 0 ]
	cat "$TMP/out.folded"
	grep -q '^delburn;.*;main;spin_three ' "$TMP/out.folded"
	grep -q '^repburn;.*;main;spin_three ' "$TMP/out.folded"
	all_named "$TMP/out.folded" delburn
	all_named "$TMP/out.folded" repburn
}

@test "symbols: JIT code is named from /tmp/perf-PID.map, and only from its owner's map" {
	[ "$(uname -m)" = x86_64 ] || { [ "${CI:-}" = true ] && false; skip "the JIT workload is x86-64 code"; }
	# alive through both profiles, however slowly they start
	"$W/jit" 30 &
	BGPID=$!
	JITPID=$BGPID
	for i in $(seq 300); do [ -s "/tmp/perf-$BGPID.map" ] && break; sleep 0.1; done
	run "$PROFILER" cpu -p "$BGPID" -d 1 -o "$TMP/out.folded"
	[ "$status" -eq 0 ]
	cat "$TMP/out.folded"
	grep -q '^jit;.*;main;run_jit;jit_spin_loop ' "$TMP/out.folded"
	all_named "$TMP/out.folded" jit
	# a JIT leaf has no unwind row: frame pointers walk it to main, and
	# libc's rows go on above it (the walk alone ended at
	# __libc_start_call_main, the first caller without frame pointers)
	grep -q '^jit;_start;__libc_start_main;__libc_start_call_main;main;run_jit;jit_spin_loop ' \
		"$TMP/out.folded"
	! grep 'jit_spin_loop' "$TMP/out.folded" | grep -v '^jit;_start;' || false

	# a map someone else wrote is not believed
	chown nobody "/tmp/perf-$BGPID.map"
	run "$PROFILER" cpu -p "$BGPID" -d 1 -o "$TMP/other.folded"
	[ "$status" -eq 0 ]
	[[ "$output" == *"not owned by the process's user"* ]]
	! grep -q jit_spin_loop "$TMP/other.folded" || false
}

@test "symbols: JIT code in a container is named from the container's own /tmp/perf-NSPID.map" {
	[ "$(uname -m)" = x86_64 ] || { [ "${CI:-}" = true ] && false; skip "the JIT workload is x86-64 code"; }
	# its own pid and mount namespaces, its own /tmp: the map is perf-1.map in there
	unshare --kill-child -p -f -m --propagation private sh -c \
		"mount -t tmpfs none /tmp && exec '$W/jit' 30" 2>/dev/null &
	BGPID=$!
	# unshare's child, not any jit (another run of these tests may have one)
	for i in $(seq 300); do pid=$(pgrep -x -P "$BGPID" jit) && break; sleep 0.1; done
	[ -n "$pid" ]
	# its map written, in its own /tmp
	for i in $(seq 300); do [ -s "/proc/$pid/root/tmp/perf-1.map" ] && break; sleep 0.1; done
	[ -s "/proc/$pid/root/tmp/perf-1.map" ]
	[ ! -e "/tmp/perf-$pid.map" ]
	run "$PROFILER" cpu -p "$pid" -d 1 -o "$TMP/out.folded"
	[ "$status" -eq 0 ]
	cat "$TMP/out.folded"
	grep -q '^jit;.*;main;run_jit;jit_spin_loop ' "$TMP/out.folded"
}

@test "symbols: --lines adds file:line and inlined functions as frames of their own" {
	run "$PROFILER" cpu --lines -v -o "$TMP/out.folded" -- "$W/inlined" 1
	[ "$status" -eq 0 ]
	cat "$TMP/out.folded"
	# mix_inlined has no symbol: only DWARF knows it is inlined in outer_fn
	all=$(folded_total "$TMP/out.folded")
	inl=$(folded_sum "$TMP/out.folded" ';main \[inlined\.c:[0-9]+\];outer_fn \[inlined\.c:27\];mix_inlined \[inlined\.c:(20|21)\]_\[i\]$')
	echo "inlined frames: $inl of $all"
	[ "$inl" -gt $((all * 8 / 10)) ]
	# libc's lines come from libc6-dbg's DWARF, found by build-id
	if libc_debug_installed; then
		grep -q '__libc_start_call_main \[libc_start_call_main.h:[0-9]*\]' "$TMP/out.folded"
	fi

	# without the flag: no DWARF read, no inlined frames, names unchanged
	run "$PROFILER" cpu -v -o "$TMP/plain.folded" -- "$W/inlined" 1
	[ "$status" -eq 0 ]
	[[ "$output" == *" 0 lines, 0 inlined"* ]]
	grep -q '^inlined;.*;main;outer_fn [0-9]*$' "$TMP/plain.folded"
	! grep -q 'mix_inlined\|\[inlined.c' "$TMP/plain.folded" || false
}

@test "symbols: a library dlopen'ed after the first sample, by a process that then exits, is named" {
	lib=$(readlink -f "$W/libspin.so")
	run "$PROFILER" cpu -F 199 -v -o "$TMP/out.folded" -- "$W/dlopen_late" "$lib" 0.5 0.8
	[ "$status" -eq 0 ]
	cat "$TMP/out.folded"
	# first sampled in before_dlopen: its mappings were read before the library existed
	[ "$(folded_sum "$TMP/out.folded" ';main;before_dlopen$')" -gt 20 ]
	[ "$(folded_sum "$TMP/out.folded" ';main;call_library;lib_spin$')" -gt 50 ]
	! grep 'libspin\.so+0x' "$TMP/out.folded" || false
	# the library's frames unwind whole (the loader's own code, in dlopen
	# or before main, has no frame pointers: a sample there may lose some)
	! grep 'lib_spin' "$TMP/out.folded" | grep 'frames lost' || false
}

@test "symbols: BPF programs in kernel stacks are named as /proc/kallsyms names them, without reading it" {
	# mem's uprobes run its BPF programs (with subprograms) inside
	# mem_storm's malloc and free, so cpu samples of mem_storm catch them
	# in kernel stacks.  Their names come from the bpf() listing; the rest
	# of the kernel from the cached kallsyms, never the whole file.
	"$PROFILER" mem -d 60 -o "$TMP/mem.folded" -- "$W/mem_storm" 2000000000 2>"$TMP/mem.err" &
	BGPID=$!
	for _ in $(seq 100); do
		storm=$(pgrep -P "$BGPID" -x mem_storm) && break
		sleep 0.2
	done
	[ -n "$storm" ]
	sleep 1
	grep '\[bpf\]$' /proc/kallsyms > "$TMP/before"
	run --separate-stderr "$PROFILER" cpu -v -F 999 -d 4 -p "$storm" -o "$TMP/out.folded"
	grep '\[bpf\]$' /proc/kallsyms > "$TMP/after"
	kill "$storm"
	wait "$BGPID" || true
	BGPID=
	[ "$status" -eq 0 ]
	echo "$stderr" | grep -E 'BPF programs|kernel symbols from|reading /proc/kallsyms' | cut -c1-200; echo "$stderr" | grep -o 'kernel symbols from .*'
	[[ "$stderr" == *"kernel symbols from the cache"* ]]
	[[ "$stderr" == *"functions of loaded BPF programs listed through bpf()"* ]]
	# programs loaded all along (ours among them): a frame in one of them
	# carries exactly the name kallsyms gives it
	awk '{ print $3 }' "$TMP/before" | sort -u > "$TMP/b"
	awk '{ print $3 }' "$TMP/after" | sort -u > "$TMP/a"
	grep -o 'bpf_prog_[0-9a-f]*[^;]*_\[k\]' "$TMP/out.folded" | sed 's/_\[k\]$//' | sort -u > "$TMP/frames"
	cat "$TMP/frames"
	[ -n "$(comm -12 "$TMP/b" "$TMP/a" | comm -12 - "$TMP/frames")" ]
	# and no kernel frame left as an address
	! grep -q '\[kernel\]+0x' "$TMP/out.folded" || false
}
