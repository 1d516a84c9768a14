#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Stack depth and big binaries.  (1) The BPF cost per sample at --max-depth
# 127 and at the default, for a shallow program (burn31: some 10 frames)
# and a deep one (Python importing a chain of 30 modules: some 300 native
# frames), from --stats (kernel.bpf_stats_enabled): the program's run time
# over the target's samples.  (2) g++ compiling a C++ file: the share of
# cc1plus's samples that reach _start and the memory of the unwind tables
# (cc1plus alone: 35 MB, 2.6 MB of .eh_frame).  (3) Debian's stripped
# gzip: its hottest function as one frame, and the share reaching _start.
# Prints a markdown section.  Usage: scripts/bench/depth.sh [BUILD]
set -euo pipefail
build=${1:-build}
P=$build/profiler
W=$build/workloads
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir "$tmp/py"
for i in $(seq 0 29); do
	echo "import m$((i + 1))" > "$tmp/py/m$i.py"
done
printf 'x = 0\nfor i in range(6000000):\n    x += i\n' > "$tmp/py/m30.py"

# "BPF us per sample, samples, deepest stack" of one profiled command
per_sample() {	# COMM DEPTH COMMAND...
	local comm=$1 depth=$2 ms n d
	shift 2
	"$P" cpu -F 999 --max-depth "$depth" --stats -q -o "$tmp/out.folded" -- "$@" \
		> /dev/null 2> "$tmp/err"
	ms=$(sed -n 's/.*BPF cpu_sample .* \([0-9.]*\) ms in all.*/\1/p' "$tmp/err")
	n=$(awk -v c="^$comm;" '$0 ~ c { s += $NF } END { print s + 0 }' "$tmp/out.folded")
	d=$(awk -v c="^$comm;" '$0 ~ c { k = split($0, a, ";"); if (k > m) m = k } END { print m - 1 }' \
		"$tmp/out.folded")
	awk -v ms="${ms:-0}" -v n="$n" -v d="$d" \
		'BEGIN { if (n) printf "%.2f us | %d | %d", ms * 1000 / n, n, d; else print "- | 0 | -" }'
}

echo "## Stack depth, big and stripped binaries"
echo
echo "BPF run time per sample of the target at 999 Hz (\`--stats\`), by \`--max-depth\`;"
echo "deepest: the most frames of one sample (user + kernel)."
echo
echo "| workload | --max-depth | BPF per sample | samples | deepest |"
echo "| --- | --- | --- | --- | --- |"
for depth in 127 512; do
	echo "| burn31 (shallow) | $depth | $(per_sample burn31 "$depth" "$W/burn31" 3) |"
done
for depth in 127 512; do
	echo "| python3, 30 nested imports | $depth | $(per_sample python3 "$depth" \
		python3 -c "import sys; sys.path.insert(0, '$tmp/py'); import m0") |"
done

cat > "$tmp/heavy.cc" <<'EOF'
#include <functional>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>
int main(int argc, char **argv)
{
	std::regex re(argv[0]);
	std::map<std::string, std::vector<std::function<int(int)>>> m;
	std::stringstream ss;
	ss << std::regex_match(argv[0], re);
	m["a"].push_back([](int x) { return x + 1; });
	std::cout << ss.str() << m.size() << std::endl;
	return 0;
}
EOF
"$P" cpu -F 499 --stats -q -o "$tmp/gxx.folded" -- g++ -O2 -c "$tmp/heavy.cc" -o "$tmp/heavy.o" \
	2> "$tmp/err"
echo
awk '/^cc1plus;/ { n += $NF; if ($0 ~ /^cc1plus;_start;/) r += $NF }
	END { printf "g++ -O2 -c (std::regex, std::map, std::function): %.1f%% of %d cc1plus samples reach _start\n\n", n ? 100 * r / n : 0, n }' \
	"$tmp/gxx.folded"
sed -n 's/^ *unwind tables: /Its unwind tables: /p' "$tmp/err"

head -c 20000000 /dev/urandom | base64 > "$tmp/data"
"$P" cpu -F 999 -q -o "$tmp/gz.folded" -- sh -c "gzip -9 -c '$tmp/data' > /dev/null"
echo
awk '/^gzip;/ { n = $NF; all += n; if ($0 ~ /^gzip;_start;/) r += n
		sub(/ [0-9]+$/, ""); k = split($0, a, ";"); s[a[k]] += n }
	END { for (f in s) if (s[f] > best) { best = s[f]; h = f }
		printf "Debian gzip -9 (stripped): hottest function %s, %.1f%% of %d samples as one frame; %.1f%% reach _start\n", h, 100 * best / all, all, 100 * r / all }' \
	"$tmp/gz.folded"
