// SPDX-License-Identifier: GPL-2.0
/*
 * Stacks read in one pass and kept as lists of locations (stack_parts.h).
 * Each wanted stack id has an entry (32 bytes) and a slot in a table of
 * 4-byte slots; what it becomes is a part, a list of location ids stored
 * once however many stacks come to it.  A user stack wanted by two
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

#define PART_NONE UINT32_MAX		/* not read yet */
#define PART_LOST (UINT32_MAX - 1)	/* in neither map */
#define MAX_IDS (2 * MAX_STACK_DEPTH)

enum { WANT_KERNEL = 1, WANT_USER = 2 };

struct sp_entry {
	uint64_t id;
	uint32_t pid, life;	/* the first process to want it as a user stack */
	uint32_t kpart, upart;	/* its part as each kind; a shared user stack: its raw */
	uint8_t want;
	bool shared;		/* a user stack wanted by more than one (pid, life) */
};

struct stack_parts {
	const struct stack_maps *sm;
	uint32_t depth;		/* frames a value of the maps holds */
	struct sp_entry *e;
	size_t n, cap;
	uint32_t *slots;	/* entry + 1, 0: empty; open addressing */
	size_t nslots;		/* a power of two, at least twice n */

	/* parts: location lists, each distinct one once */
	uint32_t *locs;
	size_t nlocs, locs_cap;
	uint32_t *first, *len;
	size_t nparts, parts_cap;
	struct idxmap part_index;

	/* raw frames of shared user stacks */
	uint64_t *raw;
	size_t nraw, raw_cap;
	uint32_t *raw_first, *raw_len;
	size_t nraws, raws_cap;

	uint32_t buf[MAX_IDS];
};

struct stack_parts *stack_parts_new(const struct stack_maps *sm)
{
	struct stack_parts *sp = xcalloc(1, sizeof(*sp));

	sp->sm = sm;
	sp->depth = stack_maps_depth(sm);
	return sp;
}

static struct sp_entry *find(const struct stack_parts *sp, uint64_t id)
{
	size_t mask = sp->nslots - 1;

	if (!sp->nslots)
		return NULL;
	for (size_t i = hash_u64(id) & mask;; i = (i + 1) & mask) {
		uint32_t s = sp->slots[i];

		if (!s)
			return NULL;
		if (sp->e[s - 1].id == id)
			return &sp->e[s - 1];
	}
}

static void slot_in(struct stack_parts *sp, uint32_t idx)
{
	size_t mask = sp->nslots - 1, i = hash_u64(sp->e[idx].id) & mask;

	while (sp->slots[i])
		i = (i + 1) & mask;
	sp->slots[i] = idx + 1;
}

static struct sp_entry *get(struct stack_parts *sp, uint64_t id)
{
	struct sp_entry *e = find(sp, id);

	if (e)
		return e;
	if ((sp->n + 1) * 2 > sp->nslots) {
		free(sp->slots);
		sp->nslots = sp->nslots ? 2 * sp->nslots : 1024;
		sp->slots = xcalloc(sp->nslots, sizeof(*sp->slots));
		for (size_t i = 0; i < sp->n; i++)
			slot_in(sp, i);
	}
	if (sp->n == sp->cap) {
		sp->cap = sp->cap ? 2 * sp->cap : 1024;
		sp->e = xrealloc(sp->e, sp->cap * sizeof(*sp->e));
	}
	e = &sp->e[sp->n];
	*e = (struct sp_entry){ .id = id, .kpart = PART_NONE, .upart = PART_NONE };
	slot_in(sp, sp->n++);
	return e;
}

void stack_parts_want(struct stack_parts *sp, uint64_t id, enum frame_kind kind, uint32_t pid,
		      uint32_t life)
{
	struct sp_entry *e;

	/* none, or an error code: stack_read says so without a lookup */
	if (!(id & STACK_ID_VALID_BIT))
		return;
	e = get(sp, id);
	if (kind == FRAME_KERNEL) {
		e->want |= WANT_KERNEL;
		return;
	}
	if (!(e->want & WANT_USER)) {
		e->want |= WANT_USER;
		e->pid = pid;
		e->life = life;
	} else if (e->pid != pid || e->life != life) {
		e->shared = true;
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

	return k->sp->len[idx] == k->n &&
	       !memcmp(k->sp->locs + k->sp->first[idx], k->ids, k->n * sizeof(*k->ids));
}

static uint32_t intern(struct stack_parts *sp, const uint32_t *ids, uint32_t n)
{
	struct part_key k = { sp, ids, n };
	uint64_t h = hash_bytes(ids, n * sizeof(*ids), n);
	int64_t i = idxmap_find(&sp->part_index, h, part_eq, &k);

	if (i >= 0)
		return i;
	if (sp->nparts == sp->parts_cap) {
		sp->parts_cap = sp->parts_cap ? 2 * sp->parts_cap : 256;
		sp->first = xrealloc(sp->first, sp->parts_cap * sizeof(*sp->first));
		sp->len = xrealloc(sp->len, sp->parts_cap * sizeof(*sp->len));
	}
	GROW(sp->locs, sp->locs_cap, sp->nlocs + n);
	memcpy(sp->locs + sp->nlocs, ids, n * sizeof(*ids));
	sp->first[sp->nparts] = sp->nlocs;
	sp->len[sp->nparts] = n;
	sp->nlocs += n;
	idxmap_insert(&sp->part_index, h, sp->nparts);
	return sp->nparts++;
}

static uint32_t keep_raw(struct stack_parts *sp, const uint64_t *ips, uint32_t nr)
{
	if (sp->nraws == sp->raws_cap) {
		sp->raws_cap = sp->raws_cap ? 2 * sp->raws_cap : 64;
		sp->raw_first = xrealloc(sp->raw_first, sp->raws_cap * sizeof(*sp->raw_first));
		sp->raw_len = xrealloc(sp->raw_len, sp->raws_cap * sizeof(*sp->raw_len));
	}
	GROW(sp->raw, sp->raw_cap, sp->nraw + nr);
	memcpy(sp->raw + sp->nraw, ips, nr * sizeof(*ips));
	sp->raw_first[sp->nraws] = sp->nraw;
	sp->raw_len[sp->nraws] = nr;
	sp->nraw += nr;
	return sp->nraws++;
}

/* What a stack's frames become: a part, a raw copy, or lost (no frames). */
static void convert(struct stack_parts *sp, struct profile *p, struct sp_entry *e,
		    const uint64_t *ips)
{
	uint32_t nr = 0, n = 0;

	while (nr < sp->depth && ips[nr])
		nr++;
	if ((e->want & WANT_KERNEL) && e->kpart == PART_NONE) {
		n = 0;
		if (nr)
			profile_stack(p, sp->buf, &n, MAX_IDS, FRAME_KERNEL, 0, ips, nr, true);
		e->kpart = nr ? intern(sp, sp->buf, n) : PART_LOST;
	}
	if ((e->want & WANT_USER) && e->upart == PART_NONE) {
		if (!nr) {
			e->upart = PART_LOST;
		} else if (e->shared) {
			e->upart = keep_raw(sp, ips, nr);
		} else {
			n = 0;
			profile_set_life(p, e->life);
			profile_stack(p, sp->buf, &n, MAX_IDS, FRAME_USER, e->pid, ips, nr, true);
			profile_set_life(p, 0);
			e->upart = intern(sp, sp->buf, n);
		}
	}
}

struct chunk_ctx {
	struct stack_parts *sp;
	struct profile *p;
};

static void read_chunk(void *ctx, const void *keys, const void *vals, size_t n)
{
	struct chunk_ctx *c = ctx;
	const uint64_t *ids = keys;

	for (size_t i = 0; i < n; i++) {
		struct sp_entry *e = find(c->sp, ids[i]);

		if (e)
			convert(c->sp, c->p, e, (const uint64_t *)vals + i * c->sp->depth);
	}
}

void stack_parts_read(struct stack_parts *sp, struct profile *p)
{
	struct chunk_ctx c = { sp, p };
	uint32_t vsize = sp->depth * sizeof(uint64_t);
	uint64_t *buf = xmalloc(sizeof(struct stack_frames));

	map_read_chunks(sp->sm->fd, sizeof(uint64_t), vsize, read_chunk, &c);
	map_read_chunks(sp->sm->spill_fd, sizeof(uint64_t), vsize, read_chunk, &c);
	if (sp->sm->short_fd >= 0) {
		/* values of STACK_SHORT_DEPTH frames: read and cut at that stride */
		uint32_t depth = sp->depth;

		sp->depth = STACK_SHORT_DEPTH;
		map_read_chunks(sp->sm->short_fd, sizeof(uint64_t),
				sizeof(struct stack_frames_short), read_chunk, &c);
		sp->depth = depth;
	}
	/*
	 * Stored after the pass went by (the samples that name it were
	 * counted later), or never: asked for alone before it is lost.
	 */
	for (size_t i = 0; i < sp->n; i++) {
		struct sp_entry *e = &sp->e[i];

		if (!(((e->want & WANT_KERNEL) && e->kpart == PART_NONE) ||
		      ((e->want & WANT_USER) && e->upart == PART_NONE)))
			continue;
		memset(buf, 0, sizeof(struct stack_frames));
		if (bpf_map_lookup_elem(sp->sm->fd, &e->id, buf) &&
		    bpf_map_lookup_elem(sp->sm->spill_fd, &e->id, buf) &&
		    (sp->sm->short_fd < 0 ||
		     bpf_map_lookup_elem(sp->sm->short_fd, &e->id, buf)))
			buf[0] = 0;
		convert(sp, p, e, buf);
	}
	free(buf);
}

void stack_parts_add(struct stack_parts *sp, struct profile *p, uint64_t id, enum frame_kind kind,
		     uint32_t pid, uint32_t *ids, uint32_t *n)
{
	struct sp_entry *e = id & STACK_ID_VALID_BIT ? find(sp, id) : NULL;
	uint32_t part = !e ? PART_NONE : kind == FRAME_KERNEL ? e->kpart : e->upart;

	if (part == PART_NONE) {
		/* not wanted: as one sample alone would have it */
		session_add_stack(p, sp->sm, id, kind, pid, true, ids, n);
		return;
	}
	if (part == PART_LOST) {
		session_lost_stack(p, kind, pid, ids, n);
		return;
	}
	if (kind != FRAME_KERNEL && e->shared) {
		profile_stack(p, ids, n, MAX_IDS, kind, pid, sp->raw + sp->raw_first[part],
			      sp->raw_len[part], true);
		return;
	}
	for (uint32_t i = 0; i < sp->len[part] && *n < MAX_IDS; i++)
		ids[(*n)++] = sp->locs[sp->first[part] + i];
}

void stack_parts_free(struct stack_parts *sp)
{
	if (!sp)
		return;
	free(sp->e);
	free(sp->slots);
	free(sp->locs);
	free(sp->first);
	free(sp->len);
	idxmap_free(&sp->part_index);
	free(sp->raw);
	free(sp->raw_first);
	free(sp->raw_len);
	free(sp);
}
