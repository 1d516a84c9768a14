#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make soak: a long system-wide profile of a machine under churn, to show
# that memory stays flat, that the profiler's CPU is bounded, what it
# loses, and (under the ASan/UBSan build) that nothing it does over many
# thousands of processes is a memory error.  Not part of make test: it
# takes SOAK_SECONDS (default 600) per variant.
#
#   scripts/soak.sh BUILD            plain build, then the ASan build
#   SOAK_VARIANTS=plain SOAK_SECONDS=60 scripts/soak.sh build
#
# The load: tests/workloads/churn starts SOAK_RATE (default 100) processes a
# second, each burning 3 ms and exiting, a thread every tenth start and a
# dlopen/use/dlclose of libspin.so with it.  The profile: profiler cpu -a
# -F 999 for the whole time.  Its RSS is read from /proc every 5 s.  The
# figures go to standard output as markdown and, with SOAK_DOC=FILE, into
# FILE between the markers <!-- soak --> and <!-- /soak --> (make bench
# keeps that part of docs/performance.md as it is).
set -euo pipefail
name=soak
source "$(dirname "$0")/soak-args.bash"
variants=${SOAK_VARIANTS:-plain asan}

tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT

rss_kib() {	# PID FIELD
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

mib() {
	awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'
}

# One variant: prints a markdown table row.
soak_one() {	# NAME PROFILER
	local name=$1 prof=$2 out=$tmp/$1 ppid cpid t=0 rss1=0 rss_end=0 first rc after
	mkdir -p "$out"
	"$build/workloads/churn" "$rate" $((secs + 10)) "$build/workloads/libspin.so" \
		> "$out/churn.out" 2>&1 &
	cpid=$!
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		"$prof" cpu -a -F 999 -d "$secs" --stats -o "$out/soak.pb.gz" -o "$out/soak.folded" \
		2> "$out/stderr" &
	ppid=$!
	first=$(date +%s)
	: > "$out/rss"
	while kill -0 "$ppid" 2>/dev/null; do
		sleep 5
		t=$(($(date +%s) - first))
		r=$(rss_kib "$ppid" VmRSS)
		[ -n "$r" ] || continue
		echo "$t $r" >> "$out/rss"
		[ "$t" -le 62 ] && rss1=$r
		# the window ends at $secs; what comes after is symbolizing and writing
		[ "$t" -le "$secs" ] && rss_end=$r
	done
	after=$(($(date +%s) - first - secs))
	rc=0
	wait "$ppid" || rc=$?
	kill "$cpid" 2>/dev/null || true
	wait "$cpid" 2>/dev/null || true

	local started samples cpu peak lost named total unnamed errors
	started=$(grep -o 'started [0-9]*' "$out/churn.out" | awk '{ print $2 }')
	[ -n "$started" ] || started="(killed: about $((rate * secs)) planned)"
	samples=$(sed -n 's/.*: \([0-9,]*\) samples.*/\1/p' "$out/stderr" | tail -1)
	cpu=$(sed -n 's/.*profiler: \([0-9.]*\) s CPU.*/\1/p' "$out/stderr" | tail -1)
	peak=$(sed -n 's/.*peak RSS \([0-9.]* MiB\).*/\1/p' "$out/stderr" | tail -1)
	lost=$(grep -iE 'lost|did not fit|dropped|full' "$out/stderr" | grep -v '^  map ' | tr '\n' ' ' | cut -c1-300)
	total=$(awk '{ s += $NF } END { print s + 0 }' "$out/soak.folded" 2>/dev/null || echo 0)
	unnamed=$(awk '/\[pid [0-9]+ exited\]|\[unknown\]|\[unmapped\]/ { s += $NF } END { print s + 0 }' "$out/soak.folded" 2>/dev/null || echo 0)
	errors=$(grep -cE 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' "$out/stderr" || true)
	if [ ! -s "$out/soak.pb.gz" ] || ! "$build/profiler" report "$out/soak.pb.gz" > /dev/null 2>&1; then
		errors="$errors, unreadable pprof output"
	fi
	echo "soak: $name: exit $rc; RSS by time (s KiB): $(tr '\n' ' ' < "$out/rss")" >&2
	[ "$errors" = 0 ] || sed -n '/ERROR\|runtime error/,+12p' "$out/stderr" >&2
	printf '| %s | %s | %s | %s | %s | %s | %s | %s s | %s s | %s | %s | %s |\n' \
		"$name" "$secs s" "$started" "${samples:-?}" "$(mib "$rss1")" "$(mib "$rss_end")" \
		"${peak:-?}" "$after" "${cpu:-?}" "$(awk -v u="$unnamed" -v t="$total" 'BEGIN { if (t) printf "%.1f%%", 100 * u / t; else print "-" }')" \
		"${lost:-none}" "exit $rc, $errors sanitizer errors"
	[ "$rc" = 0 ] && [ "$errors" = 0 ]
}

make --no-print-directory -s all "$build/workloads/churn" "$build/workloads/libspin.so" >&2
[[ " $variants " == *" asan "* ]] && make --no-print-directory -s "$build/asan/profiler" >&2

section=$tmp/section.md
status=0
{
	echo "## Soak (make soak)"
	echo
	echo "\`profiler cpu -a -F 999 -d $secs\` while \`churn $rate\` starts $rate processes a second"
	echo "(3 ms of CPU each, a thread and a dlopen/dlclose every tenth); $(date -u '+%Y-%m-%d %H:%M UTC'),"
	echo "kernel $(uname -r), $(nproc) CPUs. RSS read from /proc every 5 s; \"unnamed\" is the share of"
	echo "samples with a frame named only by its address (exited process, no mapping). \"written after\" is"
	echo "the time from the window's end to the profile written (symbolization and output), on a machine"
	echo "that was also running the load; peak RSS is the whole run's, writing included."
	echo
	echo "| build | window | processes started | samples | RSS at 1 min | RSS at the window's end | peak RSS | written after | profiler CPU | unnamed | losses | result |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
} > "$section"
for v in $variants; do
	case $v in
	plain) p=$build/profiler ;;
	asan) p=$build/asan/profiler ;;
	*) echo "soak: unknown variant '$v' in SOAK_VARIANTS (plain, asan)" >&2; exit 1 ;;
	esac
	echo "soak: $v, $secs s" >&2
	soak_one "$v" "$p" >> "$section" || status=1
done
echo >> "$section"
cat "$section"

if [ -n "$doc" ]; then
	[ -f "$doc" ] || : > "$doc"
	if grep -q '^<!-- soak -->$' "$doc"; then
		awk -v f="$section" '
			/^<!-- soak -->$/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
			/^<!-- \/soak -->$/ { skip = 0 }
			!skip' "$doc" > "$tmp/doc"
	else
		{ cat "$doc"; echo; echo '<!-- soak -->'; cat "$section"; echo '<!-- /soak -->'; } > "$tmp/doc"
	fi
	cp "$tmp/doc" "$doc"
	echo "soak: wrote $doc" >&2
fi
exit $status
