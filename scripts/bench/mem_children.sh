#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# What following a command's children costs profiler mem: `mem -- sh -c
# 'N x /bin/true; sleep 1; mem_storm P'`, each child held and probed.  For
# each build: the whole run's wall time, the command's own (stamped by the
# command itself), the wait after it exited (the probes going), our CPU
# (user + system, the command's excluded), and the storm's CPU per
# malloc+free pair, against the same storm run first with no children:
# every probe a child leaves on libc is one more consumer each later hit
# walks past.  With BASE=/path/to/an/older/profiler (or its build
# directory), that one runs too, in the same run.  Uprobes made as perf
# events wait ~80 ms each as they go on 6.12 and later, in series: keep N
# small with an old BASE (20 children: ~40 s at its end).
#   [BASE=...] scripts/bench/mem_children.sh [BUILD] [N] [PAIRS]
# Needs root.  A benchmark: nothing in `make test` depends on its timing.
set -euo pipefail

build=${1:-build}
n=${2:-20}
pairs=${3:-100000}
here=$(dirname "$0")
# shellcheck source=lib.bash
. "$here/lib.bash"
W=$build/workloads/mem_storm
make --no-print-directory "$build/profiler" "$W" >/dev/null
base=${BASE:-}
[ -d "$base" ] && base=$base/profiler

# NAME PROFILER CHILDREN: one row
one() {
	local t0 t1 t2 pair
	t0=$(date +%s.%N)
	"$2" mem -q -o /dev/null -- sh -c \
		"for i in \$(seq $3); do /bin/true; done; sleep 1; $W $pairs; date +%s.%N > $tmp/end" \
		2> "$tmp/err"
	t2=$(date +%s.%N)
	t1=$(cat "$tmp/end")
	pair=$(sed -n 's/.*cpu_ns_per_pair=\([0-9]*\).*/\1/p' "$tmp/err")
	printf '| %s | %d | %.2f | %.2f | %.2f | %.1f |\n' "$1" "$3" \
		"$(echo "$t2 - $t0" | bc)" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" \
		"$(echo "${pair:-0} / 1000" | bc -l)"
}

echo "## mem following children"
echo
echo "\`scripts/bench/mem_children.sh $build $n $pairs\`: \`profiler mem -- sh -c 'N x /bin/true;"
echo "sleep 1; mem_storm $pairs'\`. Run: the whole run's wall seconds; command: until the"
echo "command's last line; after: the wait after it (its probes going); pair: the storm's"
echo "CPU per malloc+free pair, in us."
echo
echo "| build | children | run s | command s | after s | pair us |"
echo "| --- | --- | --- | --- | --- | --- |"
for b in ours ${base:+base}; do
	p=$build/profiler
	[ "$b" = base ] && p=$base
	one "$b" "$p" 0
	one "$b" "$p" "$n"
done
