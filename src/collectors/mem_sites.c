// SPDX-License-Identifier: GPL-2.0
/*
 * profiler mem's rows: what the kernel kept (allocated totals per site,
 * live blocks by address, munmaps) read into one table of sites, each a
 * stack of one program.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <linux/types.h>

#include "mem.h"
#include "collectors/mem_sites.h"
#include "runtime/deltas.h"
#include "runtime/runtime.h"
#include "util/util.h"

static bool site_eq(const void *ctx, uint32_t idx)
{
	const struct site_table *t = ctx;

	return t->v[idx].pid == t->key_pid && t->v[idx].life == t->key_life &&
	       t->v[idx].stack == t->key_stack;
}

/* A site is a stack of one program: a pid's lifetimes and execs apart. */
static struct site *site_get(struct site_table *t, uint32_t pid, uint32_t life, uint64_t stack)
{
	uint64_t h = hash_u64(stack ^ ((uint64_t)pid << 32 | pid) ^ (uint64_t)life << 21);
	int64_t i;

	t->key_pid = pid;
	t->key_life = life;
	t->key_stack = stack;
	i = idxmap_find(&t->index, h, site_eq, t);
	if (i >= 0)
		return &t->v[i];
	GROW(t->v, t->cap, t->n + 1);
	t->v[t->n] = (struct site){ .pid = pid, .life = life, .stack = stack };
	idxmap_insert(&t->index, h, t->n);
	return &t->v[t->n++];
}

/* Allocations since the last collect (whole: since the start); what is
 * outstanding (read_live) is state, as it is at the window's end. */
void mem_read_sites(int fd, int sums_fd, struct site_table *t, struct deltas *windows, bool whole)
{
	struct mem_site key, next, *prev = NULL;
	struct mem_totals v;
	__u32 idx;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &idx) || bpf_map_lookup_elem(sums_fd, &idx, &v))
			continue;
		/* a site with nothing new keeps its name for what it still holds */
		deltas_take(windows, &key, (uint64_t *)&v, whole);
		struct site *s = site_get(t, key.pid, key.life, key.stack);

		/* the same stack under two names (exec, prctl): the first name stays */
		if (!s->comm[0])
			memcpy(s->comm, key.comm, TASK_COMM_LEN);
		s->alloc_count += v.count;
		s->alloc_bytes += v.bytes;
	}
}

/* The munmaps BPF left to us, sorted for mem_region_left. */
struct mem_cut *mem_read_cuts(int fd, size_t *n)
{
	struct mem_unmap *keys = NULL;
	uint64_t *lens = NULL;
	struct mem_cut *cuts;
	long got = map_read_all(fd, sizeof(*keys), sizeof(*lens), (void **)&keys, (void **)&lens);

	if (got < 0) {
		pr_warn("reading munmaps: %s", strerror((int)-got));
		got = 0;
	}
	cuts = xcalloc(got + 1, sizeof(*cuts));
	for (long i = 0; i < got; i++)
		cuts[i] = (struct mem_cut){ keys[i].addr, lens[i], keys[i].ts, keys[i].pid };
	mem_cuts_sort(cuts, got);
	free(keys);
	free(lens);
	*n = got;
	return cuts;
}

/* One live block: a region from mmap counts what munmaps left of it. */
static void count_live(struct site_table *t, uint64_t addr, uint32_t addr_pid,
		       const struct mem_live *v, const struct mem_cut *cuts, size_t ncuts)
{
	uint64_t size = v->size;
	struct site *s;

	if (v->flags & MEM_LIVE_MMAP)
		size = mem_region_left(addr, size, addr_pid, v->ts, cuts, ncuts);
	if (!size)
		return;	/* all of it unmapped, a piece at a time */
	s = site_get(t, v->pid, MEM_LIVE_LIFE(v->flags), v->stack);
	s->inuse_count++;
	s->inuse_bytes += size;
	if (!s->oldest_ts || v->ts < s->oldest_ts)
		s->oldest_ts = v->ts;
}

/* The array in front of `live` (include/mem.h), mapped and read whole. */
void mem_read_live_slots(int fd, uint32_t buckets, struct site_table *t,
			 const struct mem_cut *cuts, size_t ncuts)
{
	size_t len = (size_t)buckets * sizeof(struct mem_live_bucket);
	const struct mem_live_bucket *b;

	b = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (b == MAP_FAILED) {
		pr_warn("reading live allocations: %s", strerror(errno));
		return;
	}
	for (uint32_t i = 0; i < buckets; i++) {
		for (int j = 0; j < MEM_LIVE_WAYS; j++) {
			uint64_t k = __atomic_load_n(&b[i].key[j], __ATOMIC_ACQUIRE);
			struct mem_live v = b[i].v[j];

			/* marks (free, being written) lie below a key's pid */
			if (k >> MEM_LIVE_ADDR_BITS)
				count_live(t, (k & ((1ULL << MEM_LIVE_ADDR_BITS) - 1)) << 4,
					   k >> MEM_LIVE_ADDR_BITS, &v, cuts, ncuts);
		}
	}
	munmap((void *)b, len);
}

/* Batch reads: a million live allocations in a few hundred system calls. */
void mem_read_live(int fd, struct site_table *t, const struct mem_cut *cuts, size_t ncuts)
{
	enum { CHUNK = 8192 };
	struct mem_addr *keys = xcalloc(CHUNK, sizeof(*keys));
	struct mem_live *vals = xcalloc(CHUNK, sizeof(*vals));
	struct mem_addr out;
	void *in = NULL;
	int err = 0;

	while (!err) {
		__u32 n = CHUNK;

		err = bpf_map_lookup_batch(fd, in, &out, keys, vals, &n, NULL);
		if (err && errno != ENOENT) {
			pr_warn("reading live allocations: %s", strerror(errno));
			break;
		}
		for (__u32 i = 0; i < n; i++)
			count_live(t, keys[i].addr, keys[i].pid, &vals[i], cuts, ncuts);
		in = &out;
	}
	free(keys);
	free(vals);
}

void site_table_free(struct site_table *t)
{
	free(t->v);
	idxmap_free(&t->index);
}
