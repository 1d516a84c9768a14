// SPDX-License-Identifier: GPL-2.0
/* Symbolized profiles added up by name: see merge.h. */
#include <stdlib.h>
#include <string.h>

#include "model/merge.h"
#include "util/util.h"

struct key_ctx {
	const struct profile *p;
	const struct location *l;
};

/* Names and modules are interned in the merged profile: pointers compare. */
static bool same_loc(const void *ctx, uint32_t idx)
{
	const struct key_ctx *c = ctx;
	const struct location *a = &c->p->locs[idx], *b = c->l;

	return a->kind == b->kind && a->name == b->name && a->module == b->module &&
	       a->module_addr == b->module_addr && a->file == b->file && a->line == b->line &&
	       a->build_id == b->build_id;
}

static uint64_t loc_hash(const struct location *l)
{
	return hash_u64((uintptr_t)l->name ^ ((uint64_t)(uintptr_t)l->module << 7) ^
			l->module_addr ^ ((uint64_t)l->line << 40) ^ ((uint64_t)l->kind << 60));
}

/* A sample's identity: its stack (shared frames) and labels. */
static uint64_t sample_hash(const void *ctx, uint32_t idx)
{
	const struct merged *m = ctx;
	const struct sample *s = &m->p->samples[idx];

	return hash_u64(((uint64_t)s->first << 32 | s->nframes) ^
			hash_u64((uint64_t)s->pid << 32 | s->label));
}

struct sample_ctx {
	const struct profile *p;
	size_t s;
};

static bool same_sample(const void *ctx, uint32_t idx)
{
	const struct sample_ctx *c = ctx;
	const struct sample *a = &c->p->samples[idx], *b = &c->p->samples[c->s];

	return a->first == b->first && a->nframes == b->nframes && a->pid == b->pid &&
	       a->label == b->label;
}

static void start(struct merged *m, const struct profile *src)
{
	struct profile *p = m->p = profile_new();

	/* a scaled type stays one: not stored, 8 bytes a sample less */
	for (int t = 0; t < src->ntypes; t++)
		if (src->scaled_of[t])
			profile_add_scaled_type(p, src->types[t].name, src->types[t].unit,
						src->scaled_of[t] - 1, src->scale[t]);
		else
			profile_add_type(p, src->types[t].name, src->types[t].unit);
	memcpy(p->combine, src->combine, sizeof(p->combine));
	p->default_type = src->default_type;
	p->event = profile_intern(p, src->event);
	p->period_type.name = profile_intern(p, src->period_type.name);
	p->period_type.unit = profile_intern(p, src->period_type.unit);
	p->period = src->period;
	p->start_time_ns = src->start_time_ns;
	p->no_pids = true;	/* until a source has them */
	/* an entry per (process, stack): 4 bytes a slot */
	idxmap_compact(&m->samples, sample_hash, m);
}

static void add_loss(struct profile *p, const struct loss *l)
{
	for (size_t i = 0; i < p->nlosses; i++)
		if (!strcmp(p->losses[i].what, l->what)) {
			p->losses[i].count += l->count;
			return;
		}
	profile_add_loss(p, l->what, l->count, l->hint);
}

void merged_add(struct merged *m, const struct profile *src)
{
	uint32_t *map, *ids = NULL;
	int64_t vals[PROFILE_MAX_TYPES];
	size_t cap = 0;
	struct profile *p;

	if (!m->p)
		start(m, src);
	p = m->p;
	if (src->ntypes != p->ntypes)
		return;		/* not the same collector's: nothing to add up */
	p->no_pids &= src->no_pids;
	map = xcalloc(src->nlocs + 1, sizeof(*map));
	for (size_t i = 0; i < src->nlocs; i++) {
		struct location l = src->locs[i];
		struct key_ctx c = { p, &l };
		uint64_t h;
		int64_t at;

		l.name = profile_intern(p, l.name ? l.name : "[unknown]");
		l.module = profile_intern(p, l.module);
		l.build_id = profile_intern(p, l.build_id);
		l.file = profile_intern(p, l.file);
		h = loc_hash(&l);
		at = idxmap_find(&m->locs, h, same_loc, &c);
		if (at < 0) {
			at = profile_add_location(p, &l);
			idxmap_insert(&m->locs, h, (uint32_t)at);
		}
		map[i] = (uint32_t)at;
	}
	for (size_t s = 0; s < src->nsamples; s++) {
		const struct sample *smp = &src->samples[s];
		const uint32_t *fr = profile_sample_frames(src, s);
		const struct sample_label *lb = sample_label(src, smp);
		struct sample_ctx sc = { p, 0 };
		uint32_t at;

		GROW(ids, cap, smp->nframes + 1);
		for (uint32_t i = 0; i < smp->nframes; i++)
			ids[i] = map[fr[i]];
		for (int t = 0; t < src->ntypes; t++)
			vals[t] = profile_value(src, s, t);
		sc.s = profile_add_sample(p, ids, smp->nframes, smp->pid, lb->tid, lb->comm, vals);
		if (lb->cgroup)
			profile_set_cgroup(p, sc.s, lb->cgroup);
		/* the same stack and labels in an earlier piece: one sample, the values combined */
		at = idxmap_find_or_insert(&m->samples, sample_hash(m, sc.s), same_sample, &sc,
					   sc.s);
		if (at != sc.s)
			profile_fold_last_sample(p, at);
	}
	for (size_t i = 0; i < src->nlosses; i++)
		add_loss(p, &src->losses[i]);
	if (src->start_time_ns + src->duration_ns > p->start_time_ns)
		p->duration_ns = src->start_time_ns + src->duration_ns - p->start_time_ns;
	free(ids);
	free(map);
}

struct profile *merged_take(struct merged *m)
{
	struct profile *p = m->p;

	idxmap_free(&m->locs);
	idxmap_free(&m->samples);
	memset(m, 0, sizeof(*m));
	return p;
}

void merged_free(struct merged *m)
{
	profile_free(merged_take(m));
}
