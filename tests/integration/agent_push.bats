#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# profiler agent --pyroscope: one push per window and profile type to a
# receiver that checks each the way Grafana Pyroscope's POST /ingest reads
# it (tests/helpers/pyroscope_receiver.py: query parameters, and the body
# parsed by `go tool pprof -raw`).

load helpers

RECEIVER=tests/helpers/pyroscope_receiver.py

setup() {
	setup_common
	RXPID=
}

teardown() {
	[ -n "$RXPID" ] && kill "$RXPID" 2>/dev/null && wait "$RXPID" 2>/dev/null
	RXPID=
	teardown_common
}

# Start the receiver (extra arguments go to it); PORT, URL, OUT.
receiver_start() {
	OUT=$TMP/pushes.jsonl
	python3 "$RECEIVER" --port-file "$TMP/port" --out "$OUT" "$@" &
	RXPID=$!
	for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.1; done
	PORT=$(cat "$TMP/port")
	[ -n "$PORT" ]
	URL=http://127.0.0.1:$PORT
}

# A python3 expression over the received records R (a list of dicts), printed.
pushes() {
	python3 -c 'import json, sys
R = [json.loads(l) for l in open(sys.argv[1])]
cpu = [r for r in R if r.get("ok") and "cpu/nanoseconds" in r.get("sampleTypes", [])]
print(eval(sys.argv[2]))' "$OUT" "$1"
}

@test "receiver: takes a valid pprof push and refuses one without hostname or spyName" {
	receiver_start
	"$PROFILER" cpu -q -d 1 -o "$TMP/cpu.pb.gz" -- "$W/burn31" 1
	now=$(date +%s)
	run curl -s -o /dev/null -w '%{http_code}' --data-binary @"$TMP/cpu.pb.gz" \
		"$URL/ingest?name=app%7Bhostname%3Dh%7D&from=$now&until=$now&format=pprof&spyName=ebpfspy"
	[ "$output" = 200 ]
	run curl -s -o /dev/null -w '%{http_code}' --data-binary @"$TMP/cpu.pb.gz" \
		"$URL/ingest?name=app%7Benv%3Dh%7D&from=$now&until=$now&format=pprof"
	[ "$output" = 400 ]
	[ "$(pushes 'len(cpu)')" = 1 ]
	[ "$(pushes 'cpu[0]["functions"].get("spin_three", 0) > 0')" = True ]
	[ "$(pushes 'sorted(R[1]["errors"])')" = "['name has no hostname label', 'query parameter spyName missing']" ]
}

# Needs `profiler agent` (branch agent): fails until it is merged.
@test "agent --pyroscope: valid pushes each window, the workload's hot function in the cpu profiles" {
	receiver_start
	run "$PROFILER" agent --pyroscope "$URL" --window 1 -d 4 -- "$W/burn31" 3
	echo "$output"
	[ "$status" -eq 0 ]
	cat "$OUT"
	# every push passed the receiver's checks
	[ "$(pushes 'sum(not r["ok"] for r in R)')" = 0 ]
	# one cpu profile per window: at least two 1-second windows in 4 s
	n=$(pushes 'len(cpu)')
	[ "$n" -ge 2 ]
	[ "$(pushes "all(r['labels']['hostname'] == '$(hostname)' for r in R)")" = True ]
	[ "$(pushes 'all(r["spyName"] and r["format"] in ("pprof", "folded") for r in R)')" = True ]
	[ "$(pushes 'all(0 <= r["until"] - r["from"] <= 2 for r in R)')" = True ]
	# burn31 gives spin_three 3 rounds in 4 of the two spin functions: binomial
	k=$(pushes 'sum(r["functions"].get("spin_three", 0) for r in cpu)')
	o=$(pushes 'sum(r["functions"].get("spin_one", 0) for r in cpu)')
	[ "$k" -gt 0 ]
	binomial_ok "$k" $((k + o)) 0.75
}

# Needs `profiler agent` (branch agent): fails until it is merged.
@test "agent --pyroscope: a push the server first refuses (503) is retried, not lost" {
	receiver_start --fail-first 2
	run "$PROFILER" agent --pyroscope "$URL" --window 1 -d 4 -- "$W/burn31" 3
	echo "$output"
	[ "$status" -eq 0 ]
	cat "$OUT"
	[ "$(pushes 'sum(bool(r.get("refused")) for r in R)')" = 2 ]
	# the refused push arrives later, same name and window
	[ "$(pushes '[(r["name"], int(r["from"]), int(r["until"])) for r in R if r.get("refused")][0] in [(r["name"], r["from"], r["until"]) for r in R if r.get("ok")]')" = True ]
	[ "$(pushes 'sum(not r["ok"] and not r.get("refused") for r in R)')" = 0 ]
}

# Needs `profiler agent` (branch agent): fails until it is merged.
@test "agent --pyroscope: a bad URL or label is one line naming it, non-zero exit" {
	run "$PROFILER" agent --pyroscope ftp://127.0.0.1:4040 -d 1
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"bad --pyroscope URL 'ftp://127.0.0.1:4040'"* ]]
	run "$PROFILER" agent --pyroscope http://127.0.0.1:4040 --label 1env=prod -d 1
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"bad --label '1env=prod'"* ]]
}
