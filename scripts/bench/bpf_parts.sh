#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Where a cpu sample's BPF time goes, part by part, under process churn:
# µs per sample of the whole program and of each part (the .eh_frame
# attempt, the frame-pointer walk, the leaf candidates, storing the user
# stack, the kernel stack, the counts map, the process's name and
# announcement), with the share of samples that ran each part.
# Needs a build with the marks compiled in (bpf/common.bpf.h, PART_TIMING):
#   make BUILD=build-parts BPF_CFLAGS="-g -O2 -target bpf -D__TARGET_ARCH_x86 \
#     -Iinclude -Ibpf -Ivmlinux/x86 -Wall -Werror -Wno-unused-function -DPART_TIMING" all
#   scripts/bench/bpf_parts.sh [BUILD] [SECONDS] [PROFILER OPTIONS...]
# (the churn workload comes from $WORKLOADS/workloads, default build)
# The figures are read from the object's .bss with bpftool while it runs.
# Needs root.  A benchmark: nothing in `make test` depends on its timing.
set -euo pipefail

build=${1:-build-parts}
secs=${2:-8}
shift 2 || shift $#
here=$(dirname "$0")
# shellcheck source=lib.bash
. "$here/lib.bash"
out=$tmp
work=${WORKLOADS:-build}/workloads	# churn and libspin.so, from the usual build

"$work/churn" 100 $((secs + 10)) "$work/libspin.so" >/dev/null 2>&1 &
loads+=($!)
sleep 1
"$build/profiler" cpu -a -F 999 -d "$secs" --stats -o /dev/null "$@" >"$out/stats" 2>&1 &
pid=$!
sleep 2
while kill -0 "$pid" 2>/dev/null; do
	# the newest cpu object's .bss that has the marks
	for bss in $(bpftool -j map show 2>/dev/null | python3 -c '
import json, sys
ids = [m["id"] for m in json.load(sys.stdin) if m.get("name") == "cpu_bpf.bss"]
print(*sorted(ids, reverse=True))'); do
		if bpftool -j map dump id "$bss" >"$out/tmp" 2>/dev/null && grep -q part_ns "$out/tmp"; then
			mv "$out/tmp" "$out/bss"
			break
		fi
	done
	sleep 1
done
wait "$pid" || true
python3 - "$out/bss" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))[0]["formatted"]["value"][".bss"]
ns = next(s["part_ns"] for s in v if "part_ns" in s)
runs = next(s["part_runs"] for s in v if "part_runs" in s)
names = ["all", "cfi", "fp", "leaf", "user_store", "kern", "counts", "proc (comm, start time)"]
kinds = ["no tables yet", "with tables", "a new stack stored", "process announced",
	 "kernel mode", "a new counts key", "process < 20 ms old", "in execve",
	 "frame pointers (no .eh_frame)", "first user read (8 bytes at sp)"]
n = max(runs[0], 1)
print("| part | µs per sample | share of samples |")
print("| --- | --- | --- |")
for i, name in enumerate(names):
	print(f"| {name} | {ns[i] / 1000 / n:.2f} | {min(runs[i], n) * 100 // n}% |")
if len(ns) > len(names):
	print("\n| samples of a kind | µs per such sample (whole program) | share of samples |")
	print("| --- | --- | --- |")
	for k, name in enumerate(kinds):
		i = len(names) + k
		r = max(runs[i], 1)
		print(f"| {name} | {ns[i] / 1000 / r:.2f} | {runs[i] * 100 / n:.1f}% |")
	print(f"\nfiltered out (idle, not a target): {runs[len(names) + len(kinds)]} runs")
	a = len(names) + len(kinds) + 1
	if len(ns) > a:
		print(f"announcement (procs_seen, ring buffer): {ns[a] / 1000 / n:.2f} µs per sample")
print(f"\n{runs[0]} samples")
PY
grep "BPF cpu_sample" "$out/stats" || true
