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
#   BASE=/path/to/old/profiler SOAK_VARIANTS=plain scripts/soak.sh build
#                                    the plain build and BASE at once, on
#                                    one churn: a same-run ratio on a
#                                    machine whose load swings
#   SOAK_KEEP=DIR                    keep each profiler's output and stderr in DIR/NAME
#
# The load: tests/workloads/churn starts SOAK_RATE (default 100) processes a
# second, each burning 3 ms and exiting, a thread every tenth start and a
# dlopen/use/dlclose of libspin.so with it.  The profile: profiler cpu -a
# -F 999 for the whole time.  Its RSS is read from /proc every 2 s.  The
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

# Start profiler NAME on the churn that runs.
soak_start() {	# NAME PROFILER
	local out=$tmp/$1
	mkdir -p "$out"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		"$2" cpu -a -F 999 -d "$secs" --stats -o "$out/soak.pb.gz" -o "$out/soak.folded" \
		2> "$out/stderr" &
	echo $! > "$out/pid"
	: > "$out/rss"
	echo 0 > "$out/rss1"
	echo 0 > "$out/rss_end"
}

# Read the RSS of each started profiler every 2 s (5 s missed the peaks) until all have ended.
soak_watch() {	# NAME...
	local first t n pid r alive=1
	first=$(date +%s)
	while [ "$alive" = 1 ]; do
		sleep 2
		t=$(($(date +%s) - first))
		alive=0
		for n in "$@"; do
			pid=$(cat "$tmp/$n/pid")
			if ! kill -0 "$pid" 2>/dev/null; then
				[ -f "$tmp/$n/after" ] || echo $((t - secs)) > "$tmp/$n/after"
				continue
			fi
			alive=1
			r=$(rss_kib "$pid" VmRSS)
			[ -n "$r" ] || continue
			echo "$t $r" >> "$tmp/$n/rss"
			[ "$t" -le 62 ] && echo "$r" > "$tmp/$n/rss1"
			# the window ends at $secs; what comes after is symbolizing and writing
			[ "$t" -le "$secs" ] && echo "$r" > "$tmp/$n/rss_end"
		done
	done
}

# One profiler's markdown table row, once it has ended.
soak_row() {	# NAME
	local name=$1 out=$tmp/$1 rc=0 rss1 rss_end after
	local started samples stacks cpu peak lost total unnamed errors
	wait "$(cat "$out/pid")" || rc=$?
	rss1=$(cat "$out/rss1")
	rss_end=$(cat "$out/rss_end")
	after=$(cat "$out/after" 2>/dev/null || echo "?")
	started=$(grep -o 'started [0-9]*' "$tmp/churn.out" | awk '{ print $2 }')
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
	# what the kernel's maps still held at the end, entries of 4 KiB
	# (stacks: 8 KiB slab objects) and 2 KiB (unw_procs)
	kmaps="stacks $(sed -n 's/^  map stacks  *\([0-9,]*\) of.*/\1/p' "$out/stderr" | tail -1), unw_procs $(sed -n 's/^  map unw_procs  *\([0-9,]*\) of.*/\1/p' "$out/stderr" | tail -1)"
	# the profile's size: peaks of two builds compare per stack kept
	stacks=$(sed -n 's/.* samples, \([0-9,]*\) stacks.*/\1/p' "$out/stderr" | tail -1)
	echo "soak: $name: exit $rc; ${stacks:-?} stacks; RSS by time (s KiB): $(tr '\n' ' ' < "$out/rss")" >&2
	[ -z "${SOAK_KEEP:-}" ] || { mkdir -p "$SOAK_KEEP/$name" && cp -r "$out/." "$SOAK_KEEP/$name/"; }
	[ "$errors" = 0 ] || sed -n '/ERROR\|runtime error/,+12p' "$out/stderr" >&2
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s s | %s s | %s | %s | %s |\n' \
		"$name" "$secs s" "$started" "${samples:-?}" "$(mib "$rss1")" "$(mib "$rss_end")" \
		"${peak:-?}" "$kmaps" "$after" "${cpu:-?}" "$(awk -v u="$unnamed" -v t="$total" 'BEGIN { if (t) printf "%.1f%%", 100 * u / t; else print "-" }')" \
		"${lost:-none}" "exit $rc, $errors sanitizer errors"
	[ "$rc" = 0 ] && [ "$errors" = 0 ]
}

# Profilers NAME=PATH... at once on one churn: a row each.
soak_group() {	# NAME=PROFILER...
	local cpid v names=() status=0
	"$build/workloads/churn" "$rate" $((secs + 10)) "$build/workloads/libspin.so" \
		> "$tmp/churn.out" 2>&1 &
	cpid=$!
	for v in "$@"; do
		soak_start "${v%%=*}" "${v#*=}"
		names+=("${v%%=*}")
	done
	soak_watch "${names[@]}"
	for v in "${names[@]}"; do
		soak_row "$v" || status=1
	done
	kill "$cpid" 2>/dev/null || true
	wait "$cpid" 2>/dev/null || true
	return $status
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
	echo "kernel $(uname -r), $(nproc) CPUs. RSS read from /proc every 2 s; \"unnamed\" is the share of"
	echo "samples with a frame named only by its address (exited process, no mapping). \"written after\" is"
	echo "the time from the window's end to the profile written (symbolization and output), on a machine"
	echo "that was also running the load; peak RSS is the whole run's, writing included. \"kernel maps\" is"
	echo "what the stacks map (4 KiB values, 8 KiB slab objects) and unw_procs (2 KiB) held at the end:"
	echo "the kernel's memory, which RSS does not show."
	echo
	[ -z "${BASE:-}" ] || echo "\"base\" is $BASE, run at once with plain on the same churn."
	[ -z "${BASE:-}" ] || echo
	echo "| build | window | processes started | samples | RSS at 1 min | RSS at the window's end | peak RSS | kernel maps (entries) | written after | profiler CPU | unnamed | losses | result |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} > "$section"
for v in $variants; do
	case $v in
	plain) p=$build/profiler ;;
	asan) p=$build/asan/profiler ;;
	*) echo "soak: unknown variant '$v' in SOAK_VARIANTS (plain, asan)" >&2; exit 1 ;;
	esac
	echo "soak: $v, $secs s${BASE:+, beside $BASE}" >&2
	if [ "$v" = plain ] && [ -n "${BASE:-}" ]; then
		soak_group "plain=$p" "base=$BASE" >> "$section" || status=1
	else
		soak_group "$v=$p" >> "$section" || status=1
	fi
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
