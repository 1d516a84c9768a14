#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what profiler needs to build and test, on Debian or Ubuntu.
# Installs only what is missing; says exactly what to run where it cannot.
#   scripts/deps.sh            build + test dependencies
#   scripts/deps.sh --bench    also perf and bpftrace for `make bench`
#   scripts/deps.sh --kernels  also qemu, busybox and cpio for `make test-kernels`
set -euo pipefail

pkgs=(make gcc g++ clang llvm pkg-config libbpf-dev libelf-dev zlib1g-dev
      libiberty-dev liblzma-dev libdw-dev libseccomp-dev libc6-dbg libcmocka-dev bats linux-libc-dev binutils procps
      util-linux python3 python3.11 python3.11-dbg libpython3.11-dev golang-go chromium curl xz-utils nodejs
      libdebuginfod-dev debuginfod gzip libncurses-dev tmux libmicrohttpd-dev
      libcurl4-openssl-dev golang-github-google-pprof-dev systemd python3-prometheus-client)
[ "${1:-}" = "--bench" ] && pkgs+=(linux-perf bpftrace bpfcc-tools linux-headers-amd64 hyperfine time)
# The kernels themselves are not installed: scripts/kernels/fetch.sh unpacks them.
# 5.10 comes from the bullseye archive over HTTP: curl, and gpgv, the keyring
# and xz to check and read its package list
[ "${1:-}" = "--kernels" ] && pkgs+=(qemu-system-x86 busybox-static cpio zstd curl gpgv
				     debian-archive-keyring xz-utils)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# bpftool: its own package on Debian 12 and Ubuntu 24.04+, linux-tools on older Ubuntu.
if ! command -v bpftool >/dev/null 2>&1 && [ ! -x /usr/sbin/bpftool ]; then
	missing+=(bpftool)
fi
# libFuzzer (make fuzz, and the short pass in make test): clang's runtime
# libraries, a package of their own named for clang's major version
# (libclang-rt-14-dev on Debian 12), only recommended by clang.
fuzzer_rt() {
	command -v clang >/dev/null 2>&1 || return 1
	ls "$(clang -print-resource-dir)"/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1
}
rt_pkg() {
	echo "libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
}
if command -v clang >/dev/null 2>&1 && ! fuzzer_rt; then
	missing+=("$(rt_pkg)")
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: missing ${missing[*]} and this is not a Debian/Ubuntu system:" \
	     "install the equivalent packages (clang, bpftool, libbpf, libelf, zlib, libiberty, cmocka, bats)" >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "deps: missing ${missing[*]}: run as root: apt-get install ${missing[*]}" >&2
		exit 1
	fi
fi

echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# wait for another apt run (a parallel build) instead of failing on its lock
apt_opts=(-o DPkg::Lock::Timeout=600)
$sudo apt-get "${apt_opts[@]}" update -qq
if ! $sudo apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
	# Older Ubuntu ships bpftool in linux-tools.
	rest=()
	for p in "${missing[@]}"; do [ "$p" = bpftool ] || rest+=("$p"); done
	[ ${#rest[@]} -gt 0 ] && $sudo apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${rest[@]}" >/dev/null
	if [[ " ${missing[*]} " == *" bpftool "* ]]; then
		$sudo apt-get "${apt_opts[@]}" install -y -qq "linux-tools-$(uname -r)" linux-tools-common >/dev/null || {
			echo "deps: cannot install bpftool: install the bpftool package for your distribution" >&2
			exit 1
		}
	fi
fi
# clang was missing, so its runtime could not be named before
if ! fuzzer_rt; then
	$sudo apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "$(rt_pkg)" >/dev/null || {
		echo "deps: cannot install $(rt_pkg) (libFuzzer): install clang's runtime libraries" >&2
		exit 1
	}
fi
