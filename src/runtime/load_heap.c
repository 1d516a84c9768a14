// SPDX-License-Identifier: GPL-2.0
/*
 * libbpf's BTF copies in huge pages (load_heap.h says why).
 *
 * glibc serves a block above its mmap threshold (ours: 256 KiB) from a
 * fresh mapping of its own, which we cannot mark before libbpf touches it.
 * So for the load the threshold is raised: libbpf's blocks then come from
 * the top of the heap, which was grown first by as much as they need and
 * marked MADV_HUGEPAGE, and not trimmed meanwhile.  After the load the
 * thresholds are ours again and malloc_trim gives the heap's free top
 * (and free pages within) back, so the peak RSS grows by at most the
 * rounding to 2 MiB.
 *
 * Measured on 6.18 in this VM (docs/performance.md, "loadheap"): cpu's
 * start 3,259 -> 724 page faults, 134 -> 100 ms of CPU.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>

#include "runtime/load_heap.h"
#include "util/util.h"

#define HUGE_PAGE (2UL << 20)
/* glibc's default trim threshold */
#define OUR_TRIM_THRESHOLD (128 << 10)
/* above anything libbpf takes in one block while loading */
#define LOAD_THRESHOLD (64 << 20)
#define BUDDY_ORDER_2M 9	/* 2^9 pages of 4 KiB */

size_t buddy_free_2m(const char *text)
{
	size_t blocks = 0;

	/* "Node 0, zone   Normal   4730   4000 ...": free blocks by order from 0 */
	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n'), *eol = nl ? nl : l + strlen(l);
		const char *z = memmem(l, (size_t)(eol - l), "zone", 4);

		if (z) {
			z += 4;
			while (z < eol && *z == ' ')
				z++;
			while (z < eol && *z != ' ')	/* the zone's name */
				z++;
			for (int order = 0; z < eol && order <= 20; order++) {
				char *end;
				unsigned long long n = strtoull(z, &end, 10);

				if (end == z || end > eol)
					break;
				if (order >= BUDDY_ORDER_2M)
					blocks += (size_t)n << (order - BUDDY_ORDER_2M);
				z = end;
			}
		}
		l = nl ? nl + 1 : eol;
	}
	return blocks;
}

/* The bytes to grow the heap by for libbpf's copies of the kernel's BTF, or 0. */
static size_t huge_bytes_wanted(void)
{
	struct stat st;
	char *text;
	size_t want;
	bool asked;

	if (stat("/sys/kernel/btf/vmlinux", &st) || st.st_size <= 0)
		return 0;
	/* "always": libbpf's blocks are huge already; "never": none to be had */
	text = read_file("/sys/kernel/mm/transparent_hugepage/enabled", NULL);
	asked = text && strstr(text, "[madvise]");
	free(text);
	if (!asked)
		return 0;
	/* the file's two copies, libbpf's index of it, and the 2 MiB rounding */
	want = 2 * (size_t)st.st_size + (1 << 20) + 2 * HUGE_PAGE;
	text = read_file("/proc/buddyinfo", NULL);
	if (!text || buddy_free_2m(text) < want / HUGE_PAGE + 1)
		want = 0;
	free(text);
	return want;
}

int heap_in_huge_pages(size_t want, int (*fn)(void *ctx), void *ctx)
{
	char *p = NULL;
	int err;

	if (want) {
		mallopt(M_MMAP_THRESHOLD, LOAD_THRESHOLD);
		mallopt(M_TRIM_THRESHOLD, LOAD_THRESHOLD);
		p = malloc(want);
	}
	if (p) {
		uintptr_t a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
		uintptr_t b = ((uintptr_t)p + want) & ~(HUGE_PAGE - 1);

		/* the heap's free top from here on, until fn's blocks take it */
		if (b > a)
			madvise((void *)a, b - a, MADV_HUGEPAGE);
		free(p);
	}
	err = fn(ctx);
	if (want) {
		int e = errno;

		mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD);
		mallopt(M_TRIM_THRESHOLD, OUR_TRIM_THRESHOLD);
		/* not free(malloc(128 KiB)), which trims only a free top: a
		 * block libbpf keeps may sit above what it freed (peak RSS
		 * 23.5-24.7 MiB against 20.7-22.5 for a 2 s cpu run) */
		malloc_trim(0);
		errno = e;
	}
	return err;
}

static int load(void *s)
{
	return bpf_object__load_skeleton(s);
}

int skel_load(struct bpf_object_skeleton *s)
{
	return heap_in_huge_pages(huge_bytes_wanted(), load, s);
}
