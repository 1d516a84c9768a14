// SPDX-License-Identifier: GPL-2.0
/*
 * profiler top's view of a window: the tables' rows merged by name,
 * filtered and sorted, each panel built from the profile of its collector
 * (view_panels.c), and the recommendations of src/analysis/ over all of
 * them.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/advice.h"
#include "ui/view.h"
#include "util/util.h"

const char *ui_fmt_value(char *buf, size_t size, enum ui_fmt fmt, double v)
{
	char tmp[48];

	switch (fmt) {
	case UI_PCT:
		snprintf(buf, size, "%.1f%%", v);
		break;
	case UI_NS:
		fmt_value(buf, size, "nanoseconds", v);
		break;
	case UI_NS_PER_S:
		snprintf(buf, size, "%s/s", fmt_value(tmp, sizeof(tmp), "nanoseconds", v));
		break;
	case UI_BYTES:
		fmt_value(buf, size, "bytes", v);
		break;
	case UI_BYTES_PER_S:
		snprintf(buf, size, "%s/s", fmt_value(tmp, sizeof(tmp), "bytes", v));
		break;
	case UI_PER_S:
		/* a few events a second still read as such, not as 0 */
		if (v < 10)
			snprintf(buf, size, "%.1f", v);
		else
			fmt_value(buf, size, "count", v);
		break;
	}
	return buf;
}

void ui_table_init(struct ui_table *t, const char *name_head, int nvals,
		   const char *const *heads, const enum ui_fmt *fmts)
{
	*t = (struct ui_table){ .nvals = nvals, .text = nvals == 0 };
	snprintf(t->name_head, sizeof(t->name_head), "%s", name_head);
	for (int i = 0; i < nvals; i++) {
		t->heads[i] = heads[i];
		t->fmts[i] = fmts[i];
	}
}

struct row_key {
	const struct ui_table *t;
	const char *name;
	uint32_t pid;
};

static bool row_eq(const void *ctx, uint32_t idx)
{
	const struct row_key *k = ctx;
	const struct ui_row *r = &k->t->rows[idx];

	return r->pid == k->pid && !strcmp(r->name, k->name);
}

static size_t table_append(struct ui_table *t, const char *name, uint32_t pid)
{
	GROW(t->rows, t->cap, t->nrows + 1);
	t->rows[t->nrows] = (struct ui_row){ .name = xstrdup(name), .pid = pid, .mark = SIZE_MAX };
	return t->nrows++;
}

size_t ui_table_row(struct ui_table *t, const char *name, uint32_t pid)
{
	struct row_key k = { t, name, pid };
	uint64_t h = hash_bytes(name, strlen(name), pid);
	int64_t i = idxmap_find(&t->index, h, row_eq, &k);

	if (i >= 0)
		return i;
	i = table_append(t, name, pid);
	idxmap_insert(&t->index, h, i);
	return i;
}

void ui_table_text(struct ui_table *t, const char *line, uint32_t pid)
{
	table_append(t, line, pid);
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct ui_row *x = a, *y = b;
	int col = *(const int *)arg;

	/* ties by the other columns in order (self, then total), then by name */
	for (int i = -1; i < UI_MAX_VALS; i++) {
		int c = i < 0 ? col : i;

		if (x->v[c] != y->v[c])
			return x->v[c] < y->v[c] ? 1 : -1;
	}
	return strcmp(x->name, y->name);
}

/* Rows whose name has the search string, largest first in the chosen column. */
static void table_finish(struct ui_table *t, int sort, const char *search)
{
	size_t kept = 0;

	idxmap_free(&t->index);
	if (t->text)
		return;
	for (size_t i = 0; i < t->nrows; i++) {
		if (search && *search && !strcasestr(t->rows[i].name, search)) {
			free(t->rows[i].name);
			continue;
		}
		t->rows[kept++] = t->rows[i];
	}
	if (!kept && t->nrows && !t->why[0])
		snprintf(t->why, sizeof(t->why), "nothing named like '%s' (/ changes the search)",
			 search);
	t->nrows = kept;
	sort %= t->nvals;
	if (t->nrows > 1)
		qsort_r(t->rows, t->nrows, sizeof(*t->rows), cmp_rows, &sort);
}

static const struct profile *find(const struct ui_input *in, const char *name)
{
	for (int i = 0; i < in->n; i++)
		if (!strcmp(in->names[i], name))
			return in->profiles[i];
	return NULL;
}

const char *ui_failed(const struct ui_input *in, const char *name)
{
	for (int i = 0; i < in->n; i++)
		if (!strcmp(in->names[i], name) && in->failed && in->failed[i])
			return in->failed[i];
	return NULL;
}

const char *ui_absent(const struct ui_input *in, const char *name, char *buf, size_t size)
{
	const char *why = ui_failed(in, name);

	if (why)
		snprintf(buf, size, "%s failed to start: %s", name, why);
	else
		snprintf(buf, size, "not collected: --what leaves out %s", name);
	return buf;
}

static void not_collected(struct ui_panel_view *pv, const char *title, const char *why)
{
	pv->title = title;
	snprintf(pv->summary, sizeof(pv->summary), "%-4s %s", title, why);
	pv->ntables = 1;
	ui_table_init(&pv->tables[0], "", 0, NULL, NULL);
	snprintf(pv->tables[0].why, sizeof(pv->tables[0].why), "%s", why);
}

static void add_advice(struct ui_view *v, const struct ui_input *in)
{
	struct profile *ps[UI_MAX_PROFILES];
	struct advice a = {};
	int n = 0;

	/* the collectors that run: one that failed to start has no profile */
	for (int i = 0; i < in->n && n < UI_MAX_PROFILES; i++)
		if (in->profiles[i])
			ps[n++] = in->profiles[i];
	if (!in->no_advice && n && advice_run(ps, n, &a) > 0) {
		v->advice = xcalloc(a.n, sizeof(*v->advice));
		for (size_t i = 0; i < a.n; i++) {
			const struct finding *f = &a.v[i];
			size_t len = strlen(f->title) + strlen(f->next) + 32;

			v->advice[i] = xmalloc(len);
			snprintf(v->advice[i], len, "%s%s: %s", f->warning ? "warning: " : "",
				 f->title, f->next);
		}
		v->nadvice = a.n;
	}
	advice_free(&a);
}

void ui_view_build(struct ui_view *v, const struct ui_input *in, const struct ui_filter *f)
{
	const struct profile *p;
	char why[256], why2[520], why3[256];

	*v = (struct ui_view){};
	if ((p = find(in, "cpu")))
		ui_build_cpu(&v->panels[UI_CPU], p, in, f);
	else
		not_collected(&v->panels[UI_CPU], "CPU", ui_absent(in, "cpu", why, sizeof(why)));
	if ((p = find(in, "mem")))
		ui_build_mem(&v->panels[UI_MEM], p, in, f);
	else
		not_collected(&v->panels[UI_MEM], "MEM", in->mem_why ? in->mem_why :
			      ui_absent(in, "mem", why, sizeof(why)));
	if ((p = find(in, "io")))
		ui_build_io(&v->panels[UI_IO], p, in, f);
	else
		not_collected(&v->panels[UI_IO], "I/O", ui_absent(in, "io", why, sizeof(why)));
	if (find(in, "lock") || find(in, "offcpu")) {
		ui_build_wait(&v->panels[UI_WAIT], find(in, "lock"), find(in, "offcpu"), in, f);
	} else if (!ui_failed(in, "lock") && !ui_failed(in, "offcpu")) {
		not_collected(&v->panels[UI_WAIT], "WAIT",
			      "not collected: --what leaves out lock and offcpu");
	} else {
		snprintf(why2, sizeof(why2), "%s; %s", ui_absent(in, "lock", why, sizeof(why)),
			 ui_absent(in, "offcpu", why3, sizeof(why3)));
		not_collected(&v->panels[UI_WAIT], "WAIT", why2);
	}
	for (int i = 0; i < UI_NPANELS; i++)
		for (int j = 0; j < v->panels[i].ntables; j++)
			table_finish(&v->panels[i].tables[j], f->sort[i], f->search);
	add_advice(v, in);
}

void ui_view_free(struct ui_view *v)
{
	for (int i = 0; i < UI_NPANELS; i++)
		for (int j = 0; j < v->panels[i].ntables; j++) {
			struct ui_table *t = &v->panels[i].tables[j];

			for (size_t k = 0; k < t->nrows; k++)
				free(t->rows[k].name);
			free(t->rows);
			idxmap_free(&t->index);
		}
	for (size_t i = 0; i < v->nadvice; i++)
		free(v->advice[i]);
	free(v->advice);
	*v = (struct ui_view){};
}
