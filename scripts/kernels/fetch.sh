#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Unpack a Debian kernel package for `make test-kernels` without installing
# it as this machine's kernel: apt-get download + dpkg -x into a cache, once.
#   scripts/kernels/fetch.sh KERNEL
# KERNEL is a Debian version alias (6.1: whatever linux-image-cloud-amd64 of
# the configured suite depends on today) or a package name
# (linux-image-6.1.0-57-cloud-amd64).  Prints the unpacked root, which holds
# boot/vmlinuz-* and lib/modules/*.
set -euo pipefail

if [ "$(id -u)" = 0 ]; then
	cache=${PROFILER_KERNEL_CACHE:-/var/cache/profiler-kernels}
else
	cache=${PROFILER_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/profiler-kernels}
fi
want=${1:?usage: fetch.sh KERNEL (6.1 or a linux-image-… package name)}

case "$want" in
linux-image-*)
	pkg=$want ;;
6.1)
	# the meta-package names the current ABI; an old name stops existing
	# once the archive moves on, so it is resolved at each fetch
	resolve() {
		apt-cache depends linux-image-cloud-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-6\.1\.[^ ]*-cloud-amd64\)$/\1/p' | head -1
	}
	pkg=$(resolve)
	# a fresh machine may have no package lists yet
	if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
		apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 && pkg=$(resolve)
	fi
	if [ -z "$pkg" ]; then
		echo "fetch: no 6.1 cloud kernel in the apt sources (linux-image-cloud-amd64):" \
		     "run apt-get update, or name the package (linux-image-6.1.0-N-cloud-amd64)" >&2
		exit 1
	fi ;;
*)
	echo "fetch: unknown kernel '$want': give 6.1 or a linux-image-… package name" >&2
	exit 1 ;;
esac

root=$cache/$pkg
if [ -e "$root/.complete" ]; then
	echo "$root"
	exit 0
fi
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# _apt cannot write into a root-only directory: download as root, unsandboxed
(cd "$tmp" && apt-get download -o APT::Sandbox::User=root -qq "$pkg" >&2) || {
	echo "fetch: apt-get download $pkg failed: run apt-get update, or check the name" \
	     "with apt-cache search linux-image" >&2
	exit 1
}
dpkg -x "$tmp"/"$pkg"_*.deb "$tmp/root"
rm -rf "$root"
mv "$tmp/root" "$root"
touch "$root/.complete"
echo "fetch: $pkg unpacked into $root" >&2
echo "$root"
