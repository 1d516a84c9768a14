// SPDX-License-Identifier: GPL-2.0
/*
 * I/O latency: a latency histogram (nanoseconds, "latency" in its name,
 * "DISK OP, ..." as its title) whose p99 is above IO_P99_NS, with the
 * slow requests of a table titled "Requests slower than ..." (columns
 * DISK, OP, LATENCY, COMMAND, PID) that belong to it.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/rules.h"
#include "util/util.h"

static int col_of(const struct table *t, const char *name)
{
	for (int c = 0; c < t->ncols; c++)
		if (!strcmp(t->cols[c], name))
			return c;
	return -1;
}

struct slow {
	size_t n;
	double worst_ms;
	const char *comm, *pid;
	double limit_ms;	/* the table's threshold, from its title */
};

/* The slow requests of disk+op ("loop0 write") in the profile's tables. */
static void slow_requests(const struct profile *p, const char *what, size_t len, struct slow *sl)
{
	*sl = (struct slow){ .worst_ms = -1 };
	for (size_t i = 0; i < p->ntables; i++) {
		const struct table *t = &p->tables[i];
		int cd = col_of(t, "DISK"), co = col_of(t, "OP"), cl = col_of(t, "LATENCY");
		int cc = col_of(t, "COMMAND"), cp = col_of(t, "PID");

		if (strncmp(t->title, "Requests slower than", 20) || cd < 0 || co < 0 || cl < 0)
			continue;
		sl->limit_ms = atof(t->title + 20);
		for (size_t r = 0; r < t->nrows; r++) {
			char *const *row = &t->cells[r * t->ncols];
			size_t dl = strlen(row[cd]);
			double ms;

			/* "DISK OP" as the histogram's title begins */
			if (dl + 1 + strlen(row[co]) != len || strncmp(what, row[cd], dl) ||
			    what[dl] != ' ' || strncmp(what + dl + 1, row[co], len - dl - 1))
				continue;
			sl->n++;
			ms = atof(row[cl]);
			if (ms > sl->worst_ms) {
				sl->worst_ms = ms;
				sl->comm = cc >= 0 ? row[cc] : NULL;
				sl->pid = cp >= 0 ? row[cp] : NULL;
			}
		}
	}
}

void rule_io(const struct profile *p, struct advice *a)
{
	for (size_t i = 0; i < p->nhists; i++) {
		const struct histogram *h = &p->hists[i];
		const char *comma = strchr(h->name, ',');
		size_t len = comma ? (size_t)(comma - h->name) : strlen(h->name);
		double p50, p99;
		struct slow sl;
		char b1[32], slow[256], *title, *ev, *next;

		if (strcmp(h->unit, "nanoseconds") || !strstr(h->name, "latency") ||
		    h->count < IO_MIN_REQUESTS)
			continue;
		p99 = hist_percentile(h, 0.99);
		if (p99 < IO_P99_NS)
			continue;
		p50 = hist_percentile(h, 0.50);
		slow_requests(p, h->name, len, &sl);
		slow[0] = '\0';
		if (sl.n)
			snprintf(slow, sizeof(slow), "; %zu requests slower than %g ms listed, the "
				 "slowest %.3f ms from %s [pid %s]", sl.n, sl.limit_ms, sl.worst_ms,
				 sl.comm ? sl.comm : "?", sl.pid ? sl.pid : "?");
		title = strf("%.*s: p99 latency %.2f ms", (int)len, h->name, p99 / 1e6);
		ev = strf("%s: %s requests, p50 %.2f ms, p99 %.2f ms (threshold %.0f ms, at least "
			  "%d requests), max %.2f ms%s", h->name, fmt_count(b1, sizeof(b1), h->count),
			  p50 / 1e6, p99 / 1e6, IO_P99_NS / 1e6, IO_MIN_REQUESTS, h->max / 1e6, slow);
		if (p99 > 4 * p50)	/* a tail, not a slow device */
			next = strf("the tail is %.0fx the median: rerun with --queued to see whether "
				    "requests wait in the kernel's queue or in the device, and keep "
				    "latency-critical reads apart from bulk writes on %.*s",
				    p99 / (p50 > 0 ? p50 : 1), (int)len, h->name);
		else
			next = strf("every request is slow, not only the tail: the device itself "
				    "takes %.2f ms; move the data to faster storage, or issue fewer, "
				    "larger requests%s%s", p50 / 1e6, sl.comm ? " from " : "",
				    sl.comm ? sl.comm : "");
		advice_add(a, "io-latency", false, p99, IO_P99_NS, title, ev, next);
	}
}
