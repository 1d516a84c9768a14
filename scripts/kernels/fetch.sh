#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Unpack a Debian kernel package for `make test-kernels` without installing
# it as this machine's kernel: apt-get download + dpkg -x into a cache, once.
#   scripts/kernels/fetch.sh KERNEL
# KERNEL is a Debian version alias (6.1: whatever linux-image-cloud-amd64 of
# the configured suite depends on today; 5.10: Debian 11's newest cloud
# kernel, read from the bullseye archive over HTTP) or a package name
# (linux-image-6.1.0-57-cloud-amd64).  Prints the unpacked root, which holds
# boot/vmlinuz-* and lib/modules/*.
set -euo pipefail

if [ "$(id -u)" = 0 ]; then
	cache=${PROFILER_KERNEL_CACHE:-/var/cache/profiler-kernels}
else
	cache=${PROFILER_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/profiler-kernels}
fi
want=${1:?usage: fetch.sh KERNEL (6.1, 5.10 or a linux-image-… package name)}

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
5.10)
	# Debian 11's cloud kernel, which the profiler refuses (it needs 6.1):
	# bullseye is not in this machine's apt sources, so its archive is
	# read over HTTP, each step checked as apt checks it: the InRelease's
	# signature by Debian's keyring, the package list's and the package's
	# SHA-256 by the file before
	mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
	list=$(mktemp -d)
	trap 'rm -rf "$list"' EXIT
	curl -fsS -o "$list/InRelease" "$mirror/dists/bullseye/InRelease" &&
	gpgv --keyring /usr/share/keyrings/debian-archive-keyring.gpg \
		--output "$list/Release" "$list/InRelease" 2>/dev/null &&
	curl -fsS -o "$list/Packages.xz" "$mirror/dists/bullseye/main/binary-amd64/Packages.xz" &&
	sum=$(awk '/^SHA256:/ { s = 1; next } /^[^ ]/ { s = 0 }
		s && $3 == "main/binary-amd64/Packages.xz" { print $1 }' "$list/Release") &&
	[ -n "$sum" ] && echo "$sum  $list/Packages.xz" | sha256sum -c --quiet - || {
		echo "fetch: cannot read bullseye's package list from $mirror, or its signature" \
		     "or checksum is wrong (set DEBIAN_MIRROR to another mirror)" >&2
		exit 1
	}
	read -r pkg file sha < <(xz -dc "$list/Packages.xz" | awk '
		/^Package: linux-image-5\.10\.0-[0-9]+-cloud-amd64$/ { p = $2 }
		/^$/ { p = "" }
		p && /^Filename:/ { f = $2 }
		p && /^SHA256:/ { print p, f, $2 }' | sort -V | tail -1)
	[ -n "${pkg:-}" ] || { echo "fetch: no 5.10 cloud kernel in bullseye's package list" >&2; exit 1; }
	url=$mirror/$file ;;
*)
	echo "fetch: unknown kernel '$want': give 6.1, 5.10 or a linux-image-… package name" >&2
	exit 1 ;;
esac

root=$cache/$pkg
if [ -e "$root/.complete" ]; then
	echo "$root"
	exit 0
fi
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$tmp" ${list:+"$list"}' EXIT
if [ -n "${url:-}" ]; then
	curl -fsS -o "$tmp/${pkg}_.deb" "$url" && echo "$sha  $tmp/${pkg}_.deb" | sha256sum -c --quiet - || {
		echo "fetch: $url: not downloaded, or its checksum is not the package list's" >&2
		exit 1
	}
# _apt cannot write into a root-only directory: download as root, unsandboxed
elif ! (cd "$tmp" && apt-get download -o APT::Sandbox::User=root -qq "$pkg" >&2); then
	echo "fetch: apt-get download $pkg failed: run apt-get update, or check the name" \
	     "with apt-cache search linux-image" >&2
	exit 1
fi
dpkg -x "$tmp"/"$pkg"_*.deb "$tmp/root"
rm -rf "$root"
mv "$tmp/root" "$root"
touch "$root/.complete"
echo "fetch: $pkg unpacked into $root" >&2
echo "$root"
