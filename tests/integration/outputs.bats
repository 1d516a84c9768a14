#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# -o files are replaced whole or not at all: a killed run, a full disk or a
# failed run leaves the previous file byte for byte, and no temporary file.

bats_require_minimum_version 1.5.0
load helpers

setup() { setup_common; }
teardown() {
	[ -n "${SMALL:-}" ] && umount "$SMALL" 2>/dev/null
	SMALL=
	teardown_common
}

@test "outputs: SIGKILL mid-run leaves the previous -o files as they were" {
	mkdir "$TMP/o"
	"$PROFILER" cpu -q -o "$TMP/o/out.pb.gz" -o "$TMP/o/out.folded" -- "$W/burn31" 0.3 2>/dev/null
	before=$(cd "$TMP/o" && sha256sum out.pb.gz out.folded)
	inodes=$(stat -c '%i %Y' "$TMP/o/out.pb.gz" "$TMP/o/out.folded")
	"$W/burn31" 60 2>/dev/null &
	BGPID=$!
	"$PROFILER" cpu -v -F 999 -p "$BGPID" -d 60 -o "$TMP/o/out.pb.gz" -o "$TMP/o/out.folded" \
		2>"$TMP/err" &
	prof=$!
	wait_collecting "$TMP/err"
	# profiling, the files open: not touched yet
	[ "$(stat -c '%i %Y' "$TMP/o/out.pb.gz" "$TMP/o/out.folded")" = "$inodes" ]
	sleep 0.5
	kill -KILL "$prof"
	wait "$prof" || true
	[ "$(cd "$TMP/o" && sha256sum out.pb.gz out.folded)" = "$before" ]
	# unnamed temporary files (O_TMPFILE) vanish with the process
	[ "$(ls -A "$TMP/o" | sort | tr '\n' ' ')" = "out.folded out.pb.gz " ]
}

@test "outputs: a complete run replaces the file whole, keeping its mode; symlinks stay" {
	printf 'old\n' > "$TMP/out.folded"
	chmod 640 "$TMP/out.folded"
	printf 'old\n' > "$TMP/real.txt"
	ln -s real.txt "$TMP/link.txt"
	run "$PROFILER" cpu -q -o "$TMP/out.folded" -o "$TMP/link.txt" -o "$TMP/new.json" \
		-o /dev/null -- "$W/burn31" 0.3
	[ "$status" -eq 0 ]
	grep -q '^burn31;.*spin_three [0-9]*$' "$TMP/out.folded"
	[ "$(stat -c %a "$TMP/out.folded")" = 640 ]
	[ -L "$TMP/link.txt" ]
	grep -q '^Top functions' "$TMP/real.txt"
	# a new file: 0666 less the umask, as any program's
	[ "$(stat -c %a "$TMP/new.json")" = "$(printf '%o' $((0666 & ~$(umask))))" ]
	[ -c /dev/null ]
	[ "$(ls -A "$TMP" | sort | tr '\n' ' ')" = "link.txt new.json out.folded real.txt " ]
}

@test "outputs: a full disk gives ENOSPC by name, a non-zero exit and no partial file" {
	SMALL=$TMP/small
	mkdir "$SMALL"
	# two pages: one for the old file, one left, and a flame graph needs more
	mount -t tmpfs -o size=8k tmpfs "$SMALL"
	printf '<svg>old</svg>\n' > "$SMALL/out.svg"
	before=$(sha256sum < "$SMALL/out.svg")
	run --separate-stderr "$PROFILER" cpu -q -o "$SMALL/out.svg" -- "$W/burn31" 0.5
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"writing $SMALL/out.svg: no space left on device (ENOSPC): free space or choose another -o path"* ]]
	[ "$(sha256sum < "$SMALL/out.svg")" = "$before" ]
	[ "$(ls -A "$SMALL")" = out.svg ]
	# profiler report too, and a file that did not exist is not created
	"$PROFILER" cpu -q -o "$TMP/in.folded" -- "$W/burn31" 0.3
	run --separate-stderr "$PROFILER" report "$TMP/in.folded" -o "$SMALL/new.svg"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"writing $SMALL/new.svg: no space left on device (ENOSPC)"* ]]
	[ "$(ls -A "$SMALL")" = out.svg ]
	# a device that is always full, written in place
	run --separate-stderr "$PROFILER" report "$TMP/in.folded" -f svg -o /dev/full
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"writing /dev/full: no space left on device (ENOSPC)"* ]]
}

@test "outputs: a failed run leaves the old file; an unwritable one fails before profiling" {
	printf 'old\n' > "$TMP/out.folded"
	run --separate-stderr "$PROFILER" cpu -o "$TMP/out.folded" -- /nonexistent/prog
	[ "$status" -ne 0 ]
	[ "$(cat "$TMP/out.folded")" = old ]
	[ "$(ls -A "$TMP")" = out.folded ]
	# a read-only file system: refused at once, the file untouched
	mkdir "$TMP/ro"
	printf 'old\n' > "$TMP/ro/x.folded"
	SMALL=$TMP/ro
	mount --bind "$TMP/ro" "$TMP/ro"
	mount -o remount,bind,ro "$TMP/ro"
	run --separate-stderr timeout 20 "$PROFILER" cpu -d 30 -o "$TMP/ro/x.folded"
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	[[ "$stderr" == *"cannot write $TMP/ro/x.folded: Read-only file system"* ]]
	[ "$(cat "$TMP/ro/x.folded")" = old ]
}

@test "outputs: -i publishes each interval's report while the run goes on" {
	"$PROFILER" io -i 0.5 -d 60 -f report -o "$TMP/int.txt" 2>/dev/null &
	prof=$!
	for i in $(seq 300); do grep -q '^Profile:' "$TMP/int.txt" 2>/dev/null && break; sleep 0.1; done
	# the first report is in the file while the run still goes on
	grep -q '^Profile:' "$TMP/int.txt"
	kill -0 "$prof"
	kill -INT "$prof"
	wait "$prof"
	[ "$(grep -c '^Profile:' "$TMP/int.txt")" -ge 2 ]
	[ "$(ls -A "$TMP")" = int.txt ]
}

@test "outputs: -- CMD writing to stdout never lands in a profile on stdout, for every subcommand" {
	for sub in cpu offcpu wall lock io mem; do
		# lockfight prints "COUNTER COUNTER", which would even pass for a folded line
		"$PROFILER" "$sub" -f folded -- "$W/lockfight" 2000 >"$TMP/$sub.folded" 2>"$TMP/$sub.err"
		printed=$(grep -E '^[0-9]+ [0-9]+$' "$TMP/$sub.err")
		echo "$sub: the command printed '$printed'; profile: $(wc -l <"$TMP/$sub.folded") lines"
		[ -n "$printed" ]
		! grep -qxF "$printed" "$TMP/$sub.folded" || false
		grep -q "the command's standard output goes to standard error" "$TMP/$sub.err"
		# every line is a stack and its value, and profiler report reads it
		# (io may see no disk request, lock no contention, in so short a run)
		! grep -vqE '^[^ ].* [0-9]+$' "$TMP/$sub.folded" || false
		case $sub in cpu|offcpu|wall) [ -s "$TMP/$sub.folded" ] ;; esac
		if [ -s "$TMP/$sub.folded" ]; then
			"$PROFILER" report "$TMP/$sub.folded" >/dev/null
		fi
	done
	# with -o, the command's stdout stays its own
	run --separate-stderr "$PROFILER" cpu -q -o "$TMP/o.folded" -- "$W/lockfight" 2000
	[ "$status" -eq 0 ]
	echo "$output" | grep -qE '^[0-9]+ [0-9]+$'
}
