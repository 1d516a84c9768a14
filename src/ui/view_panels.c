// SPDX-License-Identifier: GPL-2.0
/*
 * One panel of profiler top per resource, from the profile of the
 * collector that measures it: CPU (top functions by self and total share,
 * per-process CPU), memory (allocation rate, top sites, outstanding bytes
 * and their growth), I/O (per disk and operation: IOPS and latency
 * percentiles; the busiest one's histogram; slow requests), waits (locks
 * by wait time, off-CPU time by reason).  Values are per second of the
 * window, so windows of any length read alike.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/rules.h"
#include "ui/view.h"
#include "util/util.h"

static bool skip(const struct profile *p, size_t s, const struct ui_filter *f)
{
	return f->pid && p->samples[s].pid != f->pid;
}

/* "[k] name" for the kernel's functions, as perf top marks them */
static const char *func_name(char *buf, size_t size, const struct location *l)
{
	if (l->kind == FRAME_KERNEL)
		snprintf(buf, size, "[k] %s", l->name);
	else
		snprintf(buf, size, "%s", l->name);
	return buf;
}

static const char *filtered(const struct ui_filter *f)
{
	return f->pid ? " of this PID" : "";
}

void ui_build_cpu(struct ui_panel_view *pv, const struct profile *p, const struct ui_input *in,
		  const struct ui_filter *f)
{
	static const char *const fh[] = { "SELF", "TOTAL" }, *const ph[] = { "%CPU", "SHARE" };
	static const enum ui_fmt ff[] = { UI_PCT, UI_PCT };
	struct ui_table *funcs = &pv->tables[0], *procs = &pv->tables[1];
	int t = type_index(p, "cpu", "nanoseconds");
	double total = 0, hot = 0;
	const char *hot_name = NULL;
	char name[512];
	int len;

	pv->title = "CPU";
	pv->ntables = 2;
	ui_table_init(funcs, "FUNCTION (share of the samples)", 2, fh, ff);
	ui_table_init(procs, "PROCESS", 2, ph, ff);
	if (t < 0)
		t = p->default_type;
	for (size_t s = 0; s < p->nsamples; s++) {
		const struct sample *smp = &p->samples[s];
		const uint32_t *fr = profile_sample_frames(p, s);
		const struct location *leaf = leaf_frame(p, s);
		double v = profile_value(p, s, t);
		size_t r;

		if (skip(p, s, f) || !v)
			continue;
		total += v;
		if (leaf) {
			r = ui_table_row(funcs, func_name(name, sizeof(name), leaf), 0);
			funcs->rows[r].v[0] += v;
		}
		/* a function's total counts it once per stack, recursive or not */
		for (uint32_t i = 0; i < smp->nframes; i++) {
			const struct location *l = &p->locs[fr[i]];

			if (l->kind == FRAME_GROUP)
				continue;
			r = ui_table_row(funcs, func_name(name, sizeof(name), l), 0);
			if (funcs->rows[r].mark == s)
				continue;
			funcs->rows[r].mark = s;
			funcs->rows[r].v[1] += v;
		}
		snprintf(name, sizeof(name), "%s [%u]", sample_label(p, smp)->comm ? sample_label(p, smp)->comm : "?", smp->pid);
		r = ui_table_row(procs, name, smp->pid);
		procs->rows[r].v[0] += v;
	}
	for (size_t i = 0; i < funcs->nrows; i++) {
		struct ui_row *row = &funcs->rows[i];

		row->v[0] = share_pct(row->v[0], total);
		row->v[1] = share_pct(row->v[1], total);
		if (row->v[0] > hot) {
			hot = row->v[0];
			hot_name = row->name;
		}
	}
	for (size_t i = 0; i < procs->nrows; i++) {
		procs->rows[i].v[1] = share_pct(procs->rows[i].v[0], total);
		procs->rows[i].v[0] = in->secs > 0 ? 100 * procs->rows[i].v[0] / 1e9 / in->secs : 0;
	}
	if (!total) {
		snprintf(funcs->why, sizeof(funcs->why), "no samples%s in this window: nothing ran "
			 "on a CPU%s", filtered(f), f->pid ? " (p changes the PID)" : "");
		snprintf(procs->why, sizeof(procs->why), "none ran");
	}
	len = snprintf(pv->summary, sizeof(pv->summary), "CPU  %5.1f%% of %d CPUs busy%s",
		       in->secs > 0 && in->ncpus ? 100 * total / 1e9 / in->secs / in->ncpus : 0.0,
		       in->ncpus, filtered(f));
	if (hot_name)
		snprintf(pv->summary + len, sizeof(pv->summary) - len, "; hottest: %s %.1f%% self",
			 hot_name, hot);
}

void ui_build_mem(struct ui_panel_view *pv, const struct profile *p, const struct ui_input *in,
		  const struct ui_filter *f)
{
	static const char *const heads[] = { "ALLOC/s", "CALLS/s", "INUSE" };
	static const enum ui_fmt fmts[] = { UI_BYTES_PER_S, UI_PER_S, UI_BYTES };
	struct ui_table *sites = &pv->tables[0];
	int ta = type_index(p, "alloc_space", "bytes"), to = type_index(p, "alloc_objects", "count");
	int ti = type_index(p, "inuse_space", "bytes");
	double secs = in->secs > 0 ? in->secs : 1, alloc = 0, calls = 0, inuse = 0;
	char b1[48], b2[48], b3[48], growth[64] = "";

	pv->title = "MEM";
	pv->ntables = 1;
	ui_table_init(sites, "ALLOCATION SITE (the program's own frame)", 3, heads, fmts);
	if (ta < 0 || to < 0 || ti < 0) {
		snprintf(pv->summary, sizeof(pv->summary), "MEM  no allocation profile: %s",
			 p->event ? p->event : "?");
		snprintf(sites->why, sizeof(sites->why), "mem measured something else: %s",
			 p->event ? p->event : "?");
		return;
	}
	for (size_t s = 0; s < p->nsamples; s++) {
		const struct location *own = own_frame(p, s);
		char name[512];
		size_t r;

		if (skip(p, s, f))
			continue;
		r = ui_table_row(sites, own ? func_name(name, sizeof(name), own) : "[unknown]", 0);
		sites->rows[r].v[0] += profile_value(p, s, ta) / secs;
		sites->rows[r].v[1] += profile_value(p, s, to) / secs;
		sites->rows[r].v[2] += profile_value(p, s, ti);
		alloc += profile_value(p, s, ta);
		calls += profile_value(p, s, to);
		inuse += profile_value(p, s, ti);
	}
	if (!sites->nrows)
		snprintf(sites->why, sizeof(sites->why), "no allocations%s in this window, none "
			 "outstanding", filtered(f));
	if (in->mem_growth_known && !f->pid)
		snprintf(growth, sizeof(growth), " (%s%s since the last window)",
			 in->mem_growth < 0 ? "-" : "+",
			 fmt_value(b3, sizeof(b3), "bytes",
				   in->mem_growth < 0 ? -in->mem_growth : in->mem_growth));
	snprintf(pv->summary, sizeof(pv->summary), "MEM  %s allocated, %s calls/s, %s outstanding%s",
		 ui_fmt_value(b1, sizeof(b1), UI_BYTES_PER_S, alloc / secs),
		 ui_fmt_value(b2, sizeof(b2), UI_PER_S, calls / secs),
		 fmt_value(b3, sizeof(b3), "bytes", inuse), growth);
}

/* Bars of a latency histogram, from its first used bucket to its last. */
static void hist_lines(struct ui_table *t, const struct histogram *h)
{
	int lo = HIST_BUCKETS, hi = -1;
	uint64_t most = 1;

	for (int k = 0; k < HIST_BUCKETS; k++)
		if (h->buckets[k]) {
			lo = MIN(lo, k);
			hi = k;
			most = h->buckets[k] > most ? h->buckets[k] : most;
		}
	for (int k = lo; k <= hi; k++) {
		char a[32], b[32], line[128], bar[41];
		int w = (int)(h->buckets[k] * 40 / most);

		memset(bar, '#', w);
		bar[w] = '\0';
		snprintf(line, sizeof(line), "%9s .. %-9s %8llu |%s",
			 fmt_value(a, sizeof(a), h->unit, hist_bucket_lo(h->scale, k)),
			 fmt_value(b, sizeof(b), h->unit, hist_bucket_hi(h->scale, k)),
			 (unsigned long long)h->buckets[k], bar);
		ui_table_text(t, line, 0);
	}
}

/* The slow requests, newest first: TIME PID COMMAND DISK OP BYTES SECTOR LATENCY */
static void slow_lines(struct ui_table *t, const struct profile *p, const struct ui_filter *f,
		       size_t *nslow)
{
	for (size_t i = 0; i < p->ntables; i++) {
		const struct table *tb = &p->tables[i];

		if (strncmp(tb->title, "Requests slower than", 20) || tb->ncols < 8)
			continue;
		snprintf(t->name_head, sizeof(t->name_head), "%s: TIME PID COMMAND DISK OP BYTES "
			 "LATENCY", tb->title);
		for (size_t r = tb->nrows; r-- > 0;) {
			char *const *c = tb->cells + r * tb->ncols;
			uint32_t pid = strtoul(c[1], NULL, 10);
			char line[256];

			if (f->pid && pid != f->pid)
				continue;
			snprintf(line, sizeof(line), "%s %7s %-15s %-8s %-6s %8s %s", c[0], c[1], c[2],
				 c[3], c[4], c[5], c[7]);
			ui_table_text(t, line, pid);
			(*nslow)++;
		}
	}
}

void ui_build_io(struct ui_panel_view *pv, const struct profile *p, const struct ui_input *in,
		 const struct ui_filter *f)
{
	static const char *const heads[] = { "IOPS", "P50", "P95", "P99" };
	static const enum ui_fmt fmts[] = { UI_PER_S, UI_NS, UI_NS, UI_NS };
	struct ui_table *disks = &pv->tables[0], *bars = &pv->tables[1], *slow = &pv->tables[2];
	const struct histogram *busiest = NULL;
	double secs = in->secs > 0 ? in->secs : 1, iops = 0, worst = 0;
	const char *worst_name = "";
	char b1[48], b2[48];
	size_t nslow = 0;

	pv->title = "I/O";
	pv->ntables = 3;
	ui_table_init(disks, "DISK OPERATION (issue to completion)", 4, heads, fmts);
	ui_table_init(bars, "", 0, NULL, NULL);
	ui_table_init(slow, "Slow requests", 0, NULL, NULL);
	for (size_t i = 0; i < p->nhists; i++) {
		const struct histogram *h = &p->hists[i];
		char name[160];
		size_t r;

		if (!strstr(h->name, "issue to completion") || !h->count)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(h->name, ","), h->name);
		r = ui_table_row(disks, name, 0);
		disks->rows[r].v[0] = h->count / secs;
		disks->rows[r].v[1] = hist_percentile(h, 0.50);
		disks->rows[r].v[2] = hist_percentile(h, 0.95);
		disks->rows[r].v[3] = hist_percentile(h, 0.99);
		iops += h->count / secs;
		if (disks->rows[r].v[3] >= worst) {
			worst = disks->rows[r].v[3];
			worst_name = disks->rows[r].name;
		}
		if (!busiest || h->count > busiest->count)
			busiest = h;
	}
	if (busiest) {
		snprintf(bars->name_head, sizeof(bars->name_head), "LATENCY HISTOGRAM of %.*s",
			 (int)MIN(strcspn(busiest->name, ","), 80), busiest->name);
		hist_lines(bars, busiest);
	} else {
		snprintf(bars->name_head, sizeof(bars->name_head), "LATENCY HISTOGRAM");
		snprintf(disks->why, sizeof(disks->why), "no block I/O in this window%s",
			 p->event && strstr(p->event, "every disk") ? "" : " (on the disk of --disk)");
		snprintf(bars->why, sizeof(bars->why), "no requests completed yet");
	}
	slow_lines(slow, p, f, &nslow);
	if (!nslow)
		snprintf(slow->why, sizeof(slow->why), "none%s in this window", filtered(f));
	if (!busiest)
		snprintf(pv->summary, sizeof(pv->summary), "I/O  no block I/O in this window");
	else
		snprintf(pv->summary, sizeof(pv->summary), "I/O  %s IOPS, worst p99 %s (%s), %zu slow",
			 ui_fmt_value(b1, sizeof(b1), UI_PER_S, iops),
			 fmt_value(b2, sizeof(b2), "nanoseconds", worst), worst_name, nslow);
}

/* Rows of waits by key: the lock's label, or the reason a thread slept. */
static double wait_rows(struct ui_table *t, const struct profile *p, bool locks,
			const struct ui_input *in, const struct ui_filter *f, const char **top)
{
	int tt = locks ? type_index(p, "delay", "nanoseconds") : type_index(p, "offcpu", "nanoseconds");
	int tc = locks ? type_index(p, "contentions", "count") : type_index(p, "switches", "count");
	double secs = in->secs > 0 ? in->secs : 1, total = 0, most = 0;

	if (tt < 0 || tc < 0)
		return 0;
	for (size_t s = 0; s < p->nsamples; s++) {
		const struct sample *smp = &p->samples[s];
		const char *key = NULL;
		char buf[256];
		size_t r;

		if (skip(p, s, f))
			continue;
		if (locks) {
			for (uint32_t i = 0; i < smp->nframes && !key; i++) {
				const struct location *l = &p->locs[profile_sample_frames(p, s)[i]];

				if (l->kind == FRAME_GROUP && !strcmp(l->module, "lock"))
					key = l->name;
			}
		} else {
			key = kernel_cause(p, s, buf, sizeof(buf));
		}
		r = ui_table_row(t, key ? key : "[unknown]", 0);
		t->rows[r].v[0] += profile_value(p, s, tt) / secs;
		t->rows[r].v[1] += profile_value(p, s, tc) / secs;
		total += profile_value(p, s, tt) / secs;
	}
	for (size_t i = 0; i < t->nrows; i++)
		if (t->rows[i].v[0] > most) {
			most = t->rows[i].v[0];
			*top = t->rows[i].name;
		}
	return total;
}

/* One table of the WAIT panel, or why it is empty. */
static double wait_table(struct ui_table *t, const struct profile *p, bool locks, const char *none,
			 const struct ui_input *in, const struct ui_filter *f, const char **top)
{
	double total;

	if (!p) {
		ui_absent(in, locks ? "lock" : "offcpu", t->why, sizeof(t->why));
		return 0;
	}
	total = wait_rows(t, p, locks, in, f, top);
	if (!t->nrows)
		snprintf(t->why, sizeof(t->why), "%s%s in this window", none, filtered(f));
	return total;
}

void ui_build_wait(struct ui_panel_view *pv, const struct profile *lock,
		   const struct profile *offcpu, const struct ui_input *in,
		   const struct ui_filter *f)
{
	static const char *const lh[] = { "WAITED", "WAITS/s" }, *const oh[] = { "OFF-CPU", "SLEEPS/s" };
	static const enum ui_fmt fmts[] = { UI_NS_PER_S, UI_PER_S };
	struct ui_table *locks = &pv->tables[0], *reasons = &pv->tables[1];
	const char *top_lock = NULL, *top_reason = NULL;
	double lt = 0, ot = 0;
	char b1[48], b2[48];

	pv->title = "WAIT";
	pv->ntables = 2;
	ui_table_init(locks, "LOCK (contended, time waited per second)", 2, lh, fmts);
	ui_table_init(reasons, "OFF-CPU REASON (threads asleep, per second)", 2, oh, fmts);
	lt = wait_table(locks, lock, true, "no lock contended", in, f, &top_lock);
	ot = wait_table(reasons, offcpu, false, "no thread slept", in, f, &top_reason);
	snprintf(pv->summary, sizeof(pv->summary), "WAIT locks %s%s%s%s, off-CPU %s%s%s%s",
		 lock ? ui_fmt_value(b1, sizeof(b1), UI_NS_PER_S, lt) : "-",
		 top_lock ? " (" : "", top_lock ? top_lock : "", top_lock ? ")" : "",
		 offcpu ? ui_fmt_value(b2, sizeof(b2), UI_NS_PER_S, ot) : "-",
		 top_reason ? " (" : "", top_reason ? top_reason : "", top_reason ? ")" : "");
}
