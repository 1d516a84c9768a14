#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Memory of kernel naming's kallsyms paths (kallsyms_rss.c): one fallback
# (an address outside the cache) and one cache miss, ROUNDS times (default
# 5), alternated with the same driver linked with BASE's
# src/symbol/kallsyms_cache.c (a commit, default d97e1ca) when BASE is not
# empty.  Run as root (the cache lives in /run/profiler).
#   scripts/bench/kallsyms_rss.sh [BUILD]
#   BASE=d97e1ca ROUNDS=5 scripts/bench/kallsyms_rss.sh build
set -euo pipefail

build=${1:-build}
base=${BASE-d97e1ca}
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$here"
make --no-print-directory -s BUILD="$build" all >&2
# make's own variables, expanded by make (single quotes on purpose)
# shellcheck disable=SC2016
flags=$(make -s BUILD="$build" --eval 'pf: ; @echo $(CPPFLAGS) -std=gnu11 -O2' pf)
# shellcheck disable=SC2016
libs=$(make -s BUILD="$build" --eval 'pl: ; @echo $(LIBS)' pl)
objs=$(find "$build/obj" -name '*.o' ! -name main.o ! -name kallsyms_cache.o)
# shellcheck disable=SC2086
gcc $flags scripts/bench/kallsyms_rss.c $objs "$build/obj/symbol/kallsyms_cache.o" $libs -o "$tmp/this"
names=(this)
if [ -n "$base" ]; then
	git show "$base:src/symbol/kallsyms_cache.c" > "$tmp/kallsyms_cache.c"
	# shellcheck disable=SC2086
	gcc $flags -c "$tmp/kallsyms_cache.c" -o "$tmp/base.o"
	# shellcheck disable=SC2086
	gcc $flags scripts/bench/kallsyms_rss.c $objs "$tmp/base.o" $libs -o "$tmp/base"
	names=(base this)
fi
"$tmp/this" fallback > /dev/null	# the cache made, if this boot has none
for r in $(seq "${ROUNDS:-5}"); do
	for n in "${names[@]}"; do
		echo "round $r, $n: $("$tmp/$n" fallback)"
		mkdir "$tmp/miss"
		echo "round $r, $n: $("$tmp/$n" miss "$tmp/miss")"
		rm -rf "$tmp/miss"
	done
done
