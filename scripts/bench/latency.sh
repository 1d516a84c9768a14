#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Cost per call of a timed function: a hot one (fast() in
# tests/workloads/latency.c, ~2 ns bare) called N times, bare, under
# profiler latency (--by caller, the default; --by pid; --by stack), under
# bpftrace's uprobe + uretprobe histogram, under bcc's funclatency, and
# under two empty probes (the traps alone), in one run.
# Usage: scripts/bench/latency.sh [BUILD] [CALLS] [ROUNDS]
set -euo pipefail

BUILD=${1:-build}
N=${2:-200000}
ROUNDS=${3:-3}
W=$BUILD/workloads/latency
FUNCLATENCY=${FUNCLATENCY:-/usr/sbin/funclatency-bpfcc}
make --no-print-directory "$BUILD/profiler" "$W" >/dev/null
WABS=$(readlink -f "$W")
here=$(dirname "$0")
# shellcheck source=scripts/bench/lib.bash
. "$here/lib.bash"

cat > "$tmp/hist.bt" <<BT
uprobe:$WABS:fast /pid == cpid/ { @start[tid] = nsecs; }
uretprobe:$WABS:fast /pid == cpid && @start[tid]/ {
	@ns = hist(nsecs - @start[tid]);
	delete(@start[tid]);
}
END { clear(@start); }
BT
cat > "$tmp/floor.bt" <<BT
uprobe:$WABS:fast /pid == cpid/ { }
uretprobe:$WABS:fast /pid == cpid/ { }
BT

# bcc compiles against kernel headers: the running kernel's, else the
# newest Debian linux-headers (uprobe programs need little more than
# pt_regs), its -common and -amd64 halves joined in one tree of links
bcc_env=()
if [ ! -d "/lib/modules/$(uname -r)/build" ] && [ ! -e /sys/kernel/kheaders.tar.xz ]; then
	hdr=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -1 || true)
	if [ -n "$hdr" ] && [ -d "${hdr%-amd64}-common" ]; then
		mkdir -p "$tmp/kh"
		cp -rs "${hdr%-amd64}-common/." "$tmp/kh/" 2>/dev/null || true
		cp -rsf "$hdr/." "$tmp/kh/" 2>/dev/null || true
		bcc_env=(BCC_KERNEL_SOURCE="$tmp/kh")
	fi
fi

per_call() { sed -n 's/^ns_per_call=//p' "$1" | tail -1; }
run_bare() { "$W" bench "$N" 2>"$tmp/o"; per_call "$tmp/o"; }
run_ours() {
	"$BUILD/profiler" latency -q fast "$@" -o /dev/null -f folded -- "$W" bench "$N" 2>"$tmp/o"
	per_call "$tmp/o"
}
run_bt() { bpftrace -c "$W bench $N" "$tmp/$1.bt" >/dev/null 2>"$tmp/o"; per_call "$tmp/o"; }
# funclatency attaches to a running pid: the workload waits for a line
# on a fifo until funclatency says it is tracing
run_bcc() {
	local fifo=$tmp/go wpid fpid i
	[ -x "$FUNCLATENCY" ] || return 0
	rm -f "$fifo"
	mkfifo "$fifo"
	"$W" bench "$N" wait < "$fifo" 2>"$tmp/o" &
	wpid=$!
	exec 3>"$fifo"
	env PYTHONUNBUFFERED=1 ${bcc_env[@]+"${bcc_env[@]}"} "$FUNCLATENCY" -p "$wpid" "$WABS:fast" >"$tmp/bcc" 2>&1 &
	fpid=$!
	for i in $(seq 600); do
		grep -q '^Tracing' "$tmp/bcc" && break
		kill -0 "$fpid" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q '^Tracing' "$tmp/bcc"; then
		echo "funclatency did not start: $(tail -1 "$tmp/bcc")" >&2
		exec 3>&-
		kill "$wpid" "$fpid" 2>/dev/null || true
		wait "$wpid" "$fpid" 2>/dev/null || true
		return 0
	fi
	echo go >&3
	exec 3>&-
	wait "$wpid" || true
	# SIGINT is ignored by a background job of a script: TERM (its output is not needed)
	kill "$fpid" 2>/dev/null || true
	wait "$fpid" 2>/dev/null || true
	per_call "$tmp/o"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A res
NAMES="bare floor ours ours_pid ours_stack bpftrace funclatency"
for name in $NAMES; do
	: > "$tmp/$name"
done
for r in $(seq "$ROUNDS"); do
	run_bare >> "$tmp/bare"
	run_ours >> "$tmp/ours"
	run_ours --by pid >> "$tmp/ours_pid"
	run_ours --by stack >> "$tmp/ours_stack"
	if command -v bpftrace >/dev/null; then
		run_bt floor >> "$tmp/floor"
		run_bt hist >> "$tmp/bpftrace"
	fi
	run_bcc >> "$tmp/funclatency"
done
for name in $NAMES; do
	res[$name]=$(median < "$tmp/$name")
done
us() { awk -v n="$1" 'BEGIN { if (n == "") print "n/a"; else printf "%.2f", n / 1000 }'; }
echo "## latency"
echo
echo "Cost per call of a timed function (a ~2 ns function called $N times, median of"
echo "$ROUNDS rounds, $(nproc) CPUs, $(uname -r)); \"added\" is the bare run's time per"
echo "call subtracted, \"x floor\" the added cost over two empty probes' (scripts/bench/latency.sh)."
echo
echo '```'
printf "%-46s %10s %10s %8s\n" "run" "us/call" "added us" "x floor"
printf "%-46s %10s %10s %8s\n" "bare" "$(us "${res[bare]}")" "-" "-"
floor_add=$(awk -v a="${res[floor]}" -v b="${res[bare]}" 'BEGIN { if (a == "") print ""; else print a - b }')
for name in floor ours ours_pid ours_stack bpftrace funclatency; do
	case $name in
	floor) label="uprobe+uretprobe doing nothing (the traps)" ;;
	ours) label="profiler latency (--by caller)" ;;
	ours_pid) label="profiler latency --by pid" ;;
	ours_stack) label="profiler latency --by stack" ;;
	bpftrace) label="bpftrace uprobe+uretprobe hist()" ;;
	funclatency) label="bcc funclatency" ;;
	esac
	add=$(awk -v a="${res[$name]}" -v b="${res[bare]}" 'BEGIN { if (a == "") print "n/a"; else printf "%.2f", (a - b) / 1000 }')
	x=$(awk -v a="${res[$name]}" -v b="${res[bare]}" -v f="$floor_add" \
		'BEGIN { if (a == "" || f == "" || f <= 0) print "n/a"; else printf "%.2f", (a - b) / f }')
	printf "%-46s %10s %10s %8s\n" "$label" "$(us "${res[$name]}")" "$add" "$x"
done
echo '```'
# what our programs themselves cost, as the kernel times them (--stats)
"$BUILD/profiler" latency fast --stats -o /dev/null -- "$W" bench "$N" 2>"$tmp/stats" || true
enter=$(sed -n 's/^ *BPF lat_enter .*runs, \([0-9.]*\) us each.*/\1/p' "$tmp/stats")
ret=$(sed -n 's/^ *BPF lat_return .*runs, \([0-9.]*\) us each.*/\1/p' "$tmp/stats")
echo
echo "profiler latency's own BPF programs, as the kernel times them (--stats): ${enter:-?} us at entry,"
echo "${ret:-?} us at return per call; the rest of the added cost is the two traps."
