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
# With BASE=/path/to/an/older/profiler, that build's agent runs at the
# same time under the same churn and clients, a row each (a same-run
# comparison).  With SOAK_TRACE=DIR, each agent's RSS is read every
# half second into DIR/NAME/rss ("seconds VmHWM VmRSS RssAnon RssFile threads",
# KiB, /proc's order) and its /proc/PID/smaps copied whenever VmRSS
# passes its largest value so far by 1 MiB (DIR/NAME/smaps.SECONDS.KIB):
# where the peak is, and when.  BUILD may be a copy of the build
# directory (cp -a build /tmp/b1): the worktree can then be rebuilt while
# the soak runs.
#
#   scripts/soak-agent.sh BUILD
#   SOAK_SECONDS=120 scripts/soak-agent.sh build
#   BASE=/work/bench0/profiler-135b362 SOAK_SECONDS=300 scripts/soak-agent.sh build
set -euo pipefail
name=soak-agent
source "$(dirname "$0")/soak-args.bash"

tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
make --no-print-directory -s BUILD="$build" all "$build/workloads/churn" "$build/workloads/libspin.so" >&2

names=(this)
bins=("$build/profiler")
if [ -n "${BASE:-}" ]; then
	[ -x "$BASE" ] || { echo "$name: BASE '$BASE' is not an executable profiler" >&2; exit 1; }
	names=(base this)
	bins=("$BASE" "$build/profiler")
fi
trace=${SOAK_TRACE:-}

metric() {	# FILE NAME
	awk -v n="$2" '$1 == n { print $2 }' "$1"
}

# Every second: the agent's RSS figures; its smaps at each new peak.
tracer() {	# PID DIR
	local pid=$1 dir=$2 t0 t st rss max=0
	mkdir -p "$dir"
	t0=$(date +%s%N)
	while kill -0 "$pid" 2>/dev/null; do
		st=$(awk '/^(VmRSS|VmHWM|RssAnon|RssFile|Threads):/ { printf " %s", $2 }' \
			"/proc/$pid/status" 2>/dev/null) || break
		t=$((($(date +%s%N) - t0) / 1000000000))
		echo "$t$st" >> "$dir/rss"
		rss=$(echo "$st" | awk '{ print $2 }')
		if [ -n "$rss" ] && [ "$rss" -gt $((max + 1024)) ]; then
			max=$rss
			cat "/proc/$pid/smaps" > "$dir/smaps.$t.$rss" 2>/dev/null || true
		fi
		sleep 0.5
	done
}

"$build/workloads/churn" "$rate" $((secs + 10)) "$build/workloads/libspin.so" > "$tmp/churn.out" 2>&1 &
cpid=$!
declare -a apid url rss1 rss_end clients client_fail
for k in "${!names[@]}"; do
	mkdir -p "$tmp/${names[k]}"
	"${bins[k]}" agent --listen 127.0.0.1:0 --dir "$tmp/${names[k]}/dir" --keep 20 -d "$secs" \
		2> "$tmp/${names[k]}/stderr" &
	apid[k]=$!
	rss1[k]=0 rss_end[k]=0 clients[k]=0 client_fail[k]=0
	[ -z "$trace" ] || tracer "${apid[k]}" "$trace/${names[k]}" &
done
for k in "${!names[@]}"; do
	for i in $(seq 100); do
		port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/${names[k]}/stderr")
		[ -n "$port" ] && break
		sleep 0.1
	done
	url[k]=http://127.0.0.1:$port
done
first=$(date +%s)
t=0
alive() {
	for k in "${!names[@]}"; do
		kill -0 "${apid[k]}" 2>/dev/null && return 0
	done
	return 1
}
while alive; do
	sleep 5
	t=$(($(date +%s) - first))
	for k in "${!names[@]}"; do
		d=$tmp/${names[k]}
		r=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/${apid[k]}/status" 2>/dev/null || true)
		[ -n "$r" ] || continue
		echo "$t $r" >> "$d/rss"
		[ "$t" -le 62 ] && rss1[k]=$r
		rss_end[k]=$r
		curl -s "${url[k]}/metrics" > "$d/metrics.new" && mv "$d/metrics.new" "$d/metrics"
		if [ $((t % 30)) -lt 5 ] && [ "$t" -lt $((secs - 10)) ]; then
			clients[k]=$((clients[k] + 1))
			{ curl -sf -o /dev/null "${url[k]}/debug/pprof/profile?seconds=5" &&
				curl -sf -o /dev/null "${url[k]}/"; } ||
				client_fail[k]=$((client_fail[k] + 1))
		fi
	done
done
rc=0
declare -a arc
for k in "${!names[@]}"; do
	arc[k]=0
	wait "${apid[k]}" || arc[k]=$?
	[ "${arc[k]}" = 0 ] || rc=${arc[k]}
done
kill "$cpid" 2>/dev/null || true
wait "$cpid" 2>/dev/null || true

started=$({ grep -o 'started [0-9]*' "$tmp/churn.out" || true; } | awk '{ print $2 }')
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
for k in "${!names[@]}"; do
	echo "soak-agent: ${names[k]} (${bins[k]}): exit ${arc[k]}; RSS by time (s KiB):" \
		"$(tr '\n' ' ' < "$tmp/${names[k]}/rss")" >&2
done

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
	echo "| run | processes started | RSS at 1 min | RSS at the end | peak RSS | agent CPU | windows | renewals | files kept | HTTP clients (failed) | losses | result |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
	for k in "${!names[@]}"; do
		m=$tmp/${names[k]}/metrics
		[ -f "$m" ] || : > "$m"
		cpu=$(metric "$m" process_cpu_seconds_total)
		peak=$(metric "$m" process_max_resident_memory_bytes)
		windows=$(metric "$m" profiler_agent_windows_total)
		renewals=$(metric "$m" profiler_agent_renewals_total)
		files=$(ls "$tmp/${names[k]}/dir" 2> /dev/null | wc -l)
		# none on a quiet run: grep's status must not end the script (set -e)
		losses=$({ grep '^profiler_agent_losses_total' "$m" || true; } |
			sed 's/profiler_agent_losses_total//' | tr '\n' ' ' | cut -c1-400)
		run="$secs s"
		[ -z "${BASE:-}" ] || run="$secs s, ${names[k]}"
		printf '| %s | %s | %s | %s | %s | %.2f s (%.2f%% of a CPU) | %s | %s | %s | %s (%s) | %s | exit %s |\n' \
			"$run" "${started:-?}" "$(mib "${rss1[k]}")" "$(mib "${rss_end[k]}")" \
			"$(awk -v b="${peak:-0}" 'BEGIN { printf "%.1f MiB", b / 1048576 }')" "${cpu:-0}" \
			"$(awk -v c="${cpu:-0}" -v s="$secs" 'BEGIN { print 100 * c / s }')" "${windows:-?}" \
			"${renewals:-?}" "$files" "${clients[k]}" "${client_fail[k]}" "${losses:-none}" "${arc[k]}"
	done
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
