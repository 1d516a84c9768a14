# SPDX-License-Identifier: GPL-2.0
# Sourced by the benchmark scripts: a scratch directory, and background
# loads (pids appended to "loads") that are ended however the script exits.
tmp=$(mktemp -d)
loads=()
cleanup() {
	for p in "${loads[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
