#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The agent's libraries (libcurl for --pyroscope, libmicrohttpd for
# --listen) are loaded when first used, not linked (src/util/dynlib.h):
# every other command runs without them, and a missing one is one line
# naming the Debian package.  Each test hides the libraries in a mount
# namespace of its own (unshare -m: /dev/null bound over the files).

load helpers

setup() {
	setup_common
	command -v unshare >/dev/null || { echo "unshare is missing: apt-get install util-linux" >&2; return 1; }
}

teardown() {
	teardown_common
}

# The files of these sonames, as the dynamic loader finds them
lib_files() {
	for so in "$@"; do
		p=$(/sbin/ldconfig -p | awk -v so="$so" '$1 == so && /x86-64|AArch64|64bit/ { print $NF; exit }')
		[ -n "$p" ] && readlink -f "$p"
	done | sort -u
}

# Run the rest with the files of the sonames in $HIDE replaced by /dev/null.
# Called under bats' run, where a failed test does not stop the function:
# no file found is exit 98, which every test refuses.
without() {
	local files
	files=$(lib_files $HIDE)
	[ -n "$files" ] || { echo "none of $HIDE found by ldconfig" >&2; return 98; }
	unshare -m sh -c 'for f in $1; do mount --bind /dev/null "$f" || exit 99; done; shift; exec "$@"' \
		sh "$files" "$@"
}

@test "libs: profiler cpu runs with neither libcurl nor libmicrohttpd loadable" {
	HIDE="libcurl.so.4 libcurl-gnutls.so.4 libmicrohttpd.so.12"
	run without "$PROFILER" cpu -q -f folded -o "$TMP/o.folded" -- "$W/burn31" 1
	echo "$output"
	[ "$status" -eq 0 ]	# not 98 (nothing hidden) nor 99 (not hidden)
	[ "$(folded_sum "$TMP/o.folded" 'spin_three')" -gt 50 ]
	# and the binary does not name them at all
	run readelf -d "$PROFILER"
	[[ "$output" != *libcurl* ]]
	[[ "$output" != *libmicrohttpd* ]]
}

@test "libs: agent --pyroscope without libcurl: one line naming the package, non-zero exit" {
	HIDE="libcurl.so.4 libcurl-gnutls.so.4"
	run without "$PROFILER" agent --pyroscope http://127.0.0.1:4040 --listen off -d 1
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$status" -ne 98 ]
	[ "$status" -ne 99 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"cannot load libcurl"*"install Debian's libcurl4"* ]]
}

@test "libs: agent --listen without libmicrohttpd: one line naming the package, non-zero exit" {
	HIDE="libmicrohttpd.so.12"
	run without "$PROFILER" agent --listen 127.0.0.1:0 -d 1
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$status" -ne 98 ]
	[ "$status" -ne 99 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"cannot load libmicrohttpd.so.12"*"install Debian's libmicrohttpd12"* ]]
}
