// SPDX-License-Identifier: GPL-2.0
/*
 * A maximum sample type (COMBINE_MAX: lock's max_delay, mem's inuse_age) is
 * merged by taking the largest everywhere values meet: the flame tree, the
 * svg, the report's totals, functions, stacks and processes, folded lines,
 * the diff, and a pprof round trip keeps the mark.  Sum types still sum.
 */
#include <unistd.h>

#include "testutil.h"
#include "write_helper.h"
#include "model/profile.h"
#include "input/input.h"
#include "output/flame.h"
#include "output/output.h"

enum { COUNT, DELAY, MAXD };

static uint32_t loc(struct profile *p, uint64_t addr, const char *name)
{
	uint32_t id = profile_location(p, FRAME_USER, 7, addr, false);

	p->locs[id].name = profile_intern(p, name);
	p->locs[id].module = profile_intern(p, "/bin/app");
	return id;
}

/* Frames root first here, stored leaf first. */
static void add(struct profile *p, int n, const uint32_t *root_first, int64_t c, int64_t d,
		int64_t m)
{
	uint32_t ids[8];

	for (int i = 0; i < n; i++)
		ids[i] = root_first[n - 1 - i];
	profile_add_sample(p, ids, n, 7, 0, "app", (int64_t[]){ c, d, m });
}

/*
 * main -> f1 -> leaf_a: 3 waits, 300 ns, longest 200
 * main -> f1 -> leaf_b: 2 waits, 100 ns, longest 70
 * main -> f2:           1 wait,   50 ns, longest 50
 * main -> f2 (another address, the same function): 1 wait, 10 ns, longest 10
 */
static struct profile *make(void)
{
	struct profile *p = profile_new();
	uint32_t m = loc(p, 0x10, "main"), f1 = loc(p, 0x20, "f1"), f2 = loc(p, 0x30, "f2");
	uint32_t f2b = loc(p, 0x31, "f2"), a = loc(p, 0x40, "leaf_a"), b = loc(p, 0x50, "leaf_b");

	profile_add_type(p, "contentions", "count");
	profile_add_type(p, "delay", "nanoseconds");
	profile_add_type(p, "max_delay", "nanoseconds");
	p->combine[MAXD] = COMBINE_MAX;
	p->duration_ns = 2000000000;
	add(p, 3, (uint32_t[]){ m, f1, a }, 3, 300, 200);
	add(p, 3, (uint32_t[]){ m, f1, b }, 2, 100, 70);
	add(p, 2, (uint32_t[]){ m, f2 }, 1, 50, 50);
	add(p, 2, (uint32_t[]){ m, f2b }, 1, 10, 10);
	return p;
}

static const struct flame_node *node(const struct flame *fl, const char *name)
{
	for (size_t i = 0; i < fl->n; i++)
		if (!strcmp(fl->nodes[i].name, name))
			return &fl->nodes[i];
	fail_msg("no node %s", name);
	return NULL;
}

static void test_flame_tree(void **state)
{
	struct profile *p = make();
	struct flame fl;

	/* a parent's max_delay is its largest child's, not the sum */
	flame_build(&fl, p, MAXD, DELAY, GROUP_BY_COMM);
	assert_int_equal(node(&fl, "f1")->value[0], 200);	/* not 270 */
	assert_int_equal(node(&fl, "f2")->value[0], 50);	/* not 60 */
	assert_int_equal(node(&fl, "main")->value[0], 200);	/* not 330 */
	assert_int_equal(fl.nodes[0].value[0], 200);
	/* the sum type beside it still sums */
	assert_int_equal(node(&fl, "f1")->value[1], 400);
	assert_int_equal(node(&fl, "f2")->value[1], 60);
	assert_int_equal(node(&fl, "main")->value[1], 460);
	assert_int_equal(fl.nodes[0].value[1], 460);
	flame_free(&fl);
	flame_build(&fl, p, COUNT, -1, GROUP_BY_COMM);
	assert_int_equal(node(&fl, "main")->value[0], 7);
	flame_free(&fl);
	profile_free(p);
}

static void test_svg(void **state)
{
	struct profile *p = make();
	char *out = run(write_svg, p, MAXD);

	assert_non_null(strstr(out, "data-n=\"main\" data-v=\"200\""));
	assert_non_null(strstr(out, "data-n=\"f1\" data-v=\"200\""));
	assert_non_null(strstr(out, "data-combine=\"max\""));
	assert_non_null(strstr(out, ">Largest: 200 ns<"));
	/* f1 (200) and f2 (50) share main's 1180 pixels: 944 and 236, none overflows */
	assert_non_null(strstr(out, "<title>f1 (200 ns, 100.00%, user)</title><rect x=\"10.00\" "));
	assert_non_null(strstr(out, "width=\"944.00\""));
	assert_non_null(strstr(out, "<title>f2 (50 ns, 25.00%, user)</title><rect x=\"954.00\" "));
	assert_non_null(strstr(out, "width=\"236.00\""));
	/* below f1, leaf_a and leaf_b (270) share f1's 944 pixels */
	assert_non_null(strstr(out, "width=\"699.26\""));	/* 944 * 200 / 270 */
	free(out);
	out = run(write_svg, p, DELAY);
	assert_null(strstr(out, "data-combine=\"max\""));
	assert_non_null(strstr(out, "data-n=\"main\" data-v=\"460\""));
	assert_non_null(strstr(out, ">Total: 460 ns<"));
	free(out);
	profile_free(p);
}

static void test_report(void **state)
{
	struct profile *p = make();
	char *out = run(write_report, p, MAXD);

	if (getenv("DUMP"))
		fputs(out, stderr);
	assert_non_null(strstr(out, "Largest:    200 ns \n"));	/* no rate for a maximum */
	assert_non_null(strstr(out, "      200 ns 100.0%       200 ns 100.0%  leaf_a  [app]"));
	assert_non_null(strstr(out, "       50 ns  25.0%        50 ns  25.0%  f2  [app]"));
	assert_non_null(strstr(out, "        0 ns   0.0%       200 ns 100.0%  main  [app]"));
	/* the two f2 addresses are one stack: its longest wait, 50 */
	assert_non_null(strstr(out, "\n  50 ns  (25.0%)  app [pid 7]"));
	/* the process row: 7 waits, 460 ns, longest 200 */
	assert_non_null(strstr(out, "           7       460 ns       200 ns        7  app"));
	free(out);
	out = run(write_report, p, DELAY);
	assert_non_null(strstr(out, "Total:      460 ns  (230 ns/s)"));
	assert_non_null(strstr(out, "      460 ns 100.0%  main  [app]"));
	free(out);
	profile_free(p);
}

static void test_folded(void **state)
{
	struct profile *p = make();
	char *out = run(write_folded, p, MAXD);

	/* the two f2 addresses fold into one line: the larger */
	assert_string_equal(out, "app;main;f1;leaf_a 200\napp;main;f1;leaf_b 70\napp;main;f2 50\n");
	free(out);
	out = run(write_folded, p, DELAY);
	assert_non_null(strstr(out, "app;main;f2 60\n"));
	free(out);
	profile_free(p);
}

static void test_pprof_keeps_max(void **state)
{
	struct profile *p = make(), *q;
	struct write_opts o = test_opts(DELAY);
	char path[] = "/tmp/maxtypes-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	char *out;

	assert_non_null(f);
	assert_int_equal(write_pprof(p, &o, f), 0);
	fclose(f);
	q = profile_read(path);
	unlink(path);
	assert_non_null(q);
	assert_int_equal(q->combine[MAXD], COMBINE_MAX);
	assert_int_equal(q->combine[DELAY], COMBINE_SUM);
	assert_true(profile_total(q, MAXD) == 200);
	assert_true(profile_total(q, DELAY) == 460);
	assert_null(q->event);	/* the mark is no event */
	out = run(write_report, q, MAXD);
	assert_non_null(strstr(out, "Largest:    200 ns \n"));
	free(out);
	profile_free(q);
	profile_free(p);
}

static void test_json_and_diff(void **state)
{
	struct profile *p = make(), *d = profile_new();
	struct write_opts o = test_opts(1);
	uint32_t m = loc(d, 0x10, "main"), a = loc(d, 0x20, "a"), b = loc(d, 0x30, "b");
	char *out = run(write_json, p, DELAY);

	assert_non_null(strstr(out, "{\"name\": \"max_delay\", \"unit\": \"nanoseconds\", "
				    "\"aggregate\": \"max\"}"));
	assert_non_null(strstr(out, "{\"name\": \"delay\", \"unit\": \"nanoseconds\"}"));
	free(out);

	/* a diff of maxima, as profiler diff builds it: base a 100, b 40; new a 100, b 300 */
	profile_add_type(d, "base", "nanoseconds");
	profile_add_type(d, "max_delay", "nanoseconds");
	d->combine[0] = d->combine[1] = COMBINE_MAX;
	profile_add_sample(d, (uint32_t[]){ a, m }, 2, 1, 0, "app", (int64_t[]){ 100, 0 });
	profile_add_sample(d, (uint32_t[]){ b, m }, 2, 1, 0, "app", (int64_t[]){ 40, 0 });
	profile_add_sample(d, (uint32_t[]){ a, m }, 2, 1, 0, "app", (int64_t[]){ 0, 100 });
	profile_add_sample(d, (uint32_t[]){ b, m }, 2, 1, 0, "app", (int64_t[]){ 0, 300 });
	o.diff = true;
	out = write_to_string(write_diff_report, d, &o);
	if (getenv("DUMP"))
		fputs(out, stderr);
	assert_non_null(strstr(out, "Base:       100 ns"));
	assert_non_null(strstr(out, "New:        300 ns  (+200.0%)"));
	free(out);
	out = write_to_string(write_svg, d, &o);
	assert_non_null(strstr(out, "data-n=\"main\" data-v=\"300\""));
	/* base main 100, scaled to the new largest (x3) */
	assert_non_null(strstr(out, "main (new 300 ns, base 300 ns normalised, +0.0%)"));
	free(out);
	profile_free(d);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flame_tree),
		cmocka_unit_test(test_svg),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_pprof_keeps_max),
		cmocka_unit_test(test_json_and_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
