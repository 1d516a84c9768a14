// SPDX-License-Identifier: GPL-2.0
/* Tables a profile asks the report for, and types merged by maximum. */
#include "testutil.h"
#include "profile_helper.h"
#include "write_helper.h"
#include "model/profile.h"
#include "output/output.h"

enum { ALLOC_N, ALLOC_B, INUSE_N, INUSE_B, AGE };

static uint32_t loc(struct profile *p, uint64_t addr, const char *name)
{
	return app_loc(p, 1, addr, name);
}

static struct profile *make(void)
{
	struct profile *p = profile_new();
	uint32_t leak[2] = { loc(p, 0x10, "malloc"), loc(p, 0x20, "leak_site") };
	uint32_t leak2[2] = { loc(p, 0x10, "malloc"), loc(p, 0x21, "leak_site") };
	uint32_t churn[2] = { loc(p, 0x10, "malloc"), loc(p, 0x30, "churn_site") };

	profile_add_type(p, "alloc_objects", "count");
	profile_add_type(p, "alloc_space", "bytes");
	profile_add_type(p, "inuse_objects", "count");
	profile_add_type(p, "inuse_space", "bytes");
	profile_add_type(p, "inuse_age", "nanoseconds");
	p->combine[AGE] = COMBINE_MAX;
	p->default_type = INUSE_B;
	p->duration_ns = 2000000000ULL;
	profile_add_stack_table(p, "Possible leaks", INUSE_B, INUSE_N, AGE);
	profile_add_stack_table(p, "Top sites by allocated bytes", ALLOC_B, ALLOC_N, -1);
	/* one site at two addresses of the same function: one row, ages by maximum */
	profile_add_sample(p, leak, 2, 7, 0, "app", (int64_t[]){ 600, 600 * 4096, 600, 600 * 4096, 1500000000 });
	profile_add_sample(p, leak2, 2, 7, 0, "app", (int64_t[]){ 400, 400 * 4096, 400, 400 * 4096, 500000000 });
	profile_add_sample(p, churn, 2, 7, 0, "app", (int64_t[]){ 100000, 6400000, 0, 0, 0 });
	return p;
}

static void test_tables(void **state)
{
	struct profile *p = make();
	char *out = run(write_report, p, INUSE_B);
	char *leaks = strstr(out, "Possible leaks:"), *top = strstr(out, "Top sites by allocated bytes:");

	(void)state;
	assert_non_null(strstr(out, "Totals:     inuse_space 3.9 MiB in 1,000 inuse_objects\n"));
	assert_non_null(strstr(out, "alloc_space 10.0 MiB in 101,000 alloc_objects (5.0 MiB/s)\n"));
	assert_non_null(leaks);
	assert_non_null(top);
	/* the leak: one row, count 1000, 4 KiB average, oldest 1.5 s; churn has nothing outstanding */
	assert_non_null(strstr(leaks, "       1,000      3.9 MiB      4.0 KiB     1.50 s  app [7]: malloc < leak_site\n"));
	assert_true(strstr(leaks, "churn_site") == NULL || strstr(leaks, "churn_site") > top);
	/* by allocated bytes churn comes first, 64 B on average */
	assert_non_null(strstr(top, "     100,000      6.1 MiB         64 B"));
	assert_true(strstr(top, "churn_site") < strstr(top, "leak_site"));
	free(out);
	profile_free(p);
}

static void test_max_type_merges_by_maximum(void **state)
{
	struct profile *p = make();
	char *out = run(write_folded, p, AGE);

	(void)state;
	assert_int_equal(profile_total(p, AGE), 1500000000);
	assert_int_equal(profile_total(p, INUSE_B), 1000 * 4096);
	/* the two addresses of leak_site fold into one line, at the larger age */
	assert_string_equal(out, "app;leak_site;malloc 1500000000\n");
	free(out);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_max_type_merges_by_maximum),
	};

	return cmocka_run_group_tests_name("report_tables", tests, NULL, NULL);
}
