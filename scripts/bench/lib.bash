# SPDX-License-Identifier: GPL-2.0
# Sourced by the benchmark scripts: a scratch directory, and background
# loads (pids appended to "loads") that are ended however the script exits.
tmp=$(mktemp -d)
loads=()
stats_old=
cleanup() {
	for p in "${loads[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -z "$stats_old" ] || sysctl -qw kernel.bpf_stats_enabled="$stats_old"
	rm -rf "$tmp"
}
trap cleanup EXIT

# CGROUP=1: a cgroup v2 of its own for a load, removed however the script
# exits; its path in $cg (empty without CGROUP).  bg_load runs a command in
# the background, in $cg when there is one, and adds it to loads.
cg=
cgroup_for_load() {	# NAME
	local v2
	[ -n "${CGROUP:-}" ] || return 0
	v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$v2" ] || { echo "$1: CGROUP=1 needs a cgroup v2 mount" >&2; exit 1; }
	cg=$v2/profiler-$1-$$
	mkdir "$cg"
	trap 'cleanup; rmdir "$cg" 2>/dev/null || true' EXIT
}
bg_load() {	# COMMAND...
	if [ -n "$cg" ]; then
		sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@" >/dev/null &
	else
		"$@" >/dev/null &
	fi
	loads+=($!)
}

# The kernel's BPF run-time stats on until the script ends, then back as
# they were.  `--stats` turns them on for its run and off at its end, and
# each switch patches the kernel's text: 16 ms of our CPU a run on this VM
# (a self-profile under churn), a cost of the measuring, not of profiling.
# Already on, `--stats` only counts itself in.
bpf_stats_on() {
	stats_old=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=1
}
