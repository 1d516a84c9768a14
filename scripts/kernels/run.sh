#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make test-kernels`: boot each kernel under qemu (TCG: no KVM needed) with
# an initramfs holding what `make` built, run the smoke suite in it
# (scripts/kernels/smoke.sh), and print its result lines and a closing
# "N passed, N failed" over all kernels.  A guest that does not finish in
# KERNEL_TIMEOUT seconds counts as a failure; each guest's console is kept
# in BUILD/kernels/console-KERNEL.log and named on failure.
#   scripts/kernels/run.sh BUILD [KERNEL...]      (default: 6.1)
# SMOKE=check,check runs only those checks (names in smoke.sh).
# GUEST_LOGLEVEL=8 puts the kernel's backtraces (soft lockups, BPF warnings) on the console.
# TCG_THREAD=multi runs each guest CPU on its own host thread (faster; see below).
# ACCEL=kvm boots the guest under KVM instead of TCG (only where /dev/kvm really runs one).
set -uo pipefail

build=${1:-build}
shift
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1)
here=$(cd "$(dirname "$0")" && pwd)
timeout_s=${KERNEL_TIMEOUT:-1500}
out=$build/kernels
mkdir -p "$out"

for tool in qemu-system-x86_64 busybox cpio; do
	command -v "$tool" >/dev/null || {
		echo "test-kernels: $tool not found: run 'scripts/deps.sh --kernels'" >&2
		exit 1
	}
done

# TCG, with the guest's two CPUs taking turns on one host thread
# (TCG_THREAD=multi: one thread each); KVM only when asked (ACCEL=kvm): a
# /dev/kvm may be there and not run a guest (this VM's nested "kvm-pvm"
# stopped the 6.1 boot before its first line, dmesg "INTERNAL_ERROR in
# batch emul", and the suite waited out its 1500 s timeout).  QEMU 7.2's
# multi-threaded TCG froze the guest in 3 of 4 suites on lead a99ce3b: a
# BPF link's release patches the kernel's text (text_poke_bp), CPU 0 waits
# for CPU 1's answer to its IPI, and CPU 1 never leaves the int3 of an
# earlier patch ("soft lockup ... smp_call_function_many_cond",
# GUEST_LOGLEVEL=8).  Emulated code being changed under another host
# thread is what TCG gets wrong; one thread has no other.
if [ "${ACCEL:-tcg}" = kvm ]; then
	[ -w /dev/kvm ] || { echo "test-kernels: ACCEL=kvm but /dev/kvm is not writable" >&2; exit 1; }
	accel=kvm cpu=host
else
	accel=tcg,thread=${TCG_THREAD:-single} cpu=max
fi
passed=0
failed=0
failures=()
for k in "${kernels[@]}"; do
	if ! root=$("$here/fetch.sh" "$k"); then
		failed=$((failed + 1))
		failures+=("$k: kernel not fetched")
		continue
	fi
	vmlinuz=$(ls "$root"/boot/vmlinuz-* | head -1)
	initrd=$out/initramfs-$k.cpio.gz
	if ! "$here/initramfs.sh" "$build" "$root" "$initrd"; then
		failed=$((failed + 1))
		failures+=("$k: initramfs not built")
		continue
	fi
	disk=$out/disk-$k.img
	rm -f "$disk"
	truncate -s 16M "$disk"
	log=$out/console-$k.log
	# no_timer_check: under TCG on a loaded host the emulated timer is too
	# slow for the kernel's IO-APIC check, which panics the boot ("IO-APIC
	# + timer doesn't work", seen at load 45); cloud images skip it so too
	echo "test-kernels: booting $(basename "$vmlinuz") under ${accel%%,*} (timeout ${timeout_s} s)"
	start=$(date +%s)
	timeout --foreground -k 10 "$timeout_s" qemu-system-x86_64 \
		-accel "$accel" -cpu "$cpu" -smp 2 -m 2G -nodefaults \
		-display none -serial stdio -monitor none -no-reboot \
		-kernel "$vmlinuz" -initrd "$initrd" \
		-drive "file=$disk,if=virtio,format=raw" \
		-append "console=ttyS0 rdinit=/init panic=-1 loglevel=${GUEST_LOGLEVEL:-4} no_timer_check smoke=${SMOKE:-}" \
		</dev/null 2>&1 | tr -d '\r' | tee "$log"
	rc=${PIPESTATUS[0]}
	secs=$(( $(date +%s) - start ))
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
	echo "test-kernels: $k: ${line:-no result} in $secs s (qemu exit $rc)"
	if [ -z "$line" ]; then
		failed=$((failed + 1))
		failures+=("$k: the guest gave no result (timeout or crash): see $log")
		continue
	fi
	p=${line%% passed*}
	f=${line#*, }
	f=${f%% failed}
	passed=$((passed + p))
	failed=$((failed + f))
	while IFS= read -r l; do failures+=("$k: $l (console: $log)"); done < <(grep '^not ok ' "$log")
done

echo
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
