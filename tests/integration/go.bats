#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Go programs built by the Makefile with Debian's go (tests/workloads/go/):
# names from .gopclntab, stripped or not, and whole stacks from its SP
# deltas (crypto/sha256's assembly keeps no frame pointer of its own).

bats_require_minimum_version 1.5.0
load helpers

setup() {
	setup_common
	G=$W/go
}
teardown() { teardown_common; }

# Of the samples whose user leaf is crypto/sha256.block (kernel frames may
# follow it), how many reach main.hashChunk through their Go callers
sha256_callers() {	# FOLDED
	local in kept
	in=$(folded_sum "$1" ';crypto/sha256\.block(;[^;]*_\[k\])*$')
	# (Sum256 calls Write, and checkSum calls it again)
	kept=$(folded_sum "$1" '^gowork(-stripped)?;runtime\.goexit;runtime\.main;main\.main;main\.hashLoop;main\.hashChunk;crypto/sha256\.Sum256;(crypto/sha256\.[^;]*;)*crypto/sha256\.block(;[^;]*_\[k\])*$')
	echo "in sha256.block: $in, with their callers: $kept ($(pct "$kept" "$in")%)"
	[ "$in" -gt 300 ]
	# whole stacks are what the rows are for: 95% at least (a sample
	# taken in the instant of a prologue may still fail)
	[ $((kept * 100)) -ge $((in * 95)) ]
}

@test "go: samples in crypto/sha256's assembly keep their Go callers, stripped or not" {
	# 2 CPU seconds at 999 Hz: some 2000 samples, about 80% in block
	run "$PROFILER" cpu -F 999 -o "$TMP/s.folded" -- "$G/gowork-stripped" hash 2
	[ "$status" -eq 0 ]
	sha256_callers "$TMP/s.folded"
	run "$PROFILER" cpu -F 999 -o "$TMP/u.folded" -- "$G/gowork" hash 2
	[ "$status" -eq 0 ]
	sha256_callers "$TMP/u.folded"
}

@test "go: a Go program run by a Go program (vfork and exec, both at 0x400000) is named as itself" {
	# os/exec's child maps gowork-stripped where its parent had gowork:
	# the sample's exec count says which program it was in
	run "$PROFILER" cpu -F 999 -o "$TMP/out.folded" -- "$G/gowork" spawn "$G/gowork-stripped" hash 2
	[ "$status" -eq 0 ]
	grep -E '^gowork-stripped;' "$TMP/out.folded" > "$TMP/child.folded"
	sha256_callers "$TMP/child.folded"
	! grep -E '\[pid [0-9]+ reused\]' "$TMP/out.folded" || false
}

@test "go: the waits of a Go program run by a Go program are named as its own" {
	run "$PROFILER" offcpu -o "$TMP/out.folded" -- "$G/gowork" spawn "$G/gowork-stripped" hash 2
	[ "$status" -eq 0 ]
	# the Go runtime of the child waits (sysmon's sleeps, idle Ps, the GC)
	grep -E '^gowork-stripped;' "$TMP/out.folded" | grep -qE ';runtime\.[a-z]'
	! grep -E '\[pid [0-9]+ reused\]' "$TMP/out.folded" || false
}

# The functions with at least 2% of the samples of a folded file, one a line
busy_functions() {	# FOLDED
	awk '{ n = $NF; sub(/ [0-9]+$/, ""); k = split($0, f, ";")
		delete seen
		for (i = 2; i <= k; i++) if (f[i] !~ /_\[k\]$/ && !(f[i] in seen)) { seen[f[i]] = 1; c[f[i]] += n }
		t += n }
	END { for (name in c) if (c[name] >= 0.02 * t) print name }' "$1" | sort
}

@test "go: the stripped build is named like the unstripped one, with Go's own names" {
	run "$PROFILER" cpu -F 999 -o "$TMP/s.folded" -- "$G/gowork-stripped" hash 2
	[ "$status" -eq 0 ]
	run "$PROFILER" cpu -F 999 -o "$TMP/u.folded" -- "$G/gowork" hash 2
	[ "$status" -eq 0 ]
	busy_functions "$TMP/s.folded" > "$TMP/s.names"
	busy_functions "$TMP/u.folded" > "$TMP/u.names"
	cat "$TMP/s.names"
	# a function busy in one run has samples in the other
	while read -r f; do grep -qF ";$f" "$TMP/u.folded" || { echo "only stripped: $f"; false; }; done < "$TMP/s.names"
	while read -r f; do grep -qF ";$f" "$TMP/s.folded" || { echo "only unstripped: $f"; false; }; done < "$TMP/u.names"
	grep -qx 'crypto/sha256.block' "$TMP/s.names"
	grep -qx 'main.hashChunk' "$TMP/s.names"
	# Go's names as its tracebacks give them: no ELF ".abi0", nothing unnamed
	# (the forked child before its exec is still "profiler": not these)
	! grep -hE '^gowork' "$TMP/s.folded" "$TMP/u.folded" | grep -E 'gowork(-stripped)?\+0x|\.abi0|\[unmapped\]' || false
}

@test "go: a 3:1 split between two Go functions of a stripped build, within the binomial error" {
	# main.spinThree runs 3 chunks in 4 at random, a chunk (60,000 steps,
	# well under a sampling period) chosen by a seeded PRNG: its share of
	# the samples is binomial(n, 3/4)
	run "$PROFILER" cpu -F 999 -o "$TMP/out.folded" -- "$G/gowork-stripped" split 3
	[ "$status" -eq 0 ]
	three=$(folded_sum "$TMP/out.folded" '^gowork-stripped;runtime\.goexit;runtime\.main;main\.main;main\.splitLoop;main\.spinThree(;[^;]*_\[k\])*$')
	one=$(folded_sum "$TMP/out.folded" '^gowork-stripped;runtime\.goexit;runtime\.main;main\.main;main\.splitLoop;main\.spinOne(;[^;]*_\[k\])*$')
	echo "spinThree=$three spinOne=$one share=$(pct "$three" $((three + one)))%"
	[ $((three + one)) -gt 1000 ]
	binomial_ok "$three" $((three + one)) 0.75
}

@test "go: --lines gives a stripped build's frames file:line and its inlined calls" {
	run "$PROFILER" cpu -F 999 --lines -o "$TMP/out.folded" -- "$G/gowork-stripped" split 1
	[ "$status" -eq 0 ]
	# lcg is inlined into both spinners: an inlined frame after each
	grep -qE ';main\.splitLoop \[main\.go:[0-9]+\];main\.spinThree \[main\.go:[0-9]+\];main\.lcg \[main\.go:[0-9]+\]_\[i\] [0-9]+$' "$TMP/out.folded"
	grep -qE ';main\.spinOne \[main\.go:[0-9]+\];main\.lcg \[main\.go:[0-9]+\]_\[i\] [0-9]+$' "$TMP/out.folded"
	grep -qE '^gowork-stripped;runtime\.goexit \[asm_amd64\.s:[0-9]+\];runtime\.main \[proc\.go:[0-9]+\]' "$TMP/out.folded"
}

@test "go: stacks end at the runtime's roots, nothing past them" {
	run "$PROFILER" cpu -F 999 -o "$TMP/out.folded" -- "$G/gowork-stripped" hash 1
	[ "$status" -eq 0 ]
	# goexit starts every goroutine, mstart and rt0_go every thread;
	# systemstack, mcall and morestack switch to another stack: each is the
	# first frame of its stack when it is there at all
	# never a frame past one of them (the exec, in the kernel, has no user
	# frames yet)
	awk '/^gowork-stripped;/ { sub(/ [0-9]+$/, ""); k = split($0, f, ";")
		if (f[2] ~ /_\[k\]$/) next
		for (i = 3; i <= k; i++) if (f[i] ~ /^runtime\.(goexit|mstart|rt0_go|systemstack|mcall|morestack|sigtramp)$/) { print "not a root: " $0; bad = 1 } }
		END { exit bad }' "$TMP/out.folded"
	# and stacks start at the runtime (or the program's entry point); a
	# sample in the instants the runtime switches stacks (gogo) may not
	all=$(awk '/^gowork-stripped;/ { n = $NF; split($0, f, ";"); if (f[2] !~ /_\[k\]$/) s += n }
		END { print s + 0 }' "$TMP/out.folded")
	rooted=$(folded_sum "$TMP/out.folded" '^gowork-stripped;(runtime\.|_rt0_amd64)')
	n=$(folded_sum "$TMP/out.folded" '^gowork-stripped;runtime\.goexit;runtime\.main;main\.main;')
	echo "user stacks: $all, rooted in the runtime: $rooted; main goroutine: $n"
	[ "$n" -gt 300 ]
	[ $((rooted * 100)) -ge $((all * 99)) ]
}

@test "go: cgo stacks connect Go and C" {
	run "$PROFILER" cpu -F 999 -o "$TMP/out.folded" -- "$G/gocgo" 2
	[ "$status" -eq 0 ]
	in=$(folded_sum "$TMP/out.folded" ';c_spin(;c_keep)?(;[^;]*_\[k\])*$')
	kept=$(folded_sum "$TMP/out.folded" '^gocgo;runtime\.goexit;runtime\.main;main\.main;main\.callC;main\._Cfunc_c_spin;runtime\.cgocall;runtime\.asmcgocall;(_cgo_[0-9a-f]+_Cfunc_c_spin;)?c_spin(;c_keep)?(;[^;]*_\[k\])*$')
	echo "in C: $in, reaching main.main through cgocall: $kept ($(pct "$kept" "$in")%)"
	[ "$in" -gt 500 ]
	[ $((kept * 100)) -ge $((in * 95)) ]
}
