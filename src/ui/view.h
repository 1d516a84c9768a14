/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What profiler top shows of one window, for the screen and for batch text
 * alike: a panel per resource (CPU, memory, I/O, locks and waits), each a
 * one-line summary and tables of named rows, filtered to a PID and a
 * search string and sorted as the keys chose; then the recommendations.
 * Built from the window's profiles, and again whenever a key changes the
 * filter or the sort: the profiles are the only state.
 */
#ifndef PROFILER_UI_VIEW_H
#define PROFILER_UI_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/profile.h"
#include "util/idxmap.h"

enum ui_panel { UI_CPU, UI_MEM, UI_IO, UI_WAIT, UI_NPANELS };

/* How a column's values read. */
enum ui_fmt { UI_PCT, UI_NS, UI_NS_PER_S, UI_BYTES, UI_BYTES_PER_S, UI_PER_S };

#define UI_MAX_VALS 4
#define UI_MAX_PROFILES 8	/* as many as a session's collectors */
#define UI_MAX_TABLES 3

struct ui_row {
	char *name;
	uint32_t pid;		/* the process it belongs to, 0 for none or merged */
	double v[UI_MAX_VALS];
	size_t mark;		/* the last sample counted: a function once per stack */
};

struct ui_table {
	char name_head[128];	/* "FUNCTION", ... */
	int nvals;
	const char *heads[UI_MAX_VALS];
	enum ui_fmt fmts[UI_MAX_VALS];
	bool text;		/* lines of text (name only), kept in their order */
	struct ui_row *rows;
	size_t nrows, cap;
	struct idxmap index;
	char why[192];		/* no rows: why */
};

struct ui_panel_view {
	const char *title;	/* "CPU" */
	char summary[256];	/* its line on the screen and in batch */
	struct ui_table tables[UI_MAX_TABLES];
	int ntables;
};

/* What the keys chose. */
struct ui_filter {
	uint32_t pid;		/* 0: every process */
	const char *search;	/* NULL or "": every name; else names containing it */
	int sort[UI_NPANELS];	/* the column each panel's tables sort by */
};

/* One window of the run, and what top knows beside its profiles. */
struct ui_input {
	struct profile *const *profiles;
	const char *const *names;	/* the collector that made each: "cpu", ... */
	int n;
	double secs;		/* the window's length */
	int ncpus;
	bool mem_growth_known;
	int64_t mem_growth;	/* outstanding bytes since the window before */
	const char *mem_why;	/* why mem does not run, NULL when it does or --what left it out */
	bool no_advice;
	/* per collector, NULL or why it failed to start (its profile is NULL) */
	const char *const *failed;
};

struct ui_view {
	struct ui_panel_view panels[UI_NPANELS];
	char **advice;		/* a line per finding, ranked, then warnings */
	size_t nadvice;
};

void ui_view_build(struct ui_view *v, const struct ui_input *in, const struct ui_filter *f);
void ui_view_free(struct ui_view *v);

/* Why collector name has no profile: it failed to start (NULL if not). */
const char *ui_failed(const struct ui_input *in, const char *name);
/* "NAME failed to start: WHY", or "not collected: --what leaves out NAME". */
const char *ui_absent(const struct ui_input *in, const char *name, char *buf, size_t size);

/* A value as its column reads: "12.5%", "3.1 ms", "2.0 MiB/s". */
const char *ui_fmt_value(char *buf, size_t size, enum ui_fmt fmt, double v);

/* For the panel builders (view_panels.c): a table's shape, and its rows. */
void ui_table_init(struct ui_table *t, const char *name_head, int nvals,
		   const char *const *heads, const enum ui_fmt *fmts);
/* The row (name, pid), made with zero values on first use; its index. */
size_t ui_table_row(struct ui_table *t, const char *name, uint32_t pid);
void ui_table_text(struct ui_table *t, const char *line, uint32_t pid);

void ui_build_cpu(struct ui_panel_view *pv, const struct profile *p, const struct ui_input *in,
		  const struct ui_filter *f);
void ui_build_mem(struct ui_panel_view *pv, const struct profile *p, const struct ui_input *in,
		  const struct ui_filter *f);
void ui_build_io(struct ui_panel_view *pv, const struct profile *p, const struct ui_input *in,
		 const struct ui_filter *f);
void ui_build_wait(struct ui_panel_view *pv, const struct profile *lock,
		   const struct profile *offcpu, const struct ui_input *in,
		   const struct ui_filter *f);

#endif /* PROFILER_UI_VIEW_H */
