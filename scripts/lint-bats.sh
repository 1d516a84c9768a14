#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Assertions that cannot fail.  bats runs a test with errexit, and errexit
# ignores a command whose status `!` inverts and every command of an &&
# list but the last: `! grep -q x f` or `[ "$a" -gt 0 ] && [ "$b" -gt 0 ]`
# anywhere but as a test's (or function's) last command passes whatever
# it finds.  Write `! cmd || false`, and one test a line.  Prints each such
# line as FILE:LINE: TEXT and exits 1 if there is any.
#   scripts/lint-bats.sh [FILE...]     (default: tests/integration/*.bats *.bash)
set -euo pipefail

[ $# -gt 0 ] || set -- tests/integration/*.bats tests/integration/*.bash
awk '
	function report() {
		printf "%s:%d: %s\n", cfile, cline, cand
		cand = ""
		bad++
	}
	FNR == 1 { if (cand != "") report(); cand = "" }
	{
		text = $0
		sub(/^[ \t]+/, "", text)
		if (text == "" || text ~ /^#/)
			next
		# a candidate is fine as the last command before a closing brace
		if (cand != "") {
			if (text ~ /^}/)
				cand = ""
			else
				report()
		}
		if (text ~ /(\\|\||&&)[ \t]*$/ || gsub(/\047/, "\047", text) % 2)
			next			# continued, or a quote left open: not judged
		if ((text ~ /^! / && text !~ /\|\|/) ||
		    text ~ /^\[\[? .*\]\]?[ \t]*&&[ \t]*\[\[? /) {
			cand = text; cfile = FILENAME; cline = FNR
		}
	}
	END { if (cand != "") report(); exit bad > 0 }
' "$@"
