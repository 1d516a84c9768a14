/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading a BPF object with libbpf's copies of the kernel's BTF in huge
 * pages.  libbpf 1.1 reads /sys/kernel/btf/vmlinux whole for each object
 * that names a kernel type (a kfunc, a tp_btf attach point): into one
 * buffer, then copied into another, two blocks of fresh memory of the
 * BTF's size (5.5 MB on 6.18), touched a 4 KiB page at a time.  Where a
 * page's first touch is dear (a VM with shadow page tables: 20 us here),
 * that was 35-50% of every command's start (docs/performance.md).
 */
#ifndef PROFILER_LOAD_HEAP_H
#define PROFILER_LOAD_HEAP_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_object_skeleton;

/*
 * Our mmap threshold, fixed (session.c, agent.c): a large block is a
 * mapping of its own, given back when freed; glibc's sliding threshold
 * would keep later ones in the heap, resident.
 */
#define HEAP_MMAP_THRESHOLD (256 << 10)

/*
 * bpf_object__load_skeleton(s), its large blocks taken from our heap where
 * it was grown and marked for transparent huge pages, when the kernel has
 * free 2 MiB blocks for all of it (so that no fault waits for compaction)
 * and huge pages are had on request (enabled=madvise); else as it was.
 * The heap is trimmed after: libbpf frees the BTF at the load's end.
 */
int skel_load(struct bpf_object_skeleton *s);

/*
 * fn(ctx) with blocks above our mmap threshold taken from want bytes of
 * heap marked for huge pages (0: as it was); skel_load's way, for tests.
 */
int heap_in_huge_pages(size_t want, int (*fn)(void *ctx), void *ctx);

/*
 * Free blocks of 2 MiB or more, counted in 2 MiB, in /proc/buddyinfo's
 * text (pure: the unit tests' way in).
 */
size_t buddy_free_2m(const char *text);

#endif /* PROFILER_LOAD_HEAP_H */
