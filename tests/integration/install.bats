#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# make install into a DESTDIR: the binary, the man page, bash completion of
# every command and option, and the agent's systemd unit, whose capability
# set is enough to profile.

load helpers

setup() {
	setup_common
	ROOT=$TMP/root
	make --no-print-directory -s install BUILD="$BUILD" DESTDIR="$ROOT" PREFIX=/usr >/dev/null
	COMP=$ROOT/usr/share/bash-completion/completions/profiler
	UNIT=$ROOT/usr/lib/systemd/system/profiler-agent.service
}

teardown() {
	teardown_common
}

# The completion of a command line whose last word is being completed,
# with the installed profiler first in PATH.
complete_words() {
	PATH="$ROOT/usr/bin:$PATH" bash -c 'source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _profiler
		printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP" "$@"
}

# Commands as profiler --help lists them (two-space indent, name, description).
help_commands() {
	"$ROOT/usr/bin/profiler" --help | sed -n '/^Commands:/,/^Examples:/p' |
		grep -E '^  [a-z]+  ' | awk '{ print $1 }'
}

@test "install: binary, man page, completion and unit in DESTDIR with their modes" {
	[ "$(stat -c %a "$ROOT/usr/bin/profiler")" = 755 ]
	"$ROOT/usr/bin/profiler" --version | grep -q '^profiler '
	[ "$(stat -c %a "$ROOT/usr/share/man/man1/profiler.1")" = 644 ]
	cmp docs/profiler.1 "$ROOT/usr/share/man/man1/profiler.1"
	[ "$(stat -c %a "$COMP")" = 644 ]
	[ "$(stat -c %a "$UNIT")" = 644 ]
	grep -qx 'ExecStart=/usr/bin/profiler agent $PROFILER_AGENT_ARGS' "$UNIT"
	! grep -q @BINDIR@ "$UNIT" || false
	# and nothing else: four files
	[ "$(find "$ROOT" -type f | wc -l)" -eq 4 ]
	make --no-print-directory -s uninstall DESTDIR="$ROOT" PREFIX=/usr
	[ "$(find "$ROOT" -type f | wc -l)" -eq 0 ]
}

@test "install: the systemd unit passes systemd-analyze verify" {
	# verify needs ExecStart's binary where the unit says: point it into DESTDIR
	sed "s|=/usr/bin/profiler|=$ROOT/usr/bin/profiler|" "$UNIT" > "$TMP/profiler-agent.service"
	run systemd-analyze verify --man=no "$TMP/profiler-agent.service"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "install: the unit's capability bounding set is enough to profile (root with only those)" {
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
	[ -n "$caps" ]
	set=-all
	for c in $caps; do
		c=${c#CAP_}
		set+=",+${c,,}"
	done
	run setpriv --inh-caps=-all --ambient-caps=-all --bounding-set="$set" \
		"$ROOT/usr/bin/profiler" cpu -q -o "$TMP/cpu.folded" -- "$W/burn31" 1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(folded_sum "$TMP/cpu.folded" 'spin_three')" -gt 0 ]
	# and without CAP_BPF it is refused: the bounding set really applies
	run setpriv --inh-caps=-all --ambient-caps=-all --bounding-set="${set/,+bpf/}" \
		"$ROOT/usr/bin/profiler" cpu -q -d 1 -o "$TMP/none.folded"
	[ "$status" -ne 0 ]
	[[ "$output" == *"CAP_BPF"* ]]
}

@test "completion: every command of profiler --help" {
	want=$(help_commands | sort)
	[ -n "$want" ]
	[ "$(complete_words profiler '' | grep -v '^-' | sort)" = "$want" ]
	[ "$(complete_words profiler re | sort | tr '\n' ' ')" = "record report " ]
}

@test "completion: every option of every command's --help" {
	for cmd in $(help_commands); do
		# options as the help prints them, at the start of a line
		want=$({ "$ROOT/usr/bin/profiler" "$cmd" --help |
			grep -oE '^ +(-[A-Za-z0-9], )?--[a-z0-9][a-z0-9-]*'
			# and lines of options alone (record's and agent's --NAME-OPTION)
			"$ROOT/usr/bin/profiler" "$cmd" --help |
			grep -E '^ +--[a-z0-9-]+( [A-Z]+)?( --[a-z0-9-]+( [A-Z]+)?)+ *$' |
			grep -oE -- '--[a-z0-9][a-z0-9-]*'; } |
			grep -oE -- '--[a-z0-9][a-z0-9-]*$' | sort -u)
		[ -n "$want" ]
		got=$(complete_words profiler "$cmd" -- | sort -u)
		if [ "$got" != "$want" ]; then
			echo "profiler $cmd: completion differs from --help:"
			diff <(echo "$want") <(echo "$got") || true
			return 1
		fi
		# short options too, where the help has them
		all=$(complete_words profiler "$cmd" -)
		for s in $("$ROOT/usr/bin/profiler" "$cmd" --help | grep -oE '^ +-[A-Za-z0-9],' | tr -d ' ,'); do
			grep -qx -- "$s" <<<"$all"
		done
	done
	[ "$(complete_words profiler cpu --fr)" = "--freq" ]
	[ "$(complete_words profiler agent --offcpu-min)" = "--offcpu-min-block" ]
	[ "$(complete_words profiler record --io-s)" = "--io-slow" ]
}

@test "completion: option values, files, and the program after --" {
	[ "$(complete_words profiler cpu -f '' | tr '\n' ' ')" = "folded report svg pprof json " ]
	[ "$(complete_words profiler cpu --unwind '' | tr '\n' ' ')" = "dwarf fp " ]
	touch "$TMP/saved.pb.gz"
	[ "$(complete_words profiler report "$TMP/sav")" = "$TMP/saved.pb.gz" ]
	[ "$(complete_words profiler cpu -o "$TMP/sav")" = "$TMP/saved.pb.gz" ]
	complete_words profiler cpu -- bas | grep -qx bash
	complete_words profiler cpu -p '' | grep -qx "$$"
}

# Options are read from the binary at completion time: one added later
# completes without a change to the completion file.
@test "completion: an option that appears in a command's --help completes by itself" {
	mkdir -p "$TMP/bin"
	cat > "$TMP/bin/profiler" <<-EOF
	#!/bin/bash
	if [ "\$1" = cpu ] && [ "\$2" = --help ]; then
		"$ROOT/usr/bin/profiler" cpu --help
		echo "      --brand-new fast|slow a later option"
		exit 0
	fi
	exec "$ROOT/usr/bin/profiler" "\$@"
	EOF
	chmod +x "$TMP/bin/profiler"
	run bash -c 'source "$1"; COMP_WORDS=("$2" cpu --bra); COMP_CWORD=2; _profiler; echo "${COMPREPLY[*]}"' \
		_ "$COMP" "$TMP/bin/profiler"
	[ "$output" = "--brand-new" ]
	run bash -c 'source "$1"; COMP_WORDS=("$2" cpu --brand-new ""); COMP_CWORD=3; _profiler; echo "${COMPREPLY[*]}"' \
		_ "$COMP" "$TMP/bin/profiler"
	[ "$output" = "fast slow" ]
}
