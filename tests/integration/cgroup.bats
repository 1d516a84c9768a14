#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# --cgroup: only the tasks of a cgroup (v2) and the cgroups below it, from
# their first event, and every sample labelled with its cgroup's path in
# folded, pprof and the report.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	setup_common
	# cgroup v2: at /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host
	CGM=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$CGM" ] || { echo "no cgroup v2 hierarchy mounted" >&2; return 1; }
	CGN=profiler-bats-$$-$BATS_TEST_NUMBER
	# named as docker's systemd driver names a container's scope
	CID=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
	INNER=docker-$CID.scope
	mkdir -p "$CGM/$CGN/$INNER"
	PIDS=
}

teardown() {
	for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	# a cgroup goes once its last process is reaped
	for i in $(seq 50); do rmdir "$CGM/$CGN/$INNER" 2>/dev/null && break; sleep 0.1; done
	rmdir "$CGM/$CGN"
	teardown_common
}

# COMMAND [ARGS...] started in $CGN/$INNER; its pid in $! as for '&'
in_cgroup() {
	sh -c 'echo $$ > "$0/cgroup.procs"; exec "$@"' "$CGM/$CGN/$INNER" "$@" &
}

@test "cgroup: cpu profiles only the cgroup's processes, one started later from its first sample; labels in folded, svg, json, pprof and the report" {
	"$W/burn31" 600 2>/dev/null &
	outside=$!
	PIDS="$outside"
	in_cgroup "$W/burn31" 600 2>/dev/null
	inside=$!
	PIDS="$PIDS $inside"
	"$PROFILER" cpu -v -F 999 --cgroup "$CGN" -d 300 --group-by cgroup -o "$TMP/out.folded" \
		-o "$TMP/out.pb.gz" -o "$TMP/out.txt" -o "$TMP/out.svg" -o "$TMP/out.json" \
		2>"$TMP/err" &
	prof=$!
	wait_collecting "$TMP/err"
	# started in the cgroup (below the target) once the profile runs:
	# every one of its samples is there, HZ x its CPU seconds
	in_cgroup "$W/burn31" 1 2>"$TMP/late.err"
	late=$!
	wait "$late"
	wait_cpu "$inside" 0.3
	kill -INT "$prof"
	wait "$prof"
	cat "$TMP/err"

	# folded: each stack under the cgroup's path, which is only ever the
	# announced process's own, so the process outside left no sample
	total=$(folded_total "$TMP/out.folded")
	under=$(folded_sum "$TMP/out.folded" "^/$CGN/$INNER;(burn31|sh);")
	echo "samples: $total, under /$CGN/$INNER: $under"
	[ "$total" -gt 100 ]
	[ "$under" -eq "$total" ]

	# svg: one cgroup node under "all" holding every sample, the
	# processes above it
	grep -o "data-n=\"[^\"]*\" data-v=\"[0-9]*\" data-d=\"1\"" "$TMP/out.svg" > "$TMP/svg1"
	cat "$TMP/svg1"
	[ "$(wc -l < "$TMP/svg1")" -eq 1 ]
	grep -q "^data-n=\"/$CGN/$INNER\" data-v=\"$total\"" "$TMP/svg1"
	grep -Eq "data-n=\"(burn31|sh)\" data-v=\"[0-9]+\" data-d=\"2\"" "$TMP/out.svg"
	# JSON: the path and the container id on every stack
	python3 - "$TMP/out.json" "/$CGN/$INNER" "$CID" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
bad = [s for s in d["stacks"] if s.get("cgroup") != sys.argv[2] or s.get("container_id") != sys.argv[3]]
print(len(d["stacks"]), "stacks,", len(bad), "without the cgroup and container id")
sys.exit(1 if bad or not d["stacks"] else 0)
PY

	# pprof: the cgroup label on every sample, the outside pid on none
	run go tool pprof -tags "$TMP/out.pb.gz"
	echo "$output"
	[[ "$output" == *"(  100%): /$CGN/$INNER"* ]]
	[[ "$output" == *": $late"* ]]
	[[ "$output" == *": $inside"* ]]
	[[ "$output" != *": $outside"* ]]
	[[ "$output" == *"(  100%): $CID"* ]]	# container_id
	run go tool pprof -traces -symbolize=none -tagfocus="cgroup=^/$CGN/$INNER\$" "$TMP/out.pb.gz"
	[ "$(grep -c -- '-----------+' <<<"$output")" -gt 1 ]
	run go tool pprof -traces -symbolize=none -tagfocus="cgroup=^/elsewhere\$" "$TMP/out.pb.gz"
	[ "$(grep -c 'cgroup:' <<<"$output")" -eq 0 ]

	# the late process from its first sample: pprof read back, by pid
	"$PROFILER" report "$TMP/out.pb.gz" -f folded --group-by pid -o "$TMP/pid.folded"
	got=$(folded_sum "$TMP/pid.folded" "^burn31-$late;")
	cpu=$(sed -n 's/^cpu_seconds=//p' "$TMP/late.err")
	want=$(awk -v c="$cpu" 'BEGIN { printf "%d", c * 999 }')
	echo "late process: cpu_seconds=$cpu samples=$got expected=$want"
	count_ok "$got" "$want"
	# and a flame graph by pid has the same node, with the same count
	"$PROFILER" report "$TMP/out.pb.gz" -f svg --group-by pid -o "$TMP/pid.svg"
	grep -q "data-n=\"burn31-$late\" data-v=\"$got\" data-d=\"1\"" "$TMP/pid.svg"

	# the report: one cgroup, two processes (the late one and the one inside)
	grep -A3 '^Top cgroups' "$TMP/out.txt"
	row=$(grep -A2 '^Top cgroups' "$TMP/out.txt" | grep "  /$CGN/$INNER  (container ${CID:0:12})\$")
	[ "$(awk '{ gsub(",", "", $1); print $1, $4 }' <<<"$row")" = "$total 2" ]
	# saved profiles keep the label: pprof and folded read back
	"$PROFILER" report "$TMP/out.pb.gz" | grep -A2 '^Top cgroups' | grep -q " 2  /$CGN/$INNER  (container ${CID:0:12})\$"
	"$PROFILER" report "$TMP/out.folded" | grep -A2 '^Top cgroups' | grep -q "  /$CGN/$INNER  (container"
	# diff keeps them too: every stack of either side under the cgroup
	"$PROFILER" diff "$TMP/out.pb.gz" "$TMP/out.folded" -f folded --group-by cgroup -o "$TMP/diff.folded"
	head -3 "$TMP/diff.folded"
	[ "$(wc -l < "$TMP/diff.folded")" -gt 0 ]
	[ "$(grep -vc "^/$CGN/$INNER;" "$TMP/diff.folded")" -eq 0 ]
	[ "$(awk '{ b += $(NF - 1); n += $NF } END { print b, n }' "$TMP/diff.folded")" = "$total $total" ]
}

@test "cgroup: offcpu counts the waits of the cgroup's tasks (sched_switch's prev) only" {
	# two loops of short sleeps, one in the cgroup; their children inherit it
	sh -c 'while :; do sleep 0.02; done' &
	PIDS="$!"
	in_cgroup sh -c 'while :; do sleep 0.02; done'
	PIDS="$PIDS $!"
	run "$PROFILER" offcpu --cgroup "$CGM/$CGN" -d 2 --group-by cgroup -o "$TMP/off.folded"
	[ "$status" -eq 0 ]
	total=$(folded_total "$TMP/off.folded")
	sleeps=$(folded_sum "$TMP/off.folded" "^/$CGN/$INNER;sleep;.*nanosleep")
	echo "off-CPU ns: $total, sleep's nanosleep in the cgroup: $sleeps"
	# sleeps of 20 ms ended in the cgroup, however slowly a loaded
	# machine starts them
	[ "$sleeps" -ge 100000000 ]
	! grep -v "^/$CGN/$INNER;" "$TMP/off.folded" || false
}

@test "cgroup: threads blocked at the start are the cgroup's only, from the task iterator and from /proc" {
	# two sleepers blocked before the profile starts, one in the cgroup
	sleep 60 &
	outside=$!
	PIDS="$outside"
	in_cgroup sleep 60
	inside=$!
	PIDS="$PIDS $inside"
	sleep 0.3
	for how in iterator proc; do
		if [ "$how" = proc ]; then export PROFILER_BLOCKED_PROC=1; fi
		run --separate-stderr "$PROFILER" offcpu --cgroup "$CGN" -p "$outside,$inside" -d 1 \
			-o "$TMP/$how.txt"
		unset PROFILER_BLOCKED_PROC
		[ "$status" -eq 0 ]
		sed -n '/^Threads blocked when the profile began/,/^$/p' "$TMP/$how.txt"
		grep -Eq '^Threads blocked when the profile began.*: 1$' "$TMP/$how.txt"
		sed -n '/^Threads blocked when the profile began/,/^$/p' "$TMP/$how.txt" |
			grep -Eq "^ *$inside +sleep "
		! sed -n '/^Threads blocked when the profile began/,/^$/p' "$TMP/$how.txt" |
			grep -Eq "^ *$outside +sleep " || false
	done
}

@test "cgroup: record takes --cgroup, each collector filtered" {
	in_cgroup "$W/burn31" 600 2>/dev/null
	PIDS="$!"
	"$W/burn31" 600 2>/dev/null &
	PIDS="$PIDS $!"
	run "$PROFILER" record --what cpu,offcpu --cgroup "$CGN/$INNER" -d 1.5 -o "$TMP/rec"
	echo "$output"
	[ "$status" -eq 0 ]
	ls "$TMP/rec"
	grep -A2 '^Top cgroups' "$TMP/rec/report.txt" | grep -q "  /$CGN/$INNER  (container"
	run go tool pprof -tags "$TMP/rec/cpu.pb.gz"
	echo "$output"
	[[ "$output" == *"(  100%): /$CGN/$INNER"* ]]
}

@test "cgroup: a path that is no cgroup v2 directory is refused in one line" {
	run "$PROFILER" cpu --cgroup "$CGN/missing" -d 1
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"--cgroup '$CGN/missing': no such cgroup"* ]]
	run "$PROFILER" cpu --cgroup "$TMP" -d 1
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"$TMP is not a cgroup v2 directory"* ]]
	run "$PROFILER" offcpu --cgroup "$CGM/$CGN/cgroup.procs" -d 1
	[ "$status" -ne 0 ]
	[[ "$output" == *"is not a cgroup v2 directory"* ]]
	run "$PROFILER" cpu --cgroup "" -d 1
	[ "$status" -ne 0 ]
	[[ "$output" == *"--cgroup needs a path"* ]]
	run "$PROFILER" cpu --group-by tid -d 1
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid --group-by 'tid': choose cgroup, comm or pid"* ]]
}

@test "cgroup: a host without cgroup v2 (v1 only) is told so in one line" {
	# a mount namespace of our own without the v2 hierarchy, with a v1 one
	mkdir "$TMP/v1"
	run unshare -m sh -c '
		for m in $(awk "\$3 == \"cgroup2\" { print \$2 }" /proc/mounts | sort -r); do
			umount -l "$m" || exit 1
		done
		mount -t cgroup -o none,name=profiler-bats cgroup "$1" && echo "v1 mounted"
		exec "$2" cpu --cgroup system.slice -d 1' sh "$TMP/v1" "$PROFILER"
	echo "$output"
	[ "$status" -ne 0 ]
	if [[ "$output" == "v1 mounted"* ]]; then
		[ "${#lines[@]}" -eq 2 ]
		[[ "${lines[1]}" == *"this host has cgroup v1 hierarchies only; profiler needs cgroup v2"* ]]
	else
		[[ "${lines[-1]}" == *"no cgroup v2 hierarchy is mounted"* ]]
	fi
}
