# SPDX-License-Identifier: GPL-2.0
# Sourced by scripts/soak.sh and scripts/soak-agent.sh, with name set to
# the script's (soak, soak-agent) and its arguments: BUILD, and the
# SOAK_SECONDS, SOAK_RATE and SOAK_DOC settings, checked.
build=${1:-build}
secs=${SOAK_SECONDS:-600}
rate=${SOAK_RATE:-100}
doc=${SOAK_DOC:-}
if [ "$(id -u)" != 0 ]; then
	echo "$name: it loads BPF programs system-wide: run as root" >&2
	exit 1
fi
case $secs in
''|*[!0-9]*) echo "$name: SOAK_SECONDS '$secs' is not a whole number of seconds" >&2; exit 1 ;;
esac
[ "$secs" -ge 70 ] || { echo "$name: SOAK_SECONDS must be at least 70 (RSS is read at 60 s)" >&2; exit 1; }
