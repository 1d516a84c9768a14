// SPDX-License-Identifier: GPL-2.0
/* The folded writer's format rules and the report's arithmetic. */
#include "testutil.h"
#include "write_helper.h"
#include "model/profile.h"
#include "output/output.h"

static uint32_t loc(struct profile *p, enum frame_kind kind, uint64_t addr, const char *name)
{
	uint32_t id = profile_location(p, kind, 1, addr, false);

	p->locs[id].name = profile_intern(p, name);
	p->locs[id].module = profile_intern(p, kind == FRAME_KERNEL ? "[kernel.kallsyms]" : "/bin/app");
	return id;
}

/* Frames are given root first here, stored leaf first as collectors do. */
static void add(struct profile *p, const char *comm, int64_t v, int n, const uint32_t *root_first)
{
	uint32_t ids[16];

	for (int i = 0; i < n; i++)
		ids[i] = root_first[n - 1 - i];
	profile_add_sample(p, ids, n, 1, 0, comm, (int64_t[]){ v, v * 10 });
}

static struct profile *make(void)
{
	struct profile *p = profile_new();
	uint32_t main_ = loc(p, FRAME_USER, 0x10, "main");
	uint32_t a = loc(p, FRAME_USER, 0x20, "spin_three");
	uint32_t a2 = loc(p, FRAME_USER, 0x21, "spin_three");	/* another address, same function */
	uint32_t b = loc(p, FRAME_USER, 0x30, "spin_one");
	uint32_t k = loc(p, FRAME_KERNEL, 0xffff0000, "vfs_read");
	uint32_t semi = loc(p, FRAME_USER, 0x40, "odd;name");

	profile_add_type(p, "samples", "count");
	profile_add_type(p, "cpu", "nanoseconds");
	add(p, "my app", 60, 2, (uint32_t[]){ main_, a });
	add(p, "my app", 15, 2, (uint32_t[]){ main_, a2 });
	add(p, "my app", 25, 2, (uint32_t[]){ main_, b });
	add(p, "my app", 0, 2, (uint32_t[]){ main_, b });	/* zero: not printed */
	add(p, "my app", 4, 3, (uint32_t[]){ main_, b, k });
	add(p, "my app", 1, 2, (uint32_t[]){ main_, semi });
	return p;
}

static void test_folded(void **state)
{
	struct profile *p = make();
	char *out = run(write_folded, p, 0);

	assert_string_equal(out,
		"my_app;main;odd:name 1\n"
		"my_app;main;spin_one 25\n"
		"my_app;main;spin_one;vfs_read_[k] 4\n"
		"my_app;main;spin_three 75\n");
	free(out);
	/* the second sample type weighs the same stacks */
	out = run(write_folded, p, 1);
	assert_non_null(strstr(out, "my_app;main;spin_three 750\n"));
	free(out);
	profile_free(p);
}

/*
 * Lines sort as their whole texts do (strcmp), not frame by frame: "b"
 * then "b!x" ('!' before ';') then "b;c"; and two names the escaping
 * makes one text are one line.
 */
static void test_folded_order_and_escaping(void **state)
{
	struct profile *p = profile_new();
	uint32_t b = loc(p, FRAME_USER, 0x10, "b");
	uint32_t bx = loc(p, FRAME_USER, 0x20, "b!x");
	uint32_t c = loc(p, FRAME_USER, 0x30, "c");
	uint32_t semi = loc(p, FRAME_USER, 0x40, "odd;name");
	uint32_t colon = loc(p, FRAME_USER, 0x50, "odd:name");
	char *out;

	profile_add_type(p, "samples", "count");
	profile_add_type(p, "cpu", "nanoseconds");
	add(p, "x", 1, 2, (uint32_t[]){ b, c });
	add(p, "x", 2, 1, (uint32_t[]){ bx });
	add(p, "x", 3, 1, (uint32_t[]){ b });
	add(p, "x", 4, 1, (uint32_t[]){ semi });
	add(p, "x", 5, 1, (uint32_t[]){ colon });
	add(p, "x", 6, 2, (uint32_t[]){ b, c });	/* the same stack again */
	out = run(write_folded, p, 0);
	assert_string_equal(out,
		"x;b 3\n"
		"x;b!x 2\n"
		"x;b;c 7\n"
		"x;odd:name 9\n");
	free(out);
	profile_free(p);
}

struct ref_line {
	char text[128];
	int64_t v;
};

static int cmp_ref(const void *a, const void *b)
{
	return strcmp(((const struct ref_line *)a)->text, ((const struct ref_line *)b)->text);
}

/*
 * Many stacks that share their front segments (comms, root frames) and
 * differ further in, with names that are prefixes of each other and that
 * the escaping makes one: the writer's output is exactly the texts made
 * one by one, summed and sorted by strcmp.
 */
static void test_folded_like_strcmp(void **state)
{
	const char *names[] = { "a", "ab", "a!", "b", "odd;x", "odd:x", "" };
	const char *comms[] = { "c", "c d", "c_d" };
	struct profile *p = profile_new();
	struct ref_line *ref = calloc(400, sizeof(*ref));
	uint32_t ids[7];
	size_t nref = 0, len = 0;
	unsigned seed = 7;
	char *out, *want = calloc(400, 160);

	profile_add_type(p, "samples", "count");
	profile_add_type(p, "cpu", "nanoseconds");
	for (int i = 0; i < 7; i++)
		ids[i] = loc(p, FRAME_USER, 0x10 * (i + 1), names[i]);
	for (int s = 0; s < 400; s++) {
		uint32_t st[5];
		int n = 1 + (seed = seed * 1103515245 + 12345) % 5, c = (seed >> 8) % 3;
		struct ref_line r = {};
		size_t k;

		snprintf(r.text, sizeof(r.text), "%s", c == 1 ? "c_d" : comms[c]);
		for (int i = 0; i < n; i++) {
			int w = (seed = seed * 1103515245 + 12345) >> 16;

			st[i] = ids[w % 7];
			strcat(r.text, ";");
			strcat(r.text, !strcmp(names[w % 7], "odd;x") ? "odd:x" : names[w % 7]);
		}
		r.v = 1 + s % 3;
		add(p, comms[c], r.v, n, st);
		for (k = 0; k < nref && strcmp(ref[k].text, r.text); k++)
			;
		if (k == nref)
			ref[nref++] = (struct ref_line){ .v = 0 };
		if (!ref[k].text[0])
			memcpy(ref[k].text, r.text, sizeof(r.text));
		ref[k].v += r.v;
	}
	qsort(ref, nref, sizeof(*ref), cmp_ref);
	for (size_t k = 0; k < nref; k++)
		len += sprintf(want + len, "%s %lld\n", ref[k].text, (long long)ref[k].v);
	out = run(write_folded, p, 0);
	assert_string_equal(out, want);
	free(out);
	free(want);
	free(ref);
	profile_free(p);
}

static void test_report_arithmetic(void **state)
{
	struct profile *p = make();
	char *out = run(write_report, p, 0);

	/* total 105: spin_three 75 = 71.4%, spin_one self 25 = 23.8%, total 29 = 27.6% */
	if (getenv("DUMP"))
		fputs(out, stderr);
	assert_non_null(strstr(out, "Total:      105 samples"));
	assert_non_null(strstr(out, "          75  71.4%           75  71.4%  spin_three  [app]"));
	assert_non_null(strstr(out, "          25  23.8%           29  27.6%  spin_one  [app]"));
	assert_non_null(strstr(out, "           4   3.8%            4   3.8%  vfs_read  [kernel]"));
	assert_non_null(strstr(out, "           0   0.0%          105 100.0%  main  [app]"));
	/* the two spin_three addresses merge into one hottest stack */
	assert_non_null(strstr(out, "  75 samples (71.4%)  my app [pid 1]"));
	assert_non_null(strstr(out, "Lost:       none"));
	free(out);
	profile_free(p);
}

static void test_report_recursion_counted_once(void **state)
{
	struct profile *p = profile_new();
	uint32_t r = loc(p, FRAME_USER, 0x10, "recurse");
	uint32_t r2 = loc(p, FRAME_USER, 0x11, "recurse");
	char *out;

	profile_add_type(p, "samples", "count");
	add(p, "x", 10, 3, (uint32_t[]){ r, r2, r });
	out = run(write_report, p, 0);
	assert_non_null(strstr(out, "          10 100.0%           10 100.0%  recurse"));
	free(out);
	profile_free(p);
}

static void test_report_losses_and_units(void **state)
{
	struct profile *p = make();
	char *out;

	profile_add_loss(p, "stacks did not fit", 3, "raise --max-stacks");
	out = run(write_report, p, 1);
	assert_non_null(strstr(out, "Lost:       3 stacks did not fit: raise --max-stacks"));
	/* nanoseconds are shown as time: 1050 ns total */
	assert_non_null(strstr(out, "Total:      1.1 us"));
	free(out);
	profile_free(p);
}

static void test_writer_selection(void **state)
{
	assert_string_equal(writer_for_path("out.folded")->name, "folded");
	assert_string_equal(writer_for_path("x/report.txt")->name, "report");
	assert_null(writer_for_path("out.unknown"));
	assert_null(writer_find("nope"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_folded_order_and_escaping),
		cmocka_unit_test(test_folded_like_strcmp),
		cmocka_unit_test(test_report_arithmetic),
		cmocka_unit_test(test_report_recursion_counted_once),
		cmocka_unit_test(test_report_losses_and_units),
		cmocka_unit_test(test_writer_selection),
	};

	return cmocka_run_group_tests_name("writers", tests, NULL, NULL);
}
