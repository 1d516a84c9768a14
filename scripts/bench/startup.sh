#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Start-up and memory of profiler cpu:
#  - launch to first sample, and the wall time of a minimal system-wide
#    job (start, one sample, stop), against bpftrace and perf;
#  - peak RSS of system-wide profiles of growing length on a busy machine:
#    kernel aggregation keeps it bounded by unique stacks, not samples;
#  - with BASE=/path/to/an/older/profiler (and strace): the seconds each
#    map's creation and each program's load take in `cpu -a -F 999 -d 0.01`
#    (strace -T, ROUNDS alternated runs of each build, default 5), per
#    run; PARTS_ONLY=1 prints only that.
# Prints a markdown section.  Usage: scripts/bench/startup.sh [BUILD]
set -euo pipefail
build=${1:-build}
P=$build/profiler
W=$build/workloads
long=${BENCH_LONG:-60}
. "$(dirname "$0")/lib.bash"

med5() { sort -n | sed -n 3p; }
wall() {	# wall seconds of a command
	local a b
	a=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || true
	b=$(date +%s.%N)
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f\n", b - a }'
}

# One build's bpf() calls: "MAP_CREATE|PROG_LOAD name seconds" per line
bpf_calls() {
	strace -f -T -e trace=bpf -o "$tmp/st" "$1" cpu -a -F 999 -d 0.01 -o /dev/null >/dev/null 2>&1 || true
	sed -En 's/.*BPF_(MAP_CREATE|PROG_LOAD).*(map|prog)_name="([^"]*)".*<([0-9.]+)>$/\1 \3 \4/p' "$tmp/st"
}
if [ -n "${BASE:-}" ] && command -v strace >/dev/null; then
	rounds=${ROUNDS:-5}
	for r in $(seq "$rounds"); do
		bpf_calls "$BASE" | sed 's/^/before /'
		bpf_calls "$P" | sed 's/^/after /'
	done > "$tmp/calls"
	echo "## Start-up by map and program"
	echo
	echo "Seconds per run in bpf() (strace -T), $rounds alternated runs of each build of"
	echo "\`profiler cpu -a -F 999 -d 0.01\`; the unwind tables made per binary are left out."
	echo
	echo "| call | before | after |"
	echo "| --- | --- | --- |"
	awk -v n="$rounds" '$3 != "unw_table" { t[$2 " " $3, $1] += $4; k[$2 " " $3] = 1
		if ($2 == "MAP_CREATE") m[$1] += $4 }
		END { for (x in k) if (t[x, "before"] + t[x, "after"] >= 0.0005 * n)
			printf "| %s | %.4f | %.4f |\n", x, t[x, "before"] / n, t[x, "after"] / n
		      printf "| all map creations | %.4f | %.4f |\n", m["before"] / n, m["after"] / n }' \
		"$tmp/calls" | sort -t'|' -k3 -rn
	echo
	# each command's whole start (to a 0.3 s run's end): CPU and page
	# faults, which libbpf's reading of the kernel's BTF is most of
	for c in cpu offcpu io lock; do
		for r in $(seq "$rounds"); do
			for b in before after; do
				bin=$P
				[ "$b" = before ] && bin=$BASE
				perf stat -x, -e task-clock,page-faults "$bin" "$c" -a -d 0.3 -o /dev/null 2>&1 |
					awk -F, -v b="$b" -v c="$c" '/task-clock/ { t = $1 } /page-faults/ { f = $1 }
						END { print c, b, t, f }'
			done
		done
	done > "$tmp/starts"
	echo "Each command's start, \`profiler CMD -a -d 0.3\` (perf stat), medians of $rounds alternated runs:"
	echo
	echo "| command | CPU ms before | after | page faults before | after |"
	echo "| --- | --- | --- | --- | --- |"
	for c in cpu offcpu io lock; do
		med() { awk -v c="$c" -v b="$1" -v k="$2" '$1 == c && $2 == b { print $k }' "$tmp/starts" |
			sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
		printf '| %s | %.0f | %.0f | %d | %d |\n' "$c" "$(med before 3)" "$(med after 3)" \
			"$(med before 4)" "$(med after 4)"
	done
	echo
	[ -n "${PARTS_ONLY:-}" ] && exit 0
fi

"$W/burn31" 600 2>/dev/null & loads+=($!)
busy=${loads[0]}
sleep 0.5

first=$(for i in 1 2 3 4 5; do "$P" cpu -v -q -p "$busy" -d 0.2 -o /dev/null 2>&1 |
	sed -n 's/.*first sample \([0-9.]*\) ms.*/\1/p'; done | med5)
ours=$(for i in 1 2 3 4 5; do wall "$P" cpu -a -F 999 -d 0.01 -q -o /dev/null; done | med5)
bt=$(for i in 1 2 3 4 5; do wall bpftrace -e "profile:hz:999 /pid == $busy/ { @[ustack, kstack] = count(); exit(); }"; done | med5)
pf=$(for i in 1 2 3 4 5; do wall perf record -q -F 999 -g -a -o "$tmp/p.data" -- sleep 0.01; done | med5)

echo "## Start-up"
echo
echo "Median of 5. Our first sample: ${first} ms after launch (\`profiler cpu -v\`)."
echo "Wall time of a minimal system-wide job at 999 Hz (start, sample, stop, write):"
echo
echo "| profiler cpu -d 0.01 | bpftrace, exit at first sample | perf record -g -a -- sleep 0.01 |"
echo "| --- | --- | --- |"
echo "| ${ours} s | ${bt} s | ${pf} s |"
echo

kill "$busy" 2>/dev/null || true
for i in $(seq "$(nproc)"); do "$W/stackmix" $((long + 60)) & loads+=($!); done
sleep 0.5
rss() {	# peak RSS in MiB of a system-wide profile of $1 seconds, and its stack count
	local line
	line=$("$P" cpu -a -F 999 -d "$1" --stats -q -o "$tmp/o.folded" 2>&1 | sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1/p')
	echo "$line $(wc -l < "$tmp/o.folded")"
}
echo "## Memory"
echo
echo "Peak RSS of \`profiler cpu -a -F 999\` while every CPU runs \`stackmix\`:"
echo
echo "| duration | peak RSS | unique stacks |"
echo "| --- | --- | --- |"
for d in 5 $((long / 4)) "$long"; do
	set -- $(rss "$d")
	echo "| ${d} s | $1 MiB | $2 |"
done
