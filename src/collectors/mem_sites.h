/* SPDX-License-Identifier: GPL-2.0 */
/* profiler mem's rows, read from what the kernel kept (mem_sites.c). */
#ifndef PROFILER_MEM_SITES_H
#define PROFILER_MEM_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "common.h"
#include "collectors/mem_lib.h"
#include "util/idxmap.h"

struct deltas;

/* One row of the result: a site in one process. */
struct site {
	uint32_t pid;
	uint32_t life;		/* the allocating program's LIFE_TAG_EXECS, 0 unknown */
	uint64_t stack;
	char comm[TASK_COMM_LEN];
	uint64_t alloc_count, alloc_bytes;
	uint64_t inuse_count, inuse_bytes;
	uint64_t oldest_ts;	/* 0: nothing outstanding */
};

struct site_table {
	struct site *v;
	size_t n, cap;
	struct idxmap index;
	uint32_t key_pid, key_life;
	uint64_t key_stack;
};

/*
 * Allocations since the last collect (whole: since the start), from the
 * sites map and their sums; what is outstanding (mem_read_live) is state,
 * as it is at the window's end.
 */
void mem_read_sites(int fd, int sums_fd, struct site_table *t, struct deltas *windows, bool whole);
/* The munmaps BPF left to us, sorted for mem_region_left; *n of them. */
struct mem_cut *mem_read_cuts(int fd, size_t *n);
/* The live blocks of the hash map, less what munmaps cut from regions. */
void mem_read_live(int fd, struct site_table *t, const struct mem_cut *cuts, size_t ncuts);
/* The same for the array in front of it (include/mem.h), read whole. */
void mem_read_live_slots(int fd, uint32_t buckets, struct site_table *t,
			 const struct mem_cut *cuts, size_t ncuts);
void site_table_free(struct site_table *t);

#endif /* PROFILER_MEM_SITES_H */
