/* SPDX-License-Identifier: GPL-2.0 */
/* Block devices by name and number, from sysfs. */
#ifndef PROFILER_DISKS_H
#define PROFILER_DISKS_H

#include <stddef.h>
#include <stdint.h>

/* The kernel's dev_t (major << 20 | minor) of disk NAME ("vda" or "/dev/vda"); -ENOENT. */
int disk_dev(const char *name, uint32_t *dev);
/* "loop0 vda zram0": the disks of /sys/block, sorted; caller frees. */
char *disk_list(void);
/* The name of a kernel dev_t ("vda"), or "MAJ:MIN" when sysfs has none. */
const char *disk_name(uint32_t dev, char *buf, size_t size);

#endif /* PROFILER_DISKS_H */
