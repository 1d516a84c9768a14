// SPDX-License-Identifier: GPL-2.0
/* profiler top's view of a window (shares, rates, filters, sort) and its keys. */
#include <curses.h>

#include "testutil.h"
#include "profile_helper.h"
#include "model/profile.h"
#include "ui/keys.h"
#include "ui/view.h"

#define MS 1000000LL

static uint32_t loc(struct profile *p, uint64_t addr, const char *name)
{
	return app_loc(p, 1, addr, name);
}

/* 500 ms of CPU in 1 s: hot 400 ms by itself, cold 100 ms under hot; pid 9 recurses */
static struct profile *cpu_profile(void)
{
	struct profile *p = profile_new();
	uint32_t hot = loc(p, 0x10, "hot"), cold = loc(p, 0x20, "cold"), m = loc(p, 0x30, "main");

	profile_add_type(p, "samples", "count");
	profile_add_type(p, "cpu", "nanoseconds");
	profile_add_sample(p, (uint32_t[]){ hot, m }, 2, 7, 7, "app", (int64_t[]){ 30, 300 * MS });
	profile_add_sample(p, (uint32_t[]){ cold, hot, m }, 3, 7, 7, "app", (int64_t[]){ 10, 100 * MS });
	profile_add_sample(p, (uint32_t[]){ hot, hot, m }, 3, 9, 9, "other", (int64_t[]){ 10, 100 * MS });
	return p;
}

static struct profile *io_profile(void)
{
	struct profile *p = profile_new();
	size_t h = profile_add_histogram(p, "vda write, latency (issue to completion)", "nanoseconds",
					 1000);

	profile_add_type(p, "requests", "count");
	/* 200 requests of 1-2 us: 100 IOPS over 2 s */
	p->hists[h].buckets[1] = 200;
	p->hists[h].count = 200;
	p->hists[h].max = 2000;
	p->event = profile_intern(p, "block I/O, issue to completion, on every disk (tp_btf)");
	return p;
}

static const struct ui_row *row(const struct ui_table *t, size_t i)
{
	assert_true(i < t->nrows);
	return &t->rows[i];
}

static void build(struct ui_view *v, struct profile **ps, const char *const *names, int n,
		  double secs, const struct ui_filter *f)
{
	struct ui_input in = { .profiles = ps, .names = names, .n = n, .secs = secs, .ncpus = 2,
			       .no_advice = true };

	ui_view_build(v, &in, f);
}

static void test_cpu_shares(void **state)
{
	struct profile *p = cpu_profile();
	const char *names[] = { "cpu" };
	struct ui_filter f = {};
	struct ui_view v;
	const struct ui_table *funcs, *procs;

	(void)state;
	build(&v, &p, names, 1, 1.0, &f);
	funcs = &v.panels[UI_CPU].tables[0];
	procs = &v.panels[UI_CPU].tables[1];
	/* by self: hot 80%, cold 20%; hot's total counts each stack once: 100% */
	assert_string_equal(row(funcs, 0)->name, "hot");
	assert_float_equal(row(funcs, 0)->v[0], 80.0, 1e-9);
	assert_float_equal(row(funcs, 0)->v[1], 100.0, 1e-9);
	assert_string_equal(row(funcs, 1)->name, "cold");
	assert_float_equal(row(funcs, 1)->v[0], 20.0, 1e-9);
	assert_float_equal(row(funcs, 1)->v[1], 20.0, 1e-9);
	assert_string_equal(row(funcs, 2)->name, "main");
	assert_float_equal(row(funcs, 2)->v[1], 100.0, 1e-9);
	/* %CPU of one CPU: 400 ms and 100 ms in 1 s */
	assert_string_equal(row(procs, 0)->name, "app [7]");
	assert_float_equal(row(procs, 0)->v[0], 40.0, 1e-9);
	assert_string_equal(row(procs, 1)->name, "other [9]");
	assert_float_equal(row(procs, 1)->v[0], 10.0, 1e-9);
	/* 500 ms of 2 CPUs in 1 s */
	assert_non_null(strstr(v.panels[UI_CPU].summary, " 25.0% of 2 CPUs busy; hottest: hot 80.0% self"));
	/* panels of collectors not run say why */
	assert_non_null(strstr(v.panels[UI_MEM].summary, "not collected"));
	ui_view_free(&v);

	/* one PID: its samples only, shares of its own total */
	f.pid = 9;
	build(&v, &p, names, 1, 1.0, &f);
	funcs = &v.panels[UI_CPU].tables[0];
	assert_int_equal(funcs->nrows, 2);
	assert_string_equal(row(funcs, 0)->name, "hot");
	assert_float_equal(row(funcs, 0)->v[0], 100.0, 1e-9);
	ui_view_free(&v);

	/* a PID without samples: no rows, and why */
	f.pid = 4242;
	build(&v, &p, names, 1, 1.0, &f);
	assert_int_equal(v.panels[UI_CPU].tables[0].nrows, 0);
	assert_non_null(strstr(v.panels[UI_CPU].tables[0].why, "no samples of this PID"));
	ui_view_free(&v);

	/* a search keeps the names that have it, any case */
	f = (struct ui_filter){ .search = "COL" };
	build(&v, &p, names, 1, 1.0, &f);
	funcs = &v.panels[UI_CPU].tables[0];
	assert_int_equal(funcs->nrows, 1);
	assert_string_equal(row(funcs, 0)->name, "cold");
	ui_view_free(&v);

	/* sorted by total: hot and main tie at 100%, hot first by its self */
	f = (struct ui_filter){ .sort = { [UI_CPU] = 1 } };
	build(&v, &p, names, 1, 1.0, &f);
	funcs = &v.panels[UI_CPU].tables[0];
	assert_string_equal(row(funcs, 0)->name, "hot");
	assert_string_equal(row(funcs, 1)->name, "main");
	assert_string_equal(row(funcs, 2)->name, "cold");
	ui_view_free(&v);
	profile_free(p);
}

static void test_io_rates(void **state)
{
	struct profile *p = io_profile();
	const char *names[] = { "io" };
	struct ui_filter f = {};
	struct ui_view v;
	const struct ui_table *disks;

	(void)state;
	build(&v, &p, names, 1, 2.0, &f);
	disks = &v.panels[UI_IO].tables[0];
	assert_string_equal(row(disks, 0)->name, "vda write");
	assert_float_equal(row(disks, 0)->v[0], 100.0, 1e-9);
	/* every request in [1 us, 2 us): the percentiles inside it */
	assert_true(row(disks, 0)->v[1] >= 1000 && row(disks, 0)->v[3] <= 2000);
	assert_true(v.panels[UI_IO].tables[1].nrows == 1);
	assert_non_null(strstr(v.panels[UI_IO].summary, "100 IOPS"));
	ui_view_free(&v);
	profile_free(p);
}

static void keys(struct ui_state *st, const char *s)
{
	for (; *s; s++)
		ui_key(st, *s);
}

static void test_keys(void **state)
{
	struct ui_state st;

	(void)state;
	ui_state_init(&st);
	assert_int_equal(ui_key(&st, 'q'), UI_QUIT);
	assert_int_equal(ui_key(&st, '\t'), UI_REDRAW);
	assert_int_equal(st.panel, UI_MEM);
	ui_key(&st, KEY_BTAB);
	ui_key(&st, KEY_LEFT);
	assert_int_equal(st.panel, UI_WAIT);
	ui_key(&st, KEY_RIGHT);
	assert_int_equal(st.panel, UI_CPU);
	assert_int_equal(ui_key(&st, 's'), UI_REBUILD);
	assert_int_equal(st.filter.sort[UI_CPU], 1);

	/* p: a PID typed, enter applies; letters are refused, the PID stays */
	ui_key(&st, 'p');
	assert_int_equal(st.prompt, UI_PROMPT_PID);
	keys(&st, "123");
	assert_int_equal(ui_key(&st, '\n'), UI_REBUILD);
	assert_int_equal(st.filter.pid, 123);
	keys(&st, "pab\n");
	assert_int_equal(st.filter.pid, 123);
	assert_non_null(strstr(st.message, "not a PID: 'ab'"));
	keys(&st, "p\n");
	assert_int_equal(st.filter.pid, 0);

	/* /: backspace edits, escape cancels, enter applies */
	keys(&st, "/spinx");
	ui_key(&st, KEY_BACKSPACE);
	ui_key(&st, '\n');
	assert_string_equal(st.filter.search, "spin");
	keys(&st, "/other");
	ui_key(&st, 27);
	assert_string_equal(st.filter.search, "spin");
	/* q in a prompt is text, not quit */
	keys(&st, "/");
	assert_int_equal(ui_key(&st, 'q'), UI_REDRAW);
	ui_key(&st, 27);

	assert_int_equal(ui_key(&st, ' '), UI_REBUILD);
	assert_true(st.paused);
	assert_int_equal(ui_key(&st, 'w'), UI_SNAPSHOT);
	assert_int_equal(ui_key(&st, 'W'), UI_SNAPSHOT_RUN);
	ui_key(&st, '?');
	assert_true(st.help);
	ui_key(&st, 'x');
	assert_false(st.help);
}

/* A collector that failed to start: its panel says why, the others are built. */
static void test_failed_panel(void **state)
{
	struct profile *ps[3] = { cpu_profile(), NULL, NULL };
	const char *names[] = { "cpu", "mem", "lock" };
	const char *failed[] = { NULL, "no allocator found in the mappings of PID 2", "no BTF" };
	struct ui_input in = { .profiles = ps, .names = names, .n = 3, .secs = 1, .ncpus = 2,
			       .failed = failed };
	struct ui_filter f = {};
	struct ui_view v;

	(void)state;
	ui_view_build(&v, &in, &f);
	assert_non_null(strstr(v.panels[UI_CPU].summary, "hottest: hot"));
	assert_string_equal(v.panels[UI_MEM].summary,
			    "MEM  mem failed to start: no allocator found in the mappings of PID 2");
	assert_string_equal(v.panels[UI_MEM].tables[0].why,
			    "mem failed to start: no allocator found in the mappings of PID 2");
	assert_string_equal(v.panels[UI_IO].summary, "I/O  not collected: --what leaves out io");
	assert_non_null(strstr(v.panels[UI_WAIT].summary, "lock failed to start: no BTF; not collected: --what leaves out offcpu"));
	/* the recommendations see the profiles that exist */
	assert_true(v.nadvice > 0);
	ui_view_free(&v);
	profile_free(ps[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_shares),
		cmocka_unit_test(test_io_rates),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_failed_panel),
	};

	return cmocka_run_group_tests_name("top_view", tests, NULL, NULL);
}
