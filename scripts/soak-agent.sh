#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make soak-agent: profiler agent with its defaults (system-wide, cpu at
# 19 Hz, 10 s windows) for SOAK_SECONDS (default 600) while
# tests/workloads/churn starts SOAK_RATE (default 100) processes a second
# -- about six times a busy server's rate, so ten minutes stand for an
# hour of process churn -- with --dir and --keep, and a client that asks
# for /debug/pprof/profile?seconds=5 and the page every 30 s.  Its RSS is
# read from /proc every 5 s: at 1 minute and at the end must match (flat
# memory).  Not part of make test.  The figures go to standard output as
# markdown and, with SOAK_DOC=FILE, into FILE between the markers
# <!-- soak-agent --> and <!-- /soak-agent -->.
#
#   scripts/soak-agent.sh BUILD
#   SOAK_SECONDS=120 scripts/soak-agent.sh build
set -euo pipefail
name=soak-agent
source "$(dirname "$0")/soak-args.bash"

tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
make --no-print-directory -s all "$build/workloads/churn" "$build/workloads/libspin.so" >&2

metric() {	# FILE NAME
	awk -v n="$2" '$1 == n { print $2 }' "$1"
}

"$build/workloads/churn" "$rate" $((secs + 10)) "$build/workloads/libspin.so" > "$tmp/churn.out" 2>&1 &
cpid=$!
"$build/profiler" agent --listen 127.0.0.1:0 --dir "$tmp/dir" --keep 20 -d "$secs" \
	2> "$tmp/stderr" &
apid=$!
for i in $(seq 100); do
	port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/stderr")
	[ -n "$port" ] && break
	sleep 0.1
done
url=http://127.0.0.1:$port
first=$(date +%s)
rss1=0 rss_end=0 t=0 clients=0 client_fail=0
: > "$tmp/rss"
while kill -0 "$apid" 2>/dev/null; do
	sleep 5
	t=$(($(date +%s) - first))
	r=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$apid/status" 2>/dev/null || true)
	[ -n "$r" ] || continue
	echo "$t $r" >> "$tmp/rss"
	[ "$t" -le 62 ] && rss1=$r
	rss_end=$r
	curl -s "$url/metrics" > "$tmp/metrics.new" && mv "$tmp/metrics.new" "$tmp/metrics"
	if [ $((t % 30)) -lt 5 ] && [ "$t" -lt $((secs - 10)) ]; then
		clients=$((clients + 1))
		{ curl -sf -o /dev/null "$url/debug/pprof/profile?seconds=5" &&
			curl -sf -o /dev/null "$url/"; } || client_fail=$((client_fail + 1))
	fi
done
rc=0
wait "$apid" || rc=$?
kill "$cpid" 2>/dev/null || true
wait "$cpid" 2>/dev/null || true

started=$(grep -o 'started [0-9]*' "$tmp/churn.out" | awk '{ print $2 }')
cpu=$(metric "$tmp/metrics" process_cpu_seconds_total)
peak=$(metric "$tmp/metrics" process_max_resident_memory_bytes)
windows=$(metric "$tmp/metrics" profiler_agent_windows_total)
files=$(ls "$tmp/dir" | wc -l)
losses=$(grep '^profiler_agent_losses_total' "$tmp/metrics" | sed 's/profiler_agent_losses_total//' | tr '\n' ' ' | cut -c1-400)
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
echo "soak-agent: exit $rc; RSS by time (s KiB): $(tr '\n' ' ' < "$tmp/rss")" >&2

section=$tmp/section.md
{
	echo "## Agent soak (make soak-agent)"
	echo
	echo "\`profiler agent --dir DIR --keep 20 -d $secs\` (its defaults: system-wide, cpu at 19 Hz, 10 s"
	echo "windows) while \`churn $rate\` starts $rate processes a second; a client asks for"
	echo "\`/debug/pprof/profile?seconds=5\` and the page every 30 s. $(date -u '+%Y-%m-%d %H:%M UTC'),"
	echo "kernel $(uname -r), $(nproc) CPUs, other work running. RSS from /proc every 5 s; CPU and peak from"
	echo "the agent's /metrics just before the end."
	echo
	echo "| run | processes started | RSS at 1 min | RSS at the end | peak RSS | agent CPU | windows | files kept | HTTP clients (failed) | losses | result |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	printf '| %s s | %s | %s | %s | %s | %.2f s (%.2f%% of a CPU) | %s | %s | %s (%s) | %s | exit %s |\n' \
		"$secs" "${started:-?}" "$(mib "$rss1")" "$(mib "$rss_end")" \
		"$(awk -v b="${peak:-0}" 'BEGIN { printf "%.1f MiB", b / 1048576 }')" "${cpu:-0}" \
		"$(awk -v c="${cpu:-0}" -v s="$secs" 'BEGIN { print 100 * c / s }')" "${windows:-?}" \
		"$files" "$clients" "$client_fail" "${losses:-none}" "$rc"
	echo
} > "$section"
cat "$section"
if [ -n "$doc" ]; then
	[ -f "$doc" ] || : > "$doc"
	if grep -q '^<!-- soak-agent -->$' "$doc"; then
		awk -v f="$section" '
			/^<!-- soak-agent -->$/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
			/^<!-- \/soak-agent -->$/ { skip = 0 }
			!skip' "$doc" > "$tmp/doc"
	else
		{ cat "$doc"; echo; echo '<!-- soak-agent -->'; cat "$section"; echo '<!-- /soak-agent -->'; } > "$tmp/doc"
	fi
	cp "$tmp/doc" "$doc"
	echo "soak-agent: wrote $doc" >&2
fi
[ "$rc" = 0 ]
