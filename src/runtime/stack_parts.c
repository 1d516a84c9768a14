// SPDX-License-Identifier: GPL-2.0
/*
 * Stacks read in one pass and kept as lists of locations (stack_parts.h).
 * Each wanted stack id has an entry (16 bytes; 8 more until the pass is
 * done) and a 4-byte slot in a compact idxmap; what it becomes is a part,
 * a list of location ids stored once however many stacks come to it.  A user stack wanted by two
 * processes (two lifetimes of a pid, or a fork that shares its parent's
 * addresses) keeps its frames instead, made into locations per sample.
 */
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "common.h"
#include "runtime/stack_parts.h"
#include "util/idxmap.h"
#include "util/util.h"

/*
 * What an entry's kpart and upart hold: a part (a raw run for a shared user
 * stack), or one of these.  The top bit of upart says the user stack is
 * shared: wanted by more than one (pid, life).
 */
#define PART_UNWANTED 0x7fffffffU	/* no sample wants it as this kind */
#define PART_NONE (0x7fffffffU - 1)	/* wanted, not read yet */
#define PART_LOST (0x7fffffffU - 2)	/* in neither map */
#define PART_SHARED 0x80000000U
#define MAX_IDS (2 * MAX_STACK_DEPTH)

/*
 * One per wanted stack id: under churn nearly every sample has stack ids
 * of its own, 1.3 million entries in a 10-minute run, alive beside the
 * whole profile at the end of cpu_collect (its peak), so 16 bytes, not 32:
 * who first wanted a user stack lives in a parallel array freed after the
 * pass.
 */
struct sp_entry {
	uint64_t id;
	uint32_t kpart, upart;	/* its part as each kind (a shared user stack: its raw) */
};

/* The first process to want a user stack: (pid, life), until read. */
struct sp_who {
	uint32_t pid, life;
};

/*
 * Runs of values (location ids, or raw frames) one after another in one
 * array, each run found by its number.
 */
struct run_pool {
	void *vals;
	size_t size;		/* bytes a value */
	size_t nvals, vals_cap;
	struct run { uint32_t first, len; } *runs;
	size_t nruns, runs_cap;
};

struct stack_parts {
	const struct stack_maps *sm;
	uint32_t depth;		/* frames a value of the maps holds */
	struct sp_entry *e;
	size_t n, cap;
	struct sp_who *who;	/* beside e until stack_parts_read is done */
	size_t who_cap;
	bool read;		/* stack_parts_read done: no more wants */
	struct idxmap index;	/* of e by id, compact */

	/* parts: location lists, each distinct one once */
	struct run_pool parts;
	struct idxmap part_index;	/* compact */
	/* raw frames of shared user stacks */
	struct run_pool raw;

	uint32_t buf[MAX_IDS];
};

static uint32_t run_add(struct run_pool *rp, const void *vals, uint32_t n)
{
	GROW_RAW(rp->runs, rp->runs_cap, rp->nruns + 1);
	grow_array_raw(&rp->vals, &rp->vals_cap, rp->nvals + n, rp->size);
	memcpy((char *)rp->vals + rp->nvals * rp->size, vals, n * rp->size);
	rp->runs[rp->nruns] = (struct run){ rp->nvals, n };
	rp->nvals += n;
	return rp->nruns++;
}

static const void *run_at(const struct run_pool *rp, uint32_t r, uint32_t *n)
{
	*n = rp->runs[r].len;
	return (const char *)rp->vals + rp->runs[r].first * rp->size;
}

static void run_pool_free(struct run_pool *rp)
{
	free(rp->vals);
	free(rp->runs);
}

static uint64_t part_hash(const uint32_t *ids, uint32_t n)
{
	return hash_bytes(ids, n * sizeof(*ids), n);
}

static uint64_t part_hash_of(const void *ctx, uint32_t idx)
{
	const struct stack_parts *sp = ctx;
	uint32_t n;
	const uint32_t *ids = run_at(&sp->parts, idx, &n);

	return part_hash(ids, n);
}

static uint64_t entry_hash_of(const void *ctx, uint32_t idx)
{
	return hash_u64(((const struct stack_parts *)ctx)->e[idx].id);
}

struct stack_parts *stack_parts_new(const struct stack_maps *sm)
{
	struct stack_parts *sp = xcalloc(1, sizeof(*sp));

	sp->sm = sm;
	sp->depth = stack_maps_depth(sm);
	sp->parts.size = sizeof(uint32_t);
	sp->raw.size = sizeof(uint64_t);
	idxmap_compact(&sp->index, entry_hash_of, sp);
	idxmap_compact(&sp->part_index, part_hash_of, sp);
	return sp;
}

struct id_key {
	const struct stack_parts *sp;
	uint64_t id;
};

static bool id_eq(const void *ctx, uint32_t idx)
{
	const struct id_key *k = ctx;

	return k->sp->e[idx].id == k->id;
}

static struct sp_entry *find(const struct stack_parts *sp, uint64_t id)
{
	struct id_key k = { sp, id };
	int64_t i = idxmap_find(&sp->index, hash_u64(id), id_eq, &k);

	return i < 0 ? NULL : &sp->e[i];
}

static struct sp_entry *get(struct stack_parts *sp, uint64_t id)
{
	struct id_key k = { sp, id };
	uint32_t i = idxmap_find_or_insert(&sp->index, hash_u64(id), id_eq, &k, sp->n);

	if (i < sp->n)
		return &sp->e[i];
	GROW_RAW(sp->e, sp->cap, sp->n + 1);
	GROW_RAW(sp->who, sp->who_cap, sp->n + 1);
	sp->e[sp->n] = (struct sp_entry){ .id = id, .kpart = PART_UNWANTED, .upart = PART_UNWANTED };
	sp->who[sp->n] = (struct sp_who){ 0, 0 };
	return &sp->e[sp->n++];
}

void stack_parts_want(struct stack_parts *sp, uint64_t id, enum frame_kind kind, uint32_t pid,
		      uint32_t life)
{
	struct sp_entry *e;
	struct sp_who *w;

	/* none, or an error code: stack_read says so without a lookup */
	if (!(id & STACK_ID_VALID_BIT))
		return;
	/* want, then read, then add: a want after the read would find who
	 * freed and the stack never read */
	if (sp->read) {
		pr_err("internal error: stack_parts_want after stack_parts_read");
		abort();
	}
	e = get(sp, id);
	if (kind == FRAME_KERNEL) {
		e->kpart = PART_NONE;
		return;
	}
	w = &sp->who[e - sp->e];
	if (e->upart == PART_UNWANTED) {
		e->upart = PART_NONE;
		*w = (struct sp_who){ pid, life };
	} else if (w->pid != pid || w->life != life) {
		e->upart |= PART_SHARED;
	}
}

struct part_key {
	const struct stack_parts *sp;
	const uint32_t *ids;
	uint32_t n;
};

static bool part_eq(const void *ctx, uint32_t idx)
{
	const struct part_key *k = ctx;
	uint32_t n;
	const uint32_t *ids = run_at(&k->sp->parts, idx, &n);

	return n == k->n && !memcmp(ids, k->ids, n * sizeof(*ids));
}

static uint32_t intern(struct stack_parts *sp, const uint32_t *ids, uint32_t n)
{
	struct part_key k = { sp, ids, n };
	uint32_t i = idxmap_find_or_insert(&sp->part_index, part_hash(ids, n), part_eq, &k,
					   sp->parts.nruns);

	return i < sp->parts.nruns ? i : run_add(&sp->parts, ids, n);
}

/*
 * What a stack's frames become: a part, a raw copy, or lost (no frames).
 * Its frames end at the first 0 among the stride its value holds.
 */
static void convert(struct stack_parts *sp, struct profile *p, struct sp_entry *e,
		    const uint64_t *ips, uint32_t stride)
{
	uint32_t nr = 0, n = 0;

	while (nr < stride && ips[nr])
		nr++;
	if (e->kpart == PART_NONE) {
		n = 0;
		if (nr)
			profile_stack(p, sp->buf, &n, MAX_IDS, FRAME_KERNEL, 0, ips, nr, true);
		e->kpart = nr ? intern(sp, sp->buf, n) : PART_LOST;
	}
	if ((e->upart & ~PART_SHARED) == PART_NONE) {
		const struct sp_who *w = &sp->who[e - sp->e];
		uint32_t shared = e->upart & PART_SHARED;

		if (!nr) {
			e->upart = PART_LOST | shared;
		} else if (shared) {
			e->upart = run_add(&sp->raw, ips, nr) | shared;
		} else {
			n = 0;
			profile_stack_life(p, sp->buf, &n, MAX_IDS, FRAME_USER, w->pid, w->life, ips, nr,
					   true);
			e->upart = intern(sp, sp->buf, n);
		}
	}
}

/*
 * A lookup alone costs about as much as this many entries of a pass.
 * Measured under churn (-v): a window of ~2,800 stacks made its samples
 * in 6.0-6.6 ms by lookups, while with a pass that time grew by about
 * 1 ms per 1,000 entries the map held (each value copied whole), from
 * 7.5 ms at the first window to 25 ms at the eighth.  So a pass only over
 * fewer entries than this many per wanted stack.
 */
#define LOOKUP_ENTRIES 2

struct chunk_ctx {
	struct stack_parts *sp;
	struct profile *p;
	size_t met;
};

static void read_chunk(void *ctx, const uint64_t *ids, const uint64_t *vals, size_t n,
		       uint32_t stride)
{
	struct chunk_ctx *c = ctx;

	c->met += n;
	for (size_t i = 0; i < n; i++) {
		struct sp_entry *e = find(c->sp, ids[i]);

		if (e)
			convert(c->sp, c->p, e, vals + i * stride, stride);
	}
}

void stack_parts_read(struct stack_parts *sp, struct profile *p, size_t *entries)
{
	struct chunk_ctx c = { sp, p, 0 };
	uint64_t *buf = xmalloc(sizeof(struct stack_frames));
	bool pass = !*entries || sp->n * LOOKUP_ENTRIES >= *entries;

	if (pass)
		stack_maps_read_all(sp->sm, read_chunk, &c);
	/*
	 * Stored after the pass went by (the samples that name it were
	 * counted later), or never: asked for alone before it is lost.
	 */
	for (size_t i = 0; i < sp->n; i++) {
		struct sp_entry *e = &sp->e[i];

		if (e->kpart != PART_NONE && (e->upart & ~PART_SHARED) != PART_NONE)
			continue;
		if (stack_maps_lookup(sp->sm, e->id, buf))
			buf[0] = 0;
		convert(sp, p, e, buf, sp->depth);
	}
	free(buf);
	/* every user stack is a part or a raw run now: who wanted it is done */
	free(sp->who);
	sp->who = NULL;
	sp->who_cap = 0;
	sp->read = true;
	pr_debug("stack parts: %zu stack ids, %zu parts (%zu ids), %zu shared user stacks (%zu frames); "
		 "%s", sp->n, sp->parts.nruns, sp->parts.nvals, sp->raw.nruns, sp->raw.nvals,
		 pass ? "one pass over the maps" : "each looked up alone");
	*entries = pass ? c.met : *entries + sp->n;
}

void stack_parts_add(struct stack_parts *sp, struct profile *p, uint64_t id, enum frame_kind kind,
		     uint32_t pid, uint32_t life, uint32_t *ids, uint32_t *n)
{
	struct sp_entry *e = id & STACK_ID_VALID_BIT ? find(sp, id) : NULL;
	uint32_t part = !e ? PART_UNWANTED : kind == FRAME_KERNEL ? e->kpart : e->upart, len;
	bool shared = kind != FRAME_KERNEL && (part & PART_SHARED);
	const uint32_t *locs;

	part &= ~PART_SHARED;
	if (part == PART_UNWANTED || part == PART_NONE) {
		/* not wanted: as one sample alone would have it */
		session_add_stack(p, sp->sm, id, kind, pid, life, true, ids, n);
		return;
	}
	if (part == PART_LOST) {
		session_lost_stack(p, kind, pid, ids, n);
		return;
	}
	if (shared) {
		const uint64_t *ips = run_at(&sp->raw, part, &len);

		profile_stack(p, ids, n, MAX_IDS, kind, pid, ips, len, true);
		return;
	}
	locs = run_at(&sp->parts, part, &len);
	for (uint32_t i = 0; i < len && *n < MAX_IDS; i++)
		ids[(*n)++] = locs[i];
}

void stack_parts_free(struct stack_parts *sp)
{
	if (!sp)
		return;
	free(sp->e);
	free(sp->who);
	idxmap_free(&sp->index);
	run_pool_free(&sp->parts);
	idxmap_free(&sp->part_index);
	run_pool_free(&sp->raw);
	free(sp);
}
