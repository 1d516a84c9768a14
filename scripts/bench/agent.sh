#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The cost of profiler agent on a busy machine: one CPU burner (burn31)
# per CPU for the whole run, the agent system-wide at a rate and window
# for SECS (default 90).  The agent's own CPU is read from /proc between
# 30 s (after its start: loading, the kernel's symbols) and the end, so
# it is the steady state; BPF time is the kernel's (--stats) over the
# whole run; RSS at the end and at its peak.  The goal: CPU + BPF <= 1% of
# one CPU and RSS <= 64 MiB at the defaults (19 Hz, 10 s windows).
# With BASE=/path/to/an/older/profiler: the defaults only, that build and
# this one alternated for ROUNDS (default 2) rounds in the same run, and
# the ratio of their means; with CHURN=RATE, tests/workloads/churn starts
# RATE processes a second besides the burners.  Each row also says how
# many uprobes other programs had on libc's allocator at 30 s (bpftool
# perf list): a uprobe on a file traps in every process that maps it, so
# another tool's malloc probes make every malloc and free of the agent a
# trap (half of its CPU at one measurement here: docs/performance.md).
#   scripts/bench/agent.sh [BUILD] [SECS]
#   BASE=/tmp/old/build/profiler CHURN=100 scripts/bench/agent.sh build 60
set -euo pipefail

build=${1:-build}
secs=${2:-${AGENT_BENCH_SECONDS:-90}}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.bash"
prof=$build/profiler

for f in "$prof" "$build/workloads/burn31"; do
	[ -x "$f" ] || { echo "missing $f: run 'make all workloads'" >&2; exit 1; }
done
[ "$secs" -ge 45 ] || { echo "agent bench: SECS must be at least 45" >&2; exit 1; }
for i in $(seq "$(nproc)"); do
	"$build/workloads/burn31" 100000 2> /dev/null &
	loads+=($!)
done
tick=$(getconf CLK_TCK)

if [ -n "${CHURN:-}" ]; then
	make --no-print-directory -s "$build/workloads/churn" "$build/workloads/libspin.so" >&2
	"$build/workloads/churn" "$CHURN" 100000 "$build/workloads/libspin.so" > /dev/null 2>&1 &
	loads+=($!)
fi

# Uprobes of other programs on libc's malloc or free now (- without bpftool).
libc_uprobes() {
	local libc offs=""
	command -v bpftool > /dev/null || { echo -; return; }
	libc=$(ldd "$prof" | awk '$1 ~ /^libc\.so/ { print $3 }')
	for h in $(nm -D "$libc" | awk '$3 ~ /^(malloc|free)(@|$)/ { print $1 }'); do
		offs="$offs $((16#$h))"
	done
	{ bpftool perf list 2> /dev/null || true; } |
		awk -v lib="$(basename "$libc")" -v offs="$offs" '
			BEGIN { split(offs, o, " "); for (i in o) want[o[i]] = 1 }
			index($0, lib) && $NF in want { n++ } END { print n + 0 }'
}

# One run: prints "steady-CPU-% BPF-ms-per-s RSS-MiB peak-MiB libc-uprobes".
run() {	# FREQ WINDOW [PROFILER]
	"${3:-$prof}" agent -F "$1" --window "$2" --listen 127.0.0.1:0 --stats -d "$secs" \
		> /dev/null 2> "$tmp/err" &
	local pid=$! c1 c2 rss up t0 t1 t2 left
	t0=$(date +%s)
	sleep 30
	c1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	t1=$(date +%s)
	# bpftool, ldd and nm took seconds at load 40: the second read is
	# timed from the agent's start, before its -d ends it
	up=$(libc_uprobes)
	left=$((t0 + secs - 2 - $(date +%s)))
	[ "$left" -le 0 ] || sleep "$left"
	c2=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	t2=$(date +%s)
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")
	wait "$pid" || true
	awk -v c1="$c1" -v c2="$c2" -v t="$tick" -v d=$((t2 - t1)) -v r="$rss" -v s="$secs" -v up="$up" '
		/^  BPF .* ms in all/ { for (i = 1; i <= NF; i++) if ($i == "ms" && $(i + 1) == "in") b += $(i - 1) }
		/^  profiler: .* s CPU/ { for (i = 1; i <= NF; i++) if ($i == "RSS") m = $(i + 1) }
		END { printf "%.3f %.3f %.1f %.1f %s\n", (c2 - c1) / t / d * 100, b / s, r / 1024, m, up }' "$tmp/err"
}

if [ -n "${BASE:-}" ]; then
	echo "| round | build | agent CPU | BPF | agent + BPF | RSS at the end | peak RSS | others' libc malloc/free uprobes |"
	echo "|---|---|---|---|---|---|---|---|"
	for r in $(seq "${ROUNDS:-2}"); do
		for which in before after; do
			p=$prof
			[ "$which" = before ] && p=$BASE
			read -r c b rss m up < <(run 19 10 "$p")
			echo "$which $c $b $m" >> "$tmp/ab"
			printf '| %s | %s | %.2f%% | %.2f%% | %.2f%% | %.1f MiB | %s MiB | %s |\n' "$r" "$which" \
				"$c" "$(awk -v b="$b" 'BEGIN { print b / 10 }')" \
				"$(awk -v c="$c" -v b="$b" 'BEGIN { print c + b / 10 }')" "$rss" "$m" "$up"
		done
	done
	awk '{ c[$1] += $2 + $3 / 10; m[$1] = m[$1] > $4 ? m[$1] : $4; n[$1]++ }
	     END { printf "\nagent + BPF, after / before: %.2f (%.2f%% / %.2f%%); peak RSS %s / %s MiB\n",
		   (c["after"] / n["after"]) / (c["before"] / n["before"]), c["after"] / n["after"],
		   c["before"] / n["before"], m["after"], m["before"] }' "$tmp/ab"
	exit 0
fi

echo "## profiler agent: cost on a busy machine"
echo
echo "$(nproc) CPU burners (burn31) running throughout, other work on the machine too; the agent"
echo "system-wide for $secs s. Agent CPU: its user + system time from /proc from 30 s to the end"
echo "(the steady state, start-up excluded). BPF: the kernel's run time of its programs (--stats)"
echo "per second of the run, as a share of one CPU. Goal at the defaults: agent + BPF <= 1% of one"
echo "CPU, RSS <= 64 MiB."
echo
echo "| rate | window | agent CPU | BPF | agent + BPF | RSS at the end | peak RSS | others' libc malloc/free uprobes |"
echo "|---|---|---|---|---|---|---|---|"
for cfg in 19:10 49:10 99:10 19:15; do
	f=${cfg%:*} w=${cfg#*:}
	read -r c b r m up < <(run "$f" "$w")
	printf '| %s Hz | %s s | %.2f%% | %.2f%% | %.2f%% | %.1f MiB | %s MiB | %s |\n' "$f" "$w" "$c" \
		"$(awk -v b="$b" 'BEGIN { print b / 10 }')" \
		"$(awk -v c="$c" -v b="$b" 'BEGIN { print c + b / 10 }')" "$r" "$m" "$up"
done
echo
echo "Their own published figures: the OpenTelemetry eBPF profiler gives \"1% CPU and 250MB memory\""
echo "as the upper limits of its testing (its README); the Parca agent samples at 19 Hz per CPU with"
echo "\"very low overhead\" and publishes no figure (its README)."
