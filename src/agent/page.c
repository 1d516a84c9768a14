// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's pages: / (the latest window's flame graph, the hottest
 * functions, links to the recent windows and types) and /debug/pprof/ (the
 * index Go's net/http/pprof serves, with our types).  A window is kept as
 * gzipped pprof; a page reads it back (src/input) and renders it in the
 * HTTP thread that asked, so a page costs the collection nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/http.h"
#include "input/input.h"
#include "output/output.h"
#include "util/util.h"

#define HOT_ROWS 15

static void html(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

static const char *utc(char *buf, size_t size, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000ULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

/* A kept window read back; NULL when not kept. */
static struct profile *window_profile(struct agent *a, int type, uint64_t id,
				      struct agent_window *w)
{
	struct agent_blob b;
	struct profile *p;

	if (type < 0 || agent_copy_window(a, id, type, &b, w))
		return NULL;
	p = profile_parse(b.data, b.len, "window");
	free(b.data);
	return p;
}

char *page_flame(struct agent *a, int type, uint64_t id, size_t *len)
{
	struct agent_window w;
	struct profile *p = window_profile(a, type, id, &w);
	struct write_opts wo;
	char title[160], when[64], *buf = NULL;
	FILE *f;

	if (!p)
		return NULL;
	f = open_memstream(&buf, len);
	if (!f) {
		profile_free(p);
		return NULL;
	}
	write_opts_init(&wo, a->set, p);
	snprintf(title, sizeof(title), "%s, window %llu: %s, %.1f s", a->names[type],
		 (unsigned long long)w.id, utc(when, sizeof(when), w.start_ns), w.duration_ns / 1e9);
	if (!wo.title)
		wo.title = title;
	write_svg(p, &wo, f);
	fclose(f);
	profile_free(p);
	return buf;
}

struct hot {
	const char *name;	/* interned in the profile: the pointer is the key */
	int64_t self;
};

static int by_self(const void *x, const void *y)
{
	const struct hot *a = x, *b = y;

	return a->self < b->self ? 1 : a->self > b->self ? -1 : 0;
}

static int by_name(const void *x, const void *y)
{
	const struct hot *a = x, *b = y;

	return a->name < b->name ? -1 : a->name > b->name;
}

/* The functions the most samples end in, as a table. */
static void hot_table(FILE *f, const struct profile *p)
{
	int type = p->default_type;
	int64_t total = profile_total(p, type);
	struct hot *h = xcalloc(p->nlocs + 1, sizeof(*h));
	size_t n = 0;

	for (size_t i = 0; i < p->nlocs; i++)
		h[i].name = p->locs[i].name ? p->locs[i].name : "[unknown]";
	for (size_t s = 0; s < p->nsamples; s++)
		if (p->samples[s].nframes)
			h[profile_sample_frames(p, s)[0]].self += profile_value(p, s, type);
	/* one row per name: inlined copies and several binaries' are one function */
	qsort(h, p->nlocs, sizeof(*h), by_name);
	for (size_t i = 0; i < p->nlocs; i++) {
		if (n && h[n - 1].name == h[i].name)
			h[n - 1].self += h[i].self;
		else
			h[n++] = h[i];
	}
	qsort(h, n, sizeof(*h), by_self);
	fprintf(f, "<table><tr><th>self</th><th>function (%s)</th></tr>\n", p->types[type].name);
	for (size_t i = 0; i < n && i < HOT_ROWS && h[i].self > 0; i++) {
		fprintf(f, "<tr><td>%.1f%%</td><td class=\"fn\">", total ? 100.0 * h[i].self / total : 0);
		html(f, h[i].name);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	free(h);
}

static const char style[] =
	"<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}"
	"td,th{padding:2px 8px;text-align:left}td.fn{font-family:monospace}"
	"nav a{margin-right:1em}object{width:100%;border:1px solid #ccc}</style>\n";

char *page_home(struct agent *a, const char *type_name, uint64_t id, size_t *len)
{
	struct agent_window ws[AGENT_RECENT], w;
	int type = agent_type(a, type_name ? type_name : a->names[0]);
	int n = agent_list_windows(a, ws, AGENT_RECENT);
	struct profile *p;
	char when[64], *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	if (type < 0)
		type = 0;
	p = window_profile(a, type, id, &w);
	fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		"<title>profiler agent</title>\n%s</head><body>\n<h1>profiler agent</h1>\n<nav>", style);
	for (int i = 0; i < a->ntypes; i++)
		fprintf(f, "<a href=\"/?type=%s\">%s</a>", a->names[i], a->names[i]);
	fputs("<a href=\"/debug/pprof/\">pprof</a><a href=\"/metrics\">metrics</a></nav>\n", f);
	if (!p) {
		fprintf(f, "<p>%s</p>\n", id ? "That window is no longer kept." :
			"No window is complete yet: this page shows the latest once there is one.");
	} else {
		fprintf(f, "<h2>%s, window %llu: %s, %.1f s</h2>\n", a->names[type],
			(unsigned long long)w.id, utc(when, sizeof(when), w.start_ns),
			w.duration_ns / 1e9);
		fprintf(f, "<p><a href=\"/debug/pprof/%s?window=%llu\">pprof</a> "
			"<a href=\"/flame.svg?type=%s&amp;window=%llu\">svg</a></p>\n",
			a->names[type], (unsigned long long)w.id, a->names[type],
			(unsigned long long)w.id);
		fprintf(f, "<object type=\"image/svg+xml\" data=\"/flame.svg?type=%s&amp;window=%llu\">"
			"</object>\n<h3>Hottest functions</h3>\n", a->names[type],
			(unsigned long long)w.id);
		hot_table(f, p);
		profile_free(p);
	}
	fputs("<h3>Recent windows</h3>\n<ul>\n", f);
	for (int i = 0; i < n; i++)
		fprintf(f, "<li><a href=\"/?type=%s&amp;window=%llu\">window %llu: %s, %.1f s</a></li>\n",
			a->names[type], (unsigned long long)ws[i].id, (unsigned long long)ws[i].id,
			utc(when, sizeof(when), ws[i].start_ns), ws[i].duration_ns / 1e9);
	fputs("</ul>\n</body></html>\n", f);
	fclose(f);
	return buf;
}

/* What Go calls each of our types, for the index. */
static const char *go_name(const char *type)
{
	static const char *const names[][2] = {
		{ "cpu", "profile" }, { "offcpu", "block" }, { "lock", "mutex" }, { "mem", "allocs" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(type, names[i][0]))
			return names[i][1];
	return NULL;
}

char *page_index(struct agent *a, size_t *len)
{
	struct agent_window ws[AGENT_RECENT];
	int n = agent_list_windows(a, ws, AGENT_RECENT);
	char when[64], *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>/debug/pprof/</title>"
		"\n%s</head><body>\n<h1>/debug/pprof/</h1>\n<p>Each path gives a gzipped pprof "
		"profile: of the next N seconds with ?seconds=N (1 to %d), else of the latest "
		"window (?window=ID: a recent one).</p>\n<table>\n", style, HTTP_MAX_SECONDS);
	for (int i = 0; i < a->ntypes; i++) {
		const char *go = go_name(a->names[i]);

		fprintf(f, "<tr><td><a href=\"/debug/pprof/%s\">%s</a></td><td>%s%s%s</td></tr>\n",
			a->names[i], a->names[i], go ? "also /debug/pprof/" : "", go ? go : "",
			go && !strcmp(go, "profile") ? " (default ?seconds=30, as Go's)" : "");
	}
	fputs("</table>\n<h2>Recent windows</h2>\n<ul>\n", f);
	for (int i = 0; i < n; i++) {
		fprintf(f, "<li>window %llu, %s, %.1f s:", (unsigned long long)ws[i].id,
			utc(when, sizeof(when), ws[i].start_ns), ws[i].duration_ns / 1e9);
		for (int t = 0; t < a->ntypes; t++)
			fprintf(f, " <a href=\"/debug/pprof/%s?window=%llu\">%s</a>", a->names[t],
				(unsigned long long)ws[i].id, a->names[t]);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n</body></html>\n", f);
	fclose(f);
	return buf;
}
