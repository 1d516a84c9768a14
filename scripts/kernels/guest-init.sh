#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the initramfs `make test-kernels` boots: mount what the profiler
# reads (proc, sys, debugfs/tracefs, bpffs), load the modules listed in
# /lib/modules/order, run the smoke suite with the checks named on the
# kernel command line (smoke=a,b), then power off.
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
while read -r m; do
	insmod "/lib/modules/$m.ko" || echo "# insmod $m failed"
done < /lib/modules/order
# the disk appears once the driver has probed it
for i in 1 2 3 4 5 6 7 8 9 10; do
	ls /sys/block | grep -q '^vd' && break
	sleep 0.5
done
checks=$(sed -n 's/.*smoke=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
echo "# smoke suite starting"
sh /profiler/smoke.sh $checks
echo "# smoke suite done"
sync
poweroff -f
