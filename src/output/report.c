// SPDX-License-Identifier: GPL-2.0
/*
 * The human-readable report: totals, losses, the processes, any histograms
 * and tables the profile carries, top functions by self and by total
 * value, and the hottest stacks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/advice.h"
#include "model/histogram.h"
#include "output/output.h"
#include "output/report_cgroups.h"
#include "output/report_waits.h"
#include "util/idxmap.h"
#include "util/util.h"

struct func {
	const char *name;
	const char *module;
	int64_t self, total;
	size_t last_sample;	/* counts a recursive function once per stack */
};

struct stack_agg {
	size_t sample;		/* a representative sample */
	int64_t value;
	int64_t vals[PROFILE_MAX_TYPES];	/* every type, for the stack tables */
};

struct agg {
	const struct profile *p;
	struct func *funcs;
	size_t nfuncs, funcs_cap;
	struct idxmap func_index;
	struct stack_agg *stacks;
	size_t nstacks, stacks_cap;
	struct idxmap stack_index;
	/* lookup keys */
	const struct location *key_loc;
	size_t key_sample;
};

static bool func_eq(const void *ctx, uint32_t idx)
{
	const struct agg *a = ctx;

	return a->funcs[idx].name == a->key_loc->name && a->funcs[idx].module == a->key_loc->module;
}

static struct func *func_get(struct agg *a, const struct location *l)
{
	uint64_t h = hash_u64((uintptr_t)l->name ^ hash_u64((uintptr_t)l->module));
	int64_t i;

	a->key_loc = l;
	i = idxmap_find(&a->func_index, h, func_eq, a);
	if (i >= 0)
		return &a->funcs[i];
	GROW(a->funcs, a->funcs_cap, a->nfuncs + 1);
	a->funcs[a->nfuncs] = (struct func){ l->name, l->module, 0, 0, SIZE_MAX };
	idxmap_insert(&a->func_index, h, a->nfuncs);
	return &a->funcs[a->nfuncs++];
}

/* Two samples are the same stack when pid, comm and every frame's name match. */
static bool stack_eq(const void *ctx, uint32_t idx)
{
	const struct agg *a = ctx;
	const struct profile *p = a->p;
	const struct sample *x = &p->samples[a->stacks[idx].sample];
	const struct sample *y = &p->samples[a->key_sample];
	const uint32_t *fx = p->frames + x->first, *fy = p->frames + y->first;

	if (x->pid != y->pid || x->label != y->label || x->nframes != y->nframes)
		return false;
	for (uint32_t i = 0; i < x->nframes; i++)
		if (p->locs[fx[i]].name != p->locs[fy[i]].name)
			return false;
	return true;
}

static uint64_t stack_hash(const struct profile *p, size_t s)
{
	const struct sample *smp = &p->samples[s];
	const uint32_t *fr = p->frames + smp->first;
	uint64_t h = hash_u64(smp->pid ^ (uintptr_t)sample_label(p, smp)->comm);

	for (uint32_t i = 0; i < smp->nframes; i++)
		h = hash_u64(h ^ (uintptr_t)p->locs[fr[i]].name);
	return h;
}

static int cmp_self(const void *a, const void *b)
{
	const struct func *x = a, *y = b;

	if (x->self != y->self)
		return x->self < y->self ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int cmp_total(const void *a, const void *b)
{
	const struct func *x = a, *y = b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int cmp_stack(const void *a, const void *b)
{
	const struct stack_agg *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? 1 : -1;
	return (x->sample > y->sample) - (x->sample < y->sample);
}

static int table_type;	/* qsort has no context argument */

static int cmp_table(const void *a, const void *b)
{
	const struct stack_agg *x = a, *y = b;

	if (x->vals[table_type] != y->vals[table_type])
		return x->vals[table_type] < y->vals[table_type] ? 1 : -1;
	return (x->sample > y->sample) - (x->sample < y->sample);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* "burn31" for /usr/bin/burn31, "kernel" for [kernel.kallsyms], "ext4" for [ext4] */
static const char *module_label(char *buf, size_t size, const char *module)
{
	const char *s;
	size_t len;

	if (!module)
		return "";
	if (!strcmp(module, "[kernel.kallsyms]"))
		return "kernel";
	if (module[0] == '[') {
		len = strcspn(module + 1, "]");
		snprintf(buf, size, "%.*s", (int)len, module + 1);
		return buf;
	}
	s = strrchr(module, '/');
	return s ? s + 1 : module;
}

/* "  [module]" after a function's name, or nothing where the source kept none */
static const char *module_tag(char *buf, size_t size, const char *module)
{
	char label[256];

	if (!module)
		return "";
	snprintf(buf, size, "  [%s]", module_label(label, sizeof(label), module));
	return buf;
}

/* pid as fmt says, or none where the source kept no pids */
static const char *pid_tag(char *buf, size_t size, const struct profile *p, const char *fmt,
			   const char *none, uint32_t pid)
{
	if (p->no_pids)
		return none;
	snprintf(buf, size, fmt, pid);
	return buf;
}

static double pct(int64_t v, int64_t total)
{
	return total ? 100.0 * (double)v / (double)total : 0.0;
}

static void print_header(const struct profile *p, const struct write_opts *o, FILE *f,
			 int64_t total, size_t nprocs)
{
	const struct sample_type *t = &p->types[o->type];
	double secs = p->duration_ns / 1e9;
	bool is_max = p->combine[o->type] == COMBINE_MAX;
	char b1[64], b2[64];

	fprintf(f, "Profile:    %s\n", p->event ? p->event : t->name);
	if (p->duration_ns)
		fprintf(f, "Duration:   %.2f s\n", secs);
	fprintf(f, "%s %s %s", is_max ? "Largest:   " : "Total:     ",
		fmt_value(b1, sizeof(b1), t->unit, total), strcmp(t->unit, "count") ? "" : t->name);
	if (secs > 0 && !is_max)	/* a maximum is no flow */
		fprintf(f, " (%s/s)", fmt_value(b2, sizeof(b2), t->unit, total / secs));
	if (!strcmp(t->unit, "count") && p->period > 0 && !strcmp(p->period_type.unit, "nanoseconds"))
		fprintf(f, ", about %s of %s", fmt_value(b2, sizeof(b2), "nanoseconds",
			(double)total * p->period), p->period_type.name);
	fprintf(f, "\n");
	fprintf(f, p->no_pids ? "Commands:   %zu\n" : "Processes:  %zu\n", nprocs);
	if (!p->nlosses) {
		fprintf(f, "Lost:       none\n");
	} else {
		for (size_t i = 0; i < p->nlosses; i++)
			fprintf(f, "%s %s %s%s%s\n", i ? "           " : "Lost:      ",
				fmt_count(b1, sizeof(b1), p->losses[i].count), p->losses[i].what,
				p->losses[i].hint ? ": " : "", p->losses[i].hint ? p->losses[i].hint : "");
	}
}

/* One row per FRAME_GROUP root frame (a lock, a task): every sample type,
 * combined as the type says, and the average of the weighed time per count. */
struct group {
	const struct location *loc;
	int64_t v[PROFILE_MAX_TYPES];
};

struct group_ctx {
	const struct group *g;
	const char *name;
};

static bool group_eq(const void *ctx, uint32_t idx)
{
	const struct group_ctx *c = ctx;

	return c->g[idx].loc->name == c->name;
}

static int cmp_group(const void *a, const void *b, void *arg)
{
	const struct group *x = a, *y = b;
	int t = *(const int *)arg;

	if (x->v[t] != y->v[t])
		return x->v[t] < y->v[t] ? 1 : -1;
	return strcmp(x->loc->name, y->loc->name);
}

static const struct location *group_root(const struct profile *p, size_t s)
{
	const struct sample *smp = &p->samples[s];
	const struct location *l;

	if (!smp->nframes)
		return NULL;
	l = &p->locs[p->frames[smp->first + smp->nframes - 1]];
	return l->kind == FRAME_GROUP ? l : NULL;
}

static void print_groups(const struct profile *p, const struct write_opts *o, FILE *f)
{
	const struct sample_type *t = &p->types[o->type];
	struct group *g = NULL;
	size_t ng = 0, cap = 0;
	struct idxmap index = {};
	int count_type = -1;
	char b[64];

	/* an average of a maximum means nothing */
	for (int i = 0; i < p->ntypes && p->combine[o->type] != COMBINE_MAX; i++)
		if (count_type < 0 && !strcmp(p->types[i].unit, "count"))
			count_type = i;
	for (size_t s = 0; s < p->nsamples; s++) {
		const struct location *l = group_root(p, s);
		uint64_t h;
		int64_t gi;

		if (!l || profile_value(p, s, o->type) <= 0)
			continue;
		h = hash_u64((uintptr_t)l->name);
		gi = idxmap_find(&index, h, group_eq, &(struct group_ctx){ g, l->name });
		if (gi < 0) {
			GROW(g, cap, ng + 1);
			memset(&g[ng], 0, sizeof(g[ng]));
			g[ng].loc = l;
			idxmap_insert(&index, h, ng);
			gi = ng++;
		}
		for (int k = 0; k < p->ntypes; k++)
			g[gi].v[k] = profile_combine(p, k, g[gi].v[k], profile_value(p, s, k));
	}
	if (!ng)
		goto out;
	qsort_r(g, ng, sizeof(*g), cmp_group, (void *)&o->type);
	fprintf(f, "\nTop by %s, by %s:\n", g[0].loc->module ? g[0].loc->module : "group", t->name);
	for (int k = 0; k < p->ntypes; k++)
		fprintf(f, "%12s ", p->types[k].name);
	if (count_type >= 0 && count_type != o->type)
		fprintf(f, "%12s ", "avg");
	fprintf(f, " %s\n", g[0].loc->module ? g[0].loc->module : "group");
	for (size_t i = 0; i < ng && (int)i < o->top; i++) {
		for (int k = 0; k < p->ntypes; k++)
			fprintf(f, "%12s ", fmt_value(b, sizeof(b), p->types[k].unit, g[i].v[k]));
		if (count_type >= 0 && count_type != o->type)
			fprintf(f, "%12s ", fmt_value(b, sizeof(b), t->unit, g[i].v[count_type] ?
				(double)g[i].v[o->type] / g[i].v[count_type] : 0));
		fprintf(f, " %s\n", g[i].loc->name);
	}
out:
	free(g);
	idxmap_free(&index);
}

static void print_funcs(struct agg *a, const struct write_opts *o, FILE *f, int64_t total,
			bool by_self)
{
	const struct sample_type *t = &a->p->types[o->type];
	char b1[64], b2[64], mb[256];
	size_t shown = 0;

	if (a->nfuncs)	/* samples without stacks leave none */
		qsort(a->funcs, a->nfuncs, sizeof(*a->funcs), by_self ? cmp_self : cmp_total);
	fprintf(f, "\nTop functions by %s %s:\n", by_self ? "self" : "total", t->name);
	fprintf(f, "%12s %6s %12s %6s  %s\n", "SELF", "%", "TOTAL", "%", "FUNCTION");
	for (size_t i = 0; i < a->nfuncs && (int)shown < o->top; i++) {
		const struct func *fn = &a->funcs[i];

		if ((by_self ? fn->self : fn->total) <= 0)
			break;
		fprintf(f, "%12s %5.1f%% %12s %5.1f%%  %s%s\n",
			fmt_value(b1, sizeof(b1), t->unit, fn->self), pct(fn->self, total),
			fmt_value(b2, sizeof(b2), t->unit, fn->total), pct(fn->total, total),
			fn->name, module_tag(mb, sizeof(mb), fn->module));
		shown++;
	}
}

static void print_stacks(struct agg *a, const struct write_opts *o, FILE *f, int64_t total)
{
	const struct profile *p = a->p;
	const struct sample_type *t = &p->types[o->type];
	size_t shown = 0;
	char pb[24];
	char b1[64], mb[256];

	qsort(a->stacks, a->nstacks, sizeof(*a->stacks), cmp_stack);
	fprintf(f, "\nHottest stacks (leaf first):\n");
	for (size_t i = 0; i < a->nstacks && (int)shown < (o->top + 1) / 2; i++) {
		const struct sample *s = &p->samples[a->stacks[i].sample];
		const uint32_t *fr = p->frames + s->first;

		if (a->stacks[i].value <= 0)
			break;
		fprintf(f, "\n  %s %s (%.1f%%)  %s%s\n",
			fmt_value(b1, sizeof(b1), t->unit, a->stacks[i].value),
			strcmp(t->unit, "count") ? "" : t->name,
			pct(a->stacks[i].value, total), sample_label(p, s)->comm,
			pid_tag(pb, sizeof(pb), p, " [pid %u]", "", s->pid));
		for (uint32_t k = 0; k < s->nframes; k++) {
			const struct location *l = &p->locs[fr[k]];

			if (k == 48 && s->nframes > 50) {
				fprintf(f, "      ... %u more frames\n", s->nframes - k - 1);
				k = s->nframes - 2;
				continue;
			}
			fprintf(f, "      %s%s\n", l->name, module_tag(mb, sizeof(mb), l->module));
		}
		shown++;
	}
	if (!shown)
		fprintf(f, "  (none)\n");
}

struct proc_row {
	uint32_t pid;
	const char *comm;
	int64_t v[PROFILE_MAX_TYPES];
	int sort;
};

static int cmp_proc(const void *a, const void *b)
{
	const struct proc_row *x = a, *y = b;

	if (x->v[x->sort] != y->v[y->sort])
		return x->v[x->sort] < y->v[y->sort] ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int cmp_pid_comm(const void *a, const void *b)
{
	const struct proc_row *x = a, *y = b;

	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	return strcmp(x->comm, y->comm);
}

/* Every sample type per process (and comm), heaviest by the chosen type first. */
static void print_procs(const struct profile *p, const struct write_opts *o, FILE *f)
{
	struct proc_row *rows = NULL;
	size_t nrows = 0, cap = 0, n = 0;
	char b[64], pb[24];

	for (size_t s = 0; s < p->nsamples; s++) {
		GROW(rows, cap, nrows + 1);
		rows[nrows] = (struct proc_row){ p->samples[s].pid,
						 sample_label(p, &p->samples[s])->comm, {}, o->type };
		for (int t = 0; t < p->ntypes; t++)
			rows[nrows].v[t] = profile_value(p, s, t);
		nrows++;
	}
	qsort(rows, nrows, sizeof(*rows), cmp_pid_comm);
	for (size_t i = 0; i < nrows; i++) {
		if (n && rows[n - 1].pid == rows[i].pid && rows[n - 1].comm == rows[i].comm) {
			for (int t = 0; t < p->ntypes; t++)
				rows[n - 1].v[t] = profile_combine(p, t, rows[n - 1].v[t],
								   rows[i].v[t]);
			continue;
		}
		rows[n++] = rows[i];
	}
	qsort(rows, n, sizeof(*rows), cmp_proc);
	fprintf(f, "\nTop processes by %s:\n", p->types[o->type].name);
	for (int t = 0; t < p->ntypes; t++)
		fprintf(f, "%12s ", p->types[t].name);
	fprintf(f, "%8s  %s\n", "PID", "COMMAND");
	for (size_t i = 0; i < n && (int)i < o->top; i++) {
		if (rows[i].v[o->type] <= 0)
			break;
		for (int t = 0; t < p->ntypes; t++)
			fprintf(f, "%12s ", fmt_value(b, sizeof(b), p->types[t].unit, rows[i].v[t]));
		fprintf(f, "%8s  %s\n", pid_tag(pb, sizeof(pb), p, "%u", "-", rows[i].pid), rows[i].comm);
	}
	free(rows);
}

static void print_histogram(const struct histogram *h, FILE *f)
{
	const int width = 40;
	uint64_t peak = 0;
	int first = -1, last = -1;
	char b1[64], b2[64], b3[64], b4[64];

	for (int k = 0; k < HIST_BUCKETS; k++) {
		if (!h->buckets[k])
			continue;
		if (first < 0)
			first = k;
		last = k;
		peak = MAX(peak, h->buckets[k]);
	}
	fprintf(f, "\n%s: %s, average %s, max %s\n", h->name, fmt_count(b1, sizeof(b1), h->count),
		fmt_value(b2, sizeof(b2), h->unit, h->count ? (double)h->sum / h->count : 0),
		fmt_value(b3, sizeof(b3), h->unit, h->max));
	if (!h->count)
		return;
	fprintf(f, "  p50 %s, p95 %s, p99 %s (estimates, interpolated within buckets)\n",
		fmt_value(b1, sizeof(b1), h->unit, hist_percentile(h, 0.50)),
		fmt_value(b2, sizeof(b2), h->unit, hist_percentile(h, 0.95)),
		fmt_value(b3, sizeof(b3), h->unit, hist_percentile(h, 0.99)));
	fprintf(f, "  %10s    %-10s %10s  %s\n", "FROM", "TO", "COUNT", "DISTRIBUTION");
	for (int k = first; k <= last; k++) {
		int bar = (int)((h->buckets[k] * width + peak - 1) / peak);
		int64_t hi = hist_bucket_hi(h->scale, k);

		fprintf(f, "  %10s -> %-10s %10s  |%-*.*s|\n",
			fmt_value(b1, sizeof(b1), h->unit, hist_bucket_lo(h->scale, k)),
			hi == INT64_MAX ? "" : fmt_value(b2, sizeof(b2), h->unit, hi),
			fmt_count(b4, sizeof(b4), h->buckets[k]), width, bar,
			"****************************************");
	}
}

static void print_table(const struct table *t, FILE *f)
{
	size_t w[TABLE_MAX_COLS];

	fprintf(f, "\n%s: %zu\n", t->title, t->nrows);
	if (!t->nrows)
		return;
	for (int c = 0; c < t->ncols; c++) {
		w[c] = strlen(t->cols[c]);
		for (size_t r = 0; r < t->nrows; r++)
			w[c] = MAX(w[c], strlen(t->cells[r * t->ncols + c]));
	}
	for (int c = 0; c < t->ncols; c++)
		fprintf(f, "%s%-*s", c ? "  " : "  ", c == t->ncols - 1 ? 0 : (int)w[c], t->cols[c]);
	fputc('\n', f);
	for (size_t r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++)
			fprintf(f, "  %-*s", c == t->ncols - 1 ? 0 : (int)w[c], t->cells[r * t->ncols + c]);
		fputc('\n', f);
	}
}

/* One line per stack table: its total, the objects it counts, a rate for flows. */
static void print_stack_table_totals(const struct profile *p, FILE *f)
{
	double secs = p->duration_ns / 1e9;
	char b1[64], b2[64], b3[64];

	for (int i = 0; i < p->nstack_tables; i++) {
		const struct stack_table *t = &p->stack_tables[i];
		const struct sample_type *ty = &p->types[t->type];
		int64_t v = profile_total(p, t->type);

		fprintf(f, "%s %s %s", i ? "           " : "Totals:    ", ty->name,
			fmt_value(b1, sizeof(b1), ty->unit, v));
		if (t->count_type >= 0)
			fprintf(f, " in %s %s", fmt_value(b2, sizeof(b2), "count",
				profile_total(p, t->count_type)), p->types[t->count_type].name);
		/* what has an age is a stock, not a flow: no rate */
		if (t->age_type < 0 && secs > 0 && p->combine[t->type] != COMBINE_MAX)
			fprintf(f, " (%s/s)", fmt_value(b3, sizeof(b3), ty->unit, v / secs));
		fprintf(f, "\n");
	}
}

/* Stacks ranked by one type, with count, average and age: one line each. */
static void print_stack_table(struct agg *a, const struct stack_table *t, int top, FILE *f)
{
	const struct profile *p = a->p;
	const char *unit = p->types[t->type].unit;
	char b1[64], b2[64], b3[64], b4[64], head[32], pb[24];
	size_t shown = 0;

	table_type = t->type;
	qsort(a->stacks, a->nstacks, sizeof(*a->stacks), cmp_table);
	snprintf(head, sizeof(head), "%s", unit);
	for (char *c = head; *c; c++)
		*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
	fprintf(f, "\n%s:\n", t->title);
	fprintf(f, "%12s %12s %12s %10s  %s\n", t->count_type >= 0 ? "COUNT" : "", head,
		t->count_type >= 0 ? "AVG" : "", t->age_type >= 0 ? "OLDEST" : "", "STACK (leaf first)");
	for (size_t i = 0; i < a->nstacks && (int)shown < top; i++) {
		const struct stack_agg *s = &a->stacks[i];
		const struct sample *smp = &p->samples[s->sample];
		const uint32_t *fr = p->frames + smp->first;
		int64_t v = s->vals[t->type];
		int64_t n = t->count_type >= 0 ? s->vals[t->count_type] : 0;

		if (v <= 0)
			break;
		fprintf(f, "%12s %12s %12s %10s  %s%s:",
			t->count_type >= 0 ? fmt_value(b1, sizeof(b1), "count", n) : "",
			fmt_value(b2, sizeof(b2), unit, v),
			n > 0 ? fmt_value(b3, sizeof(b3), unit, (double)v / n) : "",
			t->age_type >= 0 ? fmt_value(b4, sizeof(b4), p->types[t->age_type].unit,
						     s->vals[t->age_type]) : "",
			sample_label(p, smp)->comm, pid_tag(pb, sizeof(pb), p, " [%u]", "", smp->pid));
		for (uint32_t k = 0; k < smp->nframes && k < 8; k++)
			fprintf(f, "%s%s", k ? " < " : " ", p->locs[fr[k]].name);
		fprintf(f, "%s\n", smp->nframes > 8 ? " < ..." : "");
		shown++;
	}
	if (!shown)
		fprintf(f, "  (none)\n");
}

int write_report(const struct profile *p, const struct write_opts *o, FILE *f)
{
	struct agg a = { .p = p };
	int64_t total = 0;
	uint32_t *pids = NULL;
	size_t npids = 0, pids_cap = 0, nprocs = 0;

	for (size_t s = 0; s < p->nsamples; s++) {
		const struct sample *smp = &p->samples[s];
		const uint32_t *fr = p->frames + smp->first;
		int64_t v = profile_value(p, s, o->type);
		bool any = v > 0;
		uint64_t h;
		int64_t si;

		/* a stack table may rank by another type than the one weighed by */
		for (int t = 0; t < p->ntypes && p->nstack_tables; t++)
			any |= profile_value(p, s, t) > 0;
		if (!any)
			continue;
		if (v < 0)
			v = 0;
		total = profile_combine(p, o->type, total, v);
		if (v > 0) {
			GROW(pids, pids_cap, npids + 1);
			/* without pids, the commands (a label each) are what can be told apart */
			pids[npids++] = p->no_pids ? smp->label : smp->pid;
		}
		for (uint32_t i = 0; i < smp->nframes && v > 0; i++) {
			struct func *fn;

			if (p->locs[fr[i]].kind == FRAME_GROUP)
				continue;	/* not code: the group table shows them */
			fn = func_get(&a, &p->locs[fr[i]]);

			if (i == 0)
				fn->self = profile_combine(p, o->type, fn->self, v);
			if (fn->last_sample != s) {
				fn->total = profile_combine(p, o->type, fn->total, v);
				fn->last_sample = s;
			}
		}
		h = stack_hash(p, s);
		a.key_sample = s;
		si = idxmap_find(&a.stack_index, h, stack_eq, &a);
		if (si < 0) {
			GROW(a.stacks, a.stacks_cap, a.nstacks + 1);
			a.stacks[a.nstacks] = (struct stack_agg){ .sample = s };
			idxmap_insert(&a.stack_index, h, a.nstacks);
			si = a.nstacks++;
		}
		a.stacks[si].value = profile_combine(p, o->type, a.stacks[si].value, v);
		for (int t = 0; t < p->ntypes; t++)
			a.stacks[si].vals[t] = profile_combine(p, t, a.stacks[si].vals[t],
							       profile_value(p, s, t));
	}
	if (npids)
		qsort(pids, npids, sizeof(*pids), cmp_u32);
	for (size_t i = 0; i < npids; i++)
		nprocs += i == 0 || pids[i] != pids[i - 1];
	print_header(p, o, f, total, nprocs);
	if (p->nstack_tables) {
		print_stack_table_totals(p, f);
		for (int i = 0; i < p->nstack_tables; i++)
			print_stack_table(&a, &p->stack_tables[i], o->top, f);
	} else if (total > 0) {
		print_procs(p, o, f);
	}
	if (total > 0)
		report_cgroups(p, o, f);
	for (size_t i = 0; i < p->nhists; i++)
		print_histogram(&p->hists[i], f);
	for (size_t i = 0; i < p->ntables; i++)
		print_table(&p->tables[i], f);
	if (p->nstack_tables) {
		/* the stack tables said it */
	} else if (total > 0) {
		print_groups(p, o, f);
		/* off-CPU self time is all __schedule: the wait tables say why instead */
		if (!report_waits(p, o, f) || o->type != profile_find_type(p, "offcpu"))
			print_funcs(&a, o, f, total, true);
		print_funcs(&a, o, f, total, false);
		print_stacks(&a, o, f, total);
	} else {
		fprintf(f, "\nNo samples.\n");
	}
	if (!o->no_advice)
		advice_section(p, f);
	free(pids);
	free(a.funcs);
	free(a.stacks);
	idxmap_free(&a.func_index);
	idxmap_free(&a.stack_index);
	return ferror(f) ? -EIO : 0;
}
