// SPDX-License-Identifier: GPL-2.0
/* Ticks added up into windows: see merge.h. */
#include <stdlib.h>
#include <string.h>

#include "agent/merge.h"
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

static void start(struct merged *m, const struct profile *src)
{
	struct profile *p = m->p = profile_new();

	for (int t = 0; t < src->ntypes; t++)
		profile_add_type(p, src->types[t].name, src->types[t].unit);
	memcpy(p->combine, src->combine, sizeof(p->combine));
	p->default_type = src->default_type;
	p->event = profile_intern(p, src->event);
	p->period_type.name = profile_intern(p, src->period_type.name);
	p->period_type.unit = profile_intern(p, src->period_type.unit);
	p->period = src->period;
	p->start_time_ns = src->start_time_ns;
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

		GROW(ids, cap, smp->nframes + 1);
		for (uint32_t i = 0; i < smp->nframes; i++)
			ids[i] = map[fr[i]];
		for (int t = 0; t < src->ntypes; t++)
			vals[t] = profile_value(src, s, t);
		profile_add_sample(p, ids, smp->nframes, smp->pid, sample_label(src, smp)->tid,
				   sample_label(src, smp)->comm, vals);
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
	memset(m, 0, sizeof(*m));
	return p;
}

void merged_free(struct merged *m)
{
	profile_free(merged_take(m));
}
