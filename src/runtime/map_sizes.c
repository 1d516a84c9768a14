// SPDX-License-Identifier: GPL-2.0
/*
 * How many entries the maps every BPF object shares are made with, before
 * load.  Preallocated maps (LRU hashes, the stacks' spill) cost their
 * whole size at every start: 10 MiB of them were a fifth of a
 * system-wide cpu run's start-up (perf stat, docs/performance.md), most
 * of it room for CPUs this machine does not have.
 */
#include <bpf/libbpf.h>

#include "runtime/runtime.h"

/*
 * The kernel hands each CPU an LRU map's free entries in batches of 128
 * (LOCAL_FREE_TARGET, kernel/bpf/bpf_lru_list.c): with fewer than that
 * per CPU, a CPU finds none free and evicts before the map is full.
 */
#define LRU_PER_CPU	256
/* A stack goes to the spill only when the allocator refuses one; room for
 * this many a CPU between two windows (which empty it), up to the 1,024
 * of 4 KiB it had before it was sized */
#define SPILL_PER_CPU	128
/* processes remembered as announced, at least: 80 s of churn at 100 a second */
#define PROCS_SEEN_MIN	8192

uint32_t map_size(uint64_t want, uint32_t lo, uint32_t hi)
{
	uint64_t v = lo;

	while (v < want && v < hi)
		v *= 2;
	return v > hi ? hi : (uint32_t)v;
}

static uint64_t per_cpu(uint64_t n)
{
	int ncpu = libbpf_num_possible_cpus();

	return ncpu > 0 ? n * (uint64_t)ncpu : n;
}

uint32_t lru_entries(uint32_t want)
{
	return map_size(per_cpu(LRU_PER_CPU), want, 1U << 17);
}

void session_size_maps(struct bpf_object *obj)
{
	struct bpf_map *m;

	if (!obj)
		return;
	/* the processes announced: each live one is looked up at its
	 * samples and stays; the exited are the first evicted */
	if ((m = bpf_object__find_map_by_name(obj, "procs_seen")))
		bpf_map__set_max_entries(m, lru_entries(PROCS_SEEN_MIN));
	/* one window's refusals (under churn some 11 in 10 s) */
	if ((m = bpf_object__find_map_by_name(obj, "stacks_spill")))
		bpf_map__set_max_entries(m, map_size(per_cpu(SPILL_PER_CPU), 256, 1024));
}
