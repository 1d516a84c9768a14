// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "common.h"
#include "python.h"
#include "model/profile.h"
#include "util/util.h"

static uint64_t loc_hash(const struct location *l)
{
	return hash_u64(l->addr ^ ((uint64_t)l->pid << 32) ^ ((uint64_t)l->kind << 60) ^
			((uint64_t)l->is_return << 62) ^ ((uint64_t)l->ra_slot << 52) ^
			((uint64_t)l->life * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)l->file_id << 40));
}

static uint64_t stack_hash(const uint32_t *locs, uint32_t n)
{
	return hash_bytes(locs, n * sizeof(*locs), n);
}

static uint64_t stack_hash_of(const void *ctx, uint32_t idx)
{
	const struct profile *p = ctx;

	return stack_hash(profile_sample_frames(p, idx), p->samples[idx].nframes);
}

struct profile *profile_new(void)
{
	struct profile *p = xcalloc(1, sizeof(*p));

	p->period_type.name = "";
	p->period_type.unit = "";
	/*
	 * A sample per process and stack under churn, most with a stack of
	 * their own: 4-byte slots.  Not the locations' index, which every
	 * frame of every stack asks (a compact probe compares locations at
	 * each slot it passes: 3% of the run's CPU in loc_eq) for fewer
	 * entries (181,000 locations to 742,000 samples in 10 minutes).
	 */
	idxmap_compact(&p->stack_index, stack_hash_of, p);
	return p;
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nstrings; i++)
		free(p->strings[i]);
	free(p->strings);
	idxmap_free(&p->string_index);
	idxmap_free(&p->loc_index);
	idxmap_free(&p->stack_index);
	idxmap_free(&p->label_index);
	free(p->labels);
	free(p->samples);
	free(p->values);
	free(p->frames);
	free(p->locs);
	free(p->losses);
	free(p->hists);
	for (size_t i = 0; i < p->ntables; i++) {
		struct table *t = &p->tables[i];

		for (size_t c = 0; c < t->nrows * t->ncols; c++)
			free(t->cells[c]);
		free(t->cells);
	}
	free(p->tables);
	free(p);
}

int profile_add_type(struct profile *p, const char *name, const char *unit)
{
	if (p->ntypes >= PROFILE_MAX_TYPES || p->nsamples)
		return -1;
	p->types[p->ntypes].name = profile_intern(p, name);
	p->types[p->ntypes].unit = profile_intern(p, unit);
	p->column[p->ntypes] = p->nstored++;
	return p->ntypes++;
}

int profile_add_scaled_type(struct profile *p, const char *name, const char *unit, int of,
			    int64_t scale)
{
	if (p->ntypes >= PROFILE_MAX_TYPES || p->nsamples || of < 0 || of >= p->ntypes ||
	    p->scaled_of[of])
		return -1;
	p->types[p->ntypes].name = profile_intern(p, name);
	p->types[p->ntypes].unit = profile_intern(p, unit);
	p->scaled_of[p->ntypes] = of + 1;
	p->scale[p->ntypes] = scale;
	return p->ntypes++;
}

int profile_find_type(const struct profile *p, const char *name)
{
	for (int i = 0; i < p->ntypes; i++)
		if (!strcmp(p->types[i].name, name))
			return i;
	return -1;
}

struct str_ctx {
	const struct profile *p;
	const char *s;
};

static bool str_eq(const void *ctx, uint32_t idx)
{
	const struct str_ctx *c = ctx;

	return !strcmp(c->p->strings[idx], c->s);
}

const char *profile_intern(struct profile *p, const char *s)
{
	struct str_ctx c = { p, s };
	uint64_t h;
	int64_t i;

	if (!s)
		return NULL;
	h = hash_bytes(s, strlen(s), 0);
	i = idxmap_find(&p->string_index, h, str_eq, &c);
	if (i >= 0)
		return p->strings[i];
	GROW(p->strings, p->strings_cap, p->nstrings + 1);
	p->strings[p->nstrings] = xstrdup(s);
	idxmap_insert(&p->string_index, h, p->nstrings);
	return p->strings[p->nstrings++];
}

struct loc_ctx {
	const struct profile *p;
	const struct location *l;
};

static bool loc_eq(const void *ctx, uint32_t idx)
{
	const struct loc_ctx *c = ctx;
	const struct location *a = &c->p->locs[idx], *b = c->l;

	return a->addr == b->addr && a->pid == b->pid && a->kind == b->kind &&
	       a->is_return == b->is_return && a->ra_slot == b->ra_slot && a->life == b->life &&
	       a->file_id == b->file_id;
}

/* The location of (kind, pid, life, addr), created on first use. */
static uint32_t location_of(struct profile *p, enum frame_kind kind, uint32_t pid, uint32_t life,
			    uint64_t addr, bool is_return, uint8_t slot)
{
	struct location l = {
		.addr = addr,
		.pid = kind == FRAME_KERNEL ? 0 : pid,
		.life = kind == FRAME_KERNEL ? 0 : life,
		.kind = kind,
		.is_return = is_return,
		.ra_slot = slot,
	};
	struct loc_ctx c = { p, &l };
	uint64_t off;
	uint32_t file, i;

	if (kind == FRAME_USER && p->file_of && p->file_of(p->file_ctx, pid, l.life, addr, &file, &off)) {
		l.file_id = file + 1;
		l.addr = off;
		l.pid = 0;
		l.life = 0;
	}
	i = idxmap_find_or_insert(&p->loc_index, loc_hash(&l), loc_eq, &c, p->nlocs);
	if (i < p->nlocs)
		return i;
	GROW_RAW(p->locs, p->locs_cap, p->nlocs + 1);
	p->locs[p->nlocs] = l;
	return p->nlocs++;
}

uint32_t profile_location_slot(struct profile *p, enum frame_kind kind, uint32_t pid,
			       uint64_t addr, bool is_return, uint8_t slot)
{
	return location_of(p, kind, pid, 0, addr, is_return, slot);
}

uint32_t profile_location(struct profile *p, enum frame_kind kind, uint32_t pid,
			  uint64_t addr, bool is_return)
{
	return location_of(p, kind, pid, 0, addr, is_return, 0);
}

uint32_t profile_location_life(struct profile *p, enum frame_kind kind, uint32_t pid,
			       uint32_t life, uint64_t addr, bool is_return)
{
	return location_of(p, kind, pid, life, addr, is_return, 0);
}

uint32_t profile_add_location(struct profile *p, const struct location *l)
{
	GROW(p->locs, p->locs_cap, p->nlocs + 1);
	p->locs[p->nlocs] = *l;
	return p->nlocs++;
}

void profile_stack_life(struct profile *p, uint32_t *ids, uint32_t *n, uint32_t max,
			enum frame_kind kind, uint32_t pid, uint32_t life, const uint64_t *ips,
			uint32_t nips, bool first_is_ip)
{
	uint32_t len = 0, npy = 0, ncand = 0;

	while (len < nips && ips[len])
		len++;
	/* Python frames come after the native ones: set them aside */
	while (kind != FRAME_KERNEL && len > 1 && PY_IS_FRAME(ips[len - 1])) {
		len--;
		npy++;
	}
	/* return-address candidates come last, in the order of their words
	 * above sp; they belong after the first frame */
	while (kind != FRAME_KERNEL && len >= 2 && ncand < LEAF_RA_WORDS && (ips[len - 1] & LEAF_RA_MARK)) {
		len--;
		ncand++;
	}
	for (uint32_t i = 0; i < len && *n < max; i++) {
		ids[(*n)++] = location_of(p, kind, pid, life, ips[i], !(i == 0 && first_is_ip), 0);
		for (uint32_t j = len; i == 0 && j < len + ncand && *n < max; j++)
			ids[(*n)++] = location_of(p, kind, pid, life, ips[j] & LEAF_RA_ADDR_MASK, true,
						  ((ips[j] & ~LEAF_RA_MARK) >> LEAF_RA_SLOT_SHIFT) + 1);
	}
	for (uint32_t i = len + ncand; i < len + ncand + npy && *n < max; i++)
		ids[(*n)++] = location_of(p, FRAME_PYTHON, pid, life, ips[i] & ~PY_FRAME_MARK, false, 0);
}

void profile_stack(struct profile *p, uint32_t *ids, uint32_t *n, uint32_t max,
		   enum frame_kind kind, uint32_t pid, const uint64_t *ips,
		   uint32_t nips, bool first_is_ip)
{
	profile_stack_life(p, ids, n, max, kind, pid, 0, ips, nips, first_is_ip);
}

struct stack_ctx {
	const struct profile *p;
	const uint32_t *locs;
	uint32_t n;
};

static bool stack_eq(const void *ctx, uint32_t idx)
{
	const struct stack_ctx *c = ctx;
	const struct sample *s = &c->p->samples[idx];

	/* no frames at all (frames may still be NULL): equal by length alone */
	return s->nframes == c->n &&
	       (!c->n || !memcmp(c->p->frames + s->first, c->locs, c->n * sizeof(*c->locs)));
}

static uint64_t label_hash(uint32_t tid, const char *comm, const char *cgroup)
{
	/* interned strings: one address each */
	return hash_u64(tid ^ ((uint64_t)(uintptr_t)comm * 0x9e3779b97f4a7c15ULL) ^
			((uint64_t)(uintptr_t)cgroup << 17));
}

struct label_ctx {
	const struct profile *p;
	const struct sample_label *l;
};

static bool label_eq(const void *ctx, uint32_t idx)
{
	const struct label_ctx *c = ctx;
	const struct sample_label *a = &c->p->labels[idx];

	return a->tid == c->l->tid && a->comm == c->l->comm && a->cgroup == c->l->cgroup;
}

/* The index of label (tid, comm, cgroup), the strings interned; made on first use. */
static uint32_t label_of(struct profile *p, uint32_t tid, const char *comm, const char *cgroup)
{
	struct sample_label l = { tid, comm, cgroup };
	struct label_ctx c = { p, &l };
	uint32_t i;

	/* the same label as the last sample's: most samples of a window */
	if (p->nlabels && label_eq(&c, p->nlabels - 1))
		return p->nlabels - 1;
	i = idxmap_find_or_insert(&p->label_index, label_hash(tid, comm, cgroup), label_eq, &c,
				  p->nlabels);
	if (i < p->nlabels)
		return i;
	GROW(p->labels, p->labels_cap, p->nlabels + 1);
	p->labels[p->nlabels] = l;
	return p->nlabels++;
}

void profile_set_cgroup(struct profile *p, size_t s, const char *cgroup)
{
	const struct sample_label *l = sample_label(p, &p->samples[s]);

	p->samples[s].label = label_of(p, l->tid, l->comm, profile_intern(p, cgroup));
}

size_t profile_add_sample(struct profile *p, const uint32_t *locs, uint32_t nlocs,
			  uint32_t pid, uint32_t tid, const char *comm,
			  const int64_t *values)
{
	struct stack_ctx c = { p, locs, nlocs };
	uint32_t same = idxmap_find_or_insert(&p->stack_index, stack_hash(locs, nlocs), stack_eq,
					      &c, p->nsamples);
	struct sample *s;

	/* a sample per process and stack under churn (573,000 in 10 minutes):
	 * what is not written yet is not resident */
	GROW_RAW(p->samples, p->samples_cap, p->nsamples + 1);
	GROW_RAW(p->values, p->values_cap, (p->nsamples + 1) * p->nstored);
	s = &p->samples[p->nsamples];
	s->nframes = nlocs;
	s->pid = pid;
	/* the cgroup is set by whoever knows it (runtime/cgroups.c, readers) */
	s->label = label_of(p, tid, profile_intern(p, comm ? comm : ""), NULL);
	if (same < p->nsamples) {
		s->first = p->samples[same].first;
	} else {
		/* at least one slot: a profile whose samples all have no stack
		 * still has frames, so that frames + first is never NULL + 0 */
		GROW_RAW(p->frames, p->frames_cap, p->nframes + (nlocs ? nlocs : 1));
		s->first = p->nframes;
		if (nlocs)	/* a sample may have no stack: locs may be NULL */
			memcpy(p->frames + p->nframes, locs, nlocs * sizeof(*locs));
		p->nframes += nlocs;
	}
	for (int t = 0; t < p->ntypes; t++)
		if (!p->scaled_of[t])
			p->values[p->nsamples * p->nstored + p->column[t]] = values[t];
	return p->nsamples++;
}

void profile_fold_last_sample(struct profile *p, size_t into)
{
	size_t last = p->nsamples - 1;

	/* the same frames: the last one's stack was found, not added */
	if (into >= last || p->samples[into].first != p->samples[last].first ||
	    p->samples[into].nframes != p->samples[last].nframes)
		return;
	for (int t = 0; t < p->ntypes; t++) {
		int64_t *a = &p->values[into * p->nstored + p->column[t]];

		if (!p->scaled_of[t])
			*a = profile_combine(p, t, *a, p->values[last * p->nstored + p->column[t]]);
	}
	p->nsamples--;
}

struct edit_ctx {
	const struct profile *p;
	uint32_t first;
};

static bool edited_eq(const void *ctx, uint32_t idx)
{
	const struct edit_ctx *c = ctx;

	return c->p->samples[idx].first == c->first;
}

void profile_edit_stacks(struct profile *p, stack_edit_fn edit, void *ctx)
{
	struct idxmap done = {};

	/* the frames change: what equals what is known again only for new samples */
	idxmap_free(&p->stack_index);
	for (size_t s = 0; s < p->nsamples; s++) {
		struct sample *smp = &p->samples[s];
		struct edit_ctx c = { p, smp->first };
		uint64_t h = hash_u64(smp->first);
		int64_t i;

		/* a stack of none shares its offset with the next stack */
		if (!smp->nframes)
			continue;
		i = idxmap_find(&done, h, edited_eq, &c);
		if (i >= 0) {
			smp->nframes = p->samples[i].nframes;
			continue;
		}
		smp->nframes = edit(p, p->frames + smp->first, smp->nframes, ctx);
		idxmap_insert(&done, h, s);
	}
	idxmap_free(&done);
}

bool profile_tracing_frame(const struct location *l)
{
	static const char *const own[] = { "__traceiter_", "__bpf_trace_", "bpf_trace_run" };

	if (l->kind != FRAME_KERNEL || !l->name)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(own); i++)
		if (!strncmp(l->name, own[i], strlen(own[i])))
			return true;
	return false;
}

static uint32_t trim_tracing(struct profile *p, uint32_t *fr, uint32_t n, void *ctx)
{
	uint32_t k = 0;

	(void)ctx;
	while (k < n && profile_tracing_frame(&p->locs[fr[k]]))
		k++;
	if (k && k < n)
		memmove(fr, fr + k, (n - k) * sizeof(*fr));
	return k < n ? n - k : n;	/* a stack of nothing else stays as it was */
}

void profile_trim_tracing(struct profile *p)
{
	bool any = false;

	for (size_t i = 0; p->traced_stacks && i < p->nlocs && !any; i++)
		any = profile_tracing_frame(&p->locs[i]);
	if (any)
		profile_edit_stacks(p, trim_tracing, NULL);
}

uint32_t profile_group_frame(struct profile *p, const char *group, const char *name)
{
	/* an interned string is unique for the profile's life: its address is the key */
	const char *n = profile_intern(p, name);
	uint32_t loc = profile_location(p, FRAME_GROUP, 0, (uintptr_t)n, false);

	p->locs[loc].name = n;
	p->locs[loc].module = profile_intern(p, group);
	return loc;
}

const char *python_frame_name(struct profile *p, const char *func, const char *file, uint32_t line)
{
	const char *base = strrchr(file, '/');
	char *buf;
	const char *s;

	base = base ? base + 1 : file;
	if (line ? asprintf(&buf, "%s (%s:%u)", func, base, line) < 0 :
		   asprintf(&buf, "%s (%s)", func, base) < 0)
		return profile_intern(p, func);
	s = profile_intern(p, buf);
	free(buf);
	return s;
}

void profile_add_loss(struct profile *p, const char *what, uint64_t count, const char *hint)
{
	if (!count)
		return;
	GROW(p->losses, p->losses_cap, p->nlosses + 1);
	p->losses[p->nlosses].what = profile_intern(p, what);
	p->losses[p->nlosses].count = count;
	p->losses[p->nlosses].hint = profile_intern(p, hint);
	p->nlosses++;
}

int64_t profile_total(const struct profile *p, int type)
{
	int64_t t = 0;

	for (size_t i = 0; i < p->nsamples; i++)
		t = profile_combine(p, type, t, profile_value(p, i, type));
	return t;
}

void profile_add_stack_table(struct profile *p, const char *title, int type, int count_type,
			     int age_type)
{
	if (p->nstack_tables >= PROFILE_MAX_STACK_TABLES || type < 0 || type >= p->ntypes)
		return;
	p->stack_tables[p->nstack_tables++] = (struct stack_table){ profile_intern(p, title), type,
								   count_type, age_type };
}

static uint32_t prune_bogus(struct profile *p, uint32_t *fr, uint32_t n, void *ctx)
{
	uint32_t *mark = ctx;

	for (uint32_t i = 0; i < n; i++) {
		if (!p->locs[fr[i]].bogus)
			continue;
		if (*mark == UINT32_MAX) {
			/* address 1 never holds code: a location of its own */
			*mark = profile_location(p, FRAME_USER, 0, 1, false);
			p->locs[*mark].name = profile_intern(p, "[frames lost: no frame pointer]");
			p->locs[*mark].module = profile_intern(p, "[unknown]");
		}
		fr[i] = *mark;
		return i + 1;
	}
	return n;
}

void profile_prune_bogus(struct profile *p)
{
	uint32_t mark = UINT32_MAX;
	bool any = false;

	for (size_t i = 0; i < p->nlocs && !any; i++)
		any = p->locs[i].bogus;
	if (any)
		profile_edit_stacks(p, prune_bogus, &mark);
}

size_t profile_add_histogram(struct profile *p, const char *name, const char *unit, int64_t scale)
{
	GROW(p->hists, p->hists_cap, p->nhists + 1);
	p->hists[p->nhists] = (struct histogram){
		.name = profile_intern(p, name),
		.unit = profile_intern(p, unit),
		.scale = scale > 0 ? scale : 1,
	};
	return p->nhists++;
}

size_t profile_add_table(struct profile *p, const char *title, int ncols, const char *const *cols)
{
	struct table *t;

	GROW(p->tables, p->tables_cap, p->ntables + 1);
	t = &p->tables[p->ntables];
	*t = (struct table){ .title = profile_intern(p, title), .ncols = MIN(ncols, TABLE_MAX_COLS) };
	for (int i = 0; i < t->ncols; i++)
		t->cols[i] = profile_intern(p, cols[i]);
	return p->ntables++;
}

void profile_table_row(struct profile *p, size_t table, const char *const *cells)
{
	struct table *t = &p->tables[table];

	GROW(t->cells, t->cap, (t->nrows + 1) * t->ncols);
	for (int i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(cells[i] ? cells[i] : "");
	t->nrows++;
}

static uint32_t check_leaf(struct profile *p, uint32_t *fr, uint32_t n, void *ctx)
{
	(void)ctx;
	for (uint32_t i = 1; i < n; i++) {
		uint32_t leaf = fr[i - 1];
		bool kept = false;

		if (!p->locs[fr[i]].ra_slot)
			continue;
		/* the candidates follow the leaf: keep the one word the
		 * CFI puts the return address in, drop the rest */
		while (i < n && p->locs[fr[i]].ra_slot) {
			if (!kept && p->locs[leaf].cfa_sp == 8 * p->locs[fr[i]].ra_slot) {
				kept = true;
				i++;
				continue;
			}
			memmove(fr + i, fr + i + 1, (n - i - 1) * sizeof(*fr));
			n--;
		}
		break;
	}
	return n;
}

void profile_check_leaf_candidates(struct profile *p)
{
	bool any = false;

	for (size_t i = 0; i < p->nlocs && !any; i++)
		any = p->locs[i].ra_slot > 0;
	if (any)
		profile_edit_stacks(p, check_leaf, NULL);
}
