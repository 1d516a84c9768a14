#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# What process churn costs the profiler: `profiler cpu -a` while
# tests/workloads/churn starts 100 processes a second (each 3 ms in
# short_lived_work, a thread and a dlopen every tenth), its own CPU time
# (user + system, from /usr/bin/time) and how many locations it named.
# With BASE=/path/to/an/older/profiler, the same run with that one too,
# one after the other, for a before/after.  Prints a markdown section.
#   scripts/bench/churn.sh [BUILD] [SECONDS]
# Needs root.  A benchmark: nothing in `make test` depends on its timing.
set -euo pipefail

build=${1:-build}
secs=${2:-20}
rate=100
here=$(dirname "$0")
# shellcheck source=lib.bash
. "$here/lib.bash"

run_one() {	# NAME PROFILER
	local err=$tmp/$1.err
	"$build/workloads/churn" $rate $((secs + 2)) "$build/workloads/libspin.so" >/dev/null &
	loads+=($!)
	sleep 1
	/usr/bin/time -f '%U %S %M' -o "$tmp/$1.time" \
		"$2" cpu -a -F 999 -d "$secs" -v --max-stacks 400000 -o "$tmp/$1.folded" 2>"$err"
	wait "${loads[-1]}" 2>/dev/null || true
	read -r user sys kb < "$tmp/$1.time"
	named=$(sed -n 's/.*: \([0-9]*\) named, \([0-9]*\) unnamed.*/\1/p' "$err")
	unnamed=$(sed -n 's/.*: \([0-9]*\) named, \([0-9]*\) unnamed.*/\2/p' "$err")
	work=$(awk '/^churn;.*short_lived_work/ { s += $NF } END { print s + 0 }' "$tmp/$1.folded")
	lost=$(grep '^churn;' "$tmp/$1.folded" | grep -E '\[pid [0-9]+ (exited|reused)\]|\[unmapped\]|churn\+0x' |
		awk '{ s += $NF } END { print s + 0 }')
	printf '| %s | %.2f | %.2f | %.1f%% | %.1f | %s | %s | %s | %s |\n' "$1" "$user" "$sys" \
		"$(awk -v u="$user" -v s="$sys" -v t="$secs" 'BEGIN { print 100 * (u + s) / t }')" \
		"$(awk -v k="$kb" 'BEGIN { print k / 1024 }')" "$named" "$unnamed" "$work" "$lost"
}

echo "## Process churn"
echo
echo "\`profiler cpu -a -F 999 -d $secs\` while \`churn $rate $((secs + 2)) libspin.so\` starts"
echo "$rate processes a second, each 3 ms of CPU in \`short_lived_work\` (expected"
echo "$((rate * secs * 3)) samples of it). CPU is the profiler's own, user and system"
echo "seconds, and as a share of the run; named/unnamed are all locations of the"
echo "machine (\`-v\`); the last two columns count churn's samples: in"
echo "\`short_lived_work\`, and with an unnamed frame ([pid N exited], [unmapped], churn+0x)."
echo
echo "| profiler | user s | sys s | CPU | peak RSS MiB | named | unnamed | short_lived_work | churn unnamed |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
[ -n "${BASE:-}" ] && run_one before "$BASE"
run_one this "$build/profiler"
