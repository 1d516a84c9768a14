#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the initramfs `make test-kernels` boots: busybox, build/profiler and
# init and smoke suite,
# and the kernel modules the suite needs, from the kernel's own package.
#   scripts/kernels/initramfs.sh BUILD KERNEL_ROOT OUT.cpio.gz
set -euo pipefail

build=${1:?usage: initramfs.sh BUILD KERNEL_ROOT OUT}
kroot=${2:?usage: initramfs.sh BUILD KERNEL_ROOT OUT}
out=${3:?usage: initramfs.sh BUILD KERNEL_ROOT OUT}
here=$(cd "$(dirname "$0")" && pwd)
# the workloads the smoke suite runs (scripts/kernels/smoke.sh)
workloads=(burn31 manystacks waits lockfight mem_sites dio latency qsort_slow go/gocgo lifegen-parent lifegen-child)
# virtio_blk for the io check's disk; the rest is what it depends on
modules=(virtio_pci virtio_blk)

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,proc,sys,dev,tmp,run,mnt,etc,profiler/workloads}

# an executable and every library it needs, at the same paths
add_elf() {	# FILE DEST
	install -D -m 0755 "$1" "$root/$2"
	ldd "$1" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' |
	while read -r lib; do
		[ -e "$root$lib" ] && continue
		install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
	done
}

install -m 0755 "$(command -v busybox)" "$root/bin/busybox"
add_elf "$build/profiler" /profiler/profiler
for w in "${workloads[@]}"; do
	add_elf "$build/workloads/$w" "/profiler/workloads/$w"
done
# CPython 3.11 for the Python frames check: the interpreter, and of its
# standard library only what starting with -S needs (the encodings it
# looks up), some 40 KiB; the offsets come from the profiler's table
if [ -x /usr/bin/python3.11 ]; then
	add_elf /usr/bin/python3.11 /usr/bin/python3.11
	mkdir -p "$root/profiler/pyhome/lib/python3.11/encodings"
	for f in __init__ aliases utf_8; do
		cp "/usr/lib/python3.11/encodings/$f.py" "$root/profiler/pyhome/lib/python3.11/encodings/"
	done
	cp "$here/../../tests/workloads/python/smoke31.py" "$root/profiler/workloads/"
fi
install -m 0755 "$here/guest-init.sh" "$root/init"
install -m 0755 "$here/smoke.sh" "$root/profiler/smoke.sh"

# Modules, dependencies first, uncompressed (busybox insmod reads plain ELF).
moddir=$(ls -d "$kroot"/lib/modules/*/ | head -1)
ko_path() {	# NAME
	find "$moddir/kernel" -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" | head -1
}
ko_depends() {	# FILE.ko: the depends= field of .modinfo
	objcopy -O binary --only-section=.modinfo "$1" /dev/stdout 2>/dev/null |
		tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '
}
declare -A seen=()
order=()
add_module() {	# NAME
	local name=${1//-/_} f plain dep
	[ -n "${seen[$name]:-}" ] && return 0
	seen[$name]=1
	f=$(ko_path "$name")
	if [ -z "$f" ]; then
		grep -q "/$name.ko" "$moddir/modules.builtin" && return 0
		echo "initramfs: module $name is neither in $moddir nor built in" >&2
		return 1
	fi
	plain=$root/lib/modules/$name.ko
	mkdir -p "$(dirname "$plain")"
	case "$f" in
	*.xz) xz -dc "$f" > "$plain" ;;
	*.zst) zstd -qdc "$f" > "$plain" ;;
	*) cp "$f" "$plain" ;;
	esac
	for dep in $(ko_depends "$plain"); do add_module "$dep"; done
	order+=("$name")
}
for m in "${modules[@]}"; do add_module "$m"; done
printf '%s\n' "${order[@]}" > "$root/lib/modules/order"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
