// SPDX-License-Identifier: GPL-2.0
/*
 * The report of a differential profile (type 0 the base, o->type the new
 * one): the functions whose share of the total grew and shrank most, by
 * self and by total value.  Shares, not raw values, are compared, so two
 * profiles of different lengths compare fairly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/output.h"
#include "util/idxmap.h"
#include "util/util.h"

struct dfunc {
	const char *name, *module;
	int64_t self[2], total[2];
	size_t last_sample;	/* a recursive function counts once per stack */
	double dself, dtotal;	/* change of share, in percentage points */
};

struct dagg {
	struct dfunc *f;
	size_t n, cap;
	struct idxmap index;
	const struct location *key;
};

static bool dfunc_eq(const void *ctx, uint32_t idx)
{
	const struct dagg *a = ctx;

	return a->f[idx].name == a->key->name && a->f[idx].module == a->key->module;
}

static struct dfunc *dfunc_get(struct dagg *a, const struct location *l)
{
	uint64_t h = hash_u64((uintptr_t)l->name ^ hash_u64((uintptr_t)l->module));
	int64_t i;

	a->key = l;
	i = idxmap_find(&a->index, h, dfunc_eq, a);
	if (i >= 0)
		return &a->f[i];
	GROW(a->f, a->cap, a->n + 1);
	a->f[a->n] = (struct dfunc){ .name = l->name, .module = l->module, .last_sample = SIZE_MAX };
	idxmap_insert(&a->index, h, a->n);
	return &a->f[a->n++];
}

static int cmp_dself(const void *a, const void *b)
{
	double x = ((const struct dfunc *)a)->dself, y = ((const struct dfunc *)b)->dself;

	return (x < y) - (x > y);
}

static int cmp_dtotal(const void *a, const void *b)
{
	double x = ((const struct dfunc *)a)->dtotal, y = ((const struct dfunc *)b)->dtotal;

	return (x < y) - (x > y);
}

static double share(int64_t v, int64_t total)
{
	return total ? 100.0 * v / total : 0.0;
}

static void table(FILE *f, struct dagg *a, const int64_t *tot, bool self, bool grew, int top)
{
	int shown = 0;

	fprintf(f, "\n%s most by %s share:\n", grew ? "Grew" : "Shrank", self ? "self" : "total");
	fprintf(f, "%8s %8s %8s  %s\n", "BASE", "NEW", "CHANGE", "FUNCTION");
	for (size_t k = 0; k < a->n && shown < top; k++) {
		const struct dfunc *fn = &a->f[grew ? k : a->n - 1 - k];
		const int64_t *v = self ? fn->self : fn->total;
		double d = self ? fn->dself : fn->dtotal;

		if (grew ? d <= 0.05 : d >= -0.05)
			break;
		fprintf(f, "%7.1f%% %7.1f%% %+7.1f   %s\n", share(v[0], tot[0]), share(v[1], tot[1]), d,
			fn->name);
		shown++;
	}
	if (!shown)
		fprintf(f, "  (none by more than 0.1 points)\n");
}

int write_diff_report(const struct profile *p, const struct write_opts *o, FILE *f)
{
	const struct sample_type *t = &p->types[o->type];
	int type[2] = { 0, o->type };
	int64_t tot[2] = { 0, 0 };
	struct dagg a = {};
	char b1[64], b2[64];

	for (size_t s = 0; s < p->nsamples; s++) {
		const struct sample *smp = &p->samples[s];
		const uint32_t *fr = profile_sample_frames(p, s);

		for (int side = 0; side < 2; side++) {
			int64_t v = profile_value(p, s, type[side]);

			if (v <= 0)
				continue;
			tot[side] = profile_combine(p, type[side], tot[side], v);
			for (uint32_t i = 0; i < smp->nframes; i++) {
				struct dfunc *fn = dfunc_get(&a, &p->locs[fr[i]]);

				if (i == 0)
					fn->self[side] = profile_combine(p, type[side], fn->self[side], v);
				if (fn->last_sample != s * 2 + side) {
					fn->total[side] = profile_combine(p, type[side], fn->total[side],
									  v);
					fn->last_sample = s * 2 + side;
				}
			}
		}
	}
	for (size_t i = 0; i < a.n; i++) {
		a.f[i].dself = share(a.f[i].self[1], tot[1]) - share(a.f[i].self[0], tot[0]);
		a.f[i].dtotal = share(a.f[i].total[1], tot[1]) - share(a.f[i].total[0], tot[0]);
	}
	fprintf(f, "Base:       %s %s\n", fmt_value(b1, sizeof(b1), t->unit, tot[0]),
		strcmp(t->unit, "count") ? "" : t->name);
	fprintf(f, "New:        %s %s (%s%.1f%%)\n", fmt_value(b2, sizeof(b2), t->unit, tot[1]),
		strcmp(t->unit, "count") ? "" : t->name, tot[1] >= tot[0] ? "+" : "",
		tot[0] ? 100.0 * (tot[1] - tot[0]) / tot[0] : 0.0);
	fprintf(f, "Compared:   shares of each total, in percentage points\n");
	qsort(a.f, a.n, sizeof(*a.f), cmp_dself);
	table(f, &a, tot, true, true, o->top);
	table(f, &a, tot, true, false, o->top);
	qsort(a.f, a.n, sizeof(*a.f), cmp_dtotal);
	table(f, &a, tot, false, true, o->top);
	table(f, &a, tot, false, false, o->top);
	free(a.f);
	idxmap_free(&a.index);
	return ferror(f) ? -EIO : 0;
}
