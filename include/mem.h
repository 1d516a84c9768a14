/* SPDX-License-Identifier: GPL-2.0 */
/* Maps of the mem collector, shared by bpf/mem.bpf.c and src/collectors/mem.c. */
#ifndef PROFILER_MEM_H
#define PROFILER_MEM_H

#include "common.h"

/* A live allocation is found by its address within its address space. */
struct mem_addr {
	__u64 addr;
	__u32 pid;		/* 0 for kernel memory: one address space */
	__u32 pad;
};

struct mem_live {
	__u64 size;
	__u64 stack;		/* user or kernel stack id */
	__u64 ts;		/* bpf_ktime_get_ns() at allocation */
	__u32 pid;		/* who allocated */
	__u32 flags;		/* MEM_LIVE_*, and above bit 0 the allocating
				 * program's LIFE_TAG_EXECS (include/common.h),
				 * whose own bit 0 is always set: MEM_LIVE_LIFE */
};

#define MEM_LIVE_MMAP	1	/* a region from mmap: munmap may take part of it */

/* flags of a block allocated by a program of tag life (0: unknown) */
#define MEM_LIVE_FLAGS(life, f)	(((life) & ~1U) | (f))
/* the tag back from flags, 0 when not taken */
#define MEM_LIVE_LIFE(flags)	((flags) & ~1U ? (flags) | 1U : 0)

/*
 * Live user-space blocks are kept first in buckets of an array (the map
 * `live_slots`), claimed by compare-and-swap; what does not fit, or has no
 * one-word key, goes to the hash `live`.  A key is one word: (pid, address)
 * for a 16-byte-aligned address below 2^47 and a pid below 2^21, so that
 * two words never name one block; below 2^43 a key is a mark instead.
 */
#define MEM_LIVE_WAYS		8	/* slots a bucket has: one cache line of keys */
#define MEM_LIVE_ADDR_BITS	43	/* the address's bits 4..46 */
#define MEM_LIVE_EMPTY		0	/* never used: no key lies past it */
#define MEM_LIVE_BUSY		1	/* claimed, its value being written */
#define MEM_LIVE_FREED		2	/* its block was freed: free to claim */

struct mem_live_bucket {
	__u64 key[MEM_LIVE_WAYS];
	struct mem_live v[MEM_LIVE_WAYS];
};

static inline __u64 mem_live_key(__u64 addr, __u32 pid)
{
	if (!pid || (addr & 15) || addr >> 47 || pid >> 21)
		return 0;
	return addr >> 4 | (__u64)pid << MEM_LIVE_ADDR_BITS;
}

/*
 * A munmap that did not start at a region's start (the middle, the end,
 * or past one region into the next): user space takes [addr, addr + len)
 * out of every region of pid mapped before ts.
 */
struct mem_unmap {
	__u64 addr;
	__u64 ts;
	__u32 pid;
	__u32 pad;
};

/*
 * Per (process, stack): what was allocated there.  The map `sites` gives a
 * site its index in the array `site_sums` (struct mem_totals), so that a
 * thread that has found its site once adds to it without hashing.
 */
#define MEM_MAX_SITES	65536
#define MEM_SITE_SLOTS	(2 * MEM_MAX_SITES)	/* indexes of their totals (a power of two) */

struct mem_site {
	__u32 pid;
	__u32 life;		/* the allocating program's LIFE_TAG_EXECS, 0 unknown:
				 * its stack is named from that program's mappings */
	__u64 stack;
	char comm[TASK_COMM_LEN];
};

struct mem_totals {
	__u64 count;
	__u64 bytes;
};

/*
 * A process of -- COMMAND held stopped (SIGSTOP) until user space has put
 * probes on it: a child at its return from fork, any target at exec; and
 * once more at its program's entry point, after the dynamic loader has
 * mapped its libraries, until its unwind tables are made.
 */
enum { MEM_HELD_FORK = 1, MEM_HELD_EXEC, MEM_HELD_ENTRY };

/*
 * Where an allocating function has its size (and its old block, or where
 * it stores the new one): the cookie of each probe of the one program
 * alloc_enter.  The kernel verifies it once; one program per function was
 * verified seven times, 58 ms each on this VM (0.41 s of mem's 0.55 s
 * start; with --unwind fp 1.5 s of 1.65).
 */
enum mem_entry {
	MEM_ENTRY_MALLOC,		/* (size): malloc, valloc, pvalloc */
	MEM_ENTRY_CALLOC,		/* (nmemb, size) */
	MEM_ENTRY_REALLOC,		/* (ptr, size) */
	MEM_ENTRY_REALLOCARRAY,		/* (ptr, nmemb, size) */
	MEM_ENTRY_MEMALIGN,		/* (alignment, size): memalign, aligned_alloc */
	MEM_ENTRY_POSIX_MEMALIGN,	/* (memptr, alignment, size) */
	MEM_ENTRY_MMAP,			/* (addr, length, ...) */
};

struct mem_held {
	__u32 pid;
	__u32 why;		/* MEM_HELD_* */
};

#endif /* PROFILER_MEM_H */
