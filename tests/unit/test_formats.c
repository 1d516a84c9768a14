// SPDX-License-Identifier: GPL-2.0
/*
 * The protobuf encoder, the pprof writer and reader (round trips keep
 * totals, types, names, labels, build-ids, lines, losses), the folded
 * reader, the SVG and JSON writers, and the differential writers.
 */
#include <unistd.h>
#include <zlib.h>

#include "testutil.h"
#include "write_helper.h"
#include "model/profile.h"
#include "input/input.h"
#include "output/output.h"
#include "util/protobuf.h"

static uint32_t loc(struct profile *p, enum frame_kind kind, uint64_t addr, const char *name)
{
	uint32_t id = profile_location(p, kind, 1, addr, false);

	p->locs[id].name = profile_intern(p, name);
	p->locs[id].module = profile_intern(p, kind == FRAME_KERNEL ? "[kernel.kallsyms]" : "/bin/app");
	if (kind != FRAME_KERNEL) {
		p->locs[id].module_addr = addr;
		p->locs[id].build_id = profile_intern(p, "0123abcd");
	}
	return id;
}

/* Frames root first here, stored leaf first. */
static void add(struct profile *p, const char *comm, int64_t v, int n, const uint32_t *root_first)
{
	uint32_t ids[16];

	for (int i = 0; i < n; i++)
		ids[i] = root_first[n - 1 - i];
	profile_add_sample(p, ids, n, 42, 0, comm, (int64_t[]){ v, v * 1000 });
}

static struct profile *make(void)
{
	struct profile *p = profile_new();
	uint32_t main_ = loc(p, FRAME_USER, 0x10, "main");
	uint32_t a = loc(p, FRAME_USER, 0x20, "spin_three");
	uint32_t b = loc(p, FRAME_USER, 0x30, "spin_one");
	uint32_t k = loc(p, FRAME_KERNEL, 0xffffffff81000000ULL, "vfs_read");
	uint32_t odd = loc(p, FRAME_USER, 0x40, "a<b>&\"c\"");

	p->locs[a].file = profile_intern(p, "burn31.c");
	p->locs[a].line = 17;
	profile_add_type(p, "samples", "count");
	profile_add_type(p, "cpu", "nanoseconds");
	p->event = "cpu-clock at 99 Hz";
	p->period_type = (struct sample_type){ "cpu", "nanoseconds" };
	p->period = 10101010;
	p->start_time_ns = 1700000000000000000ULL;
	p->duration_ns = 2000000000;
	add(p, "burn31", 75, 2, (uint32_t[]){ main_, a });
	add(p, "burn31", 25, 2, (uint32_t[]){ main_, b });
	add(p, "burn31", 4, 3, (uint32_t[]){ main_, b, k });
	add(p, "burn31", 1, 2, (uint32_t[]){ main_, odd });
	profile_add_loss(p, "stacks did not fit", 3, "raise --max-stacks");
	return p;
}

static void test_varints(void **state)
{
	static const uint64_t vals[] = { 0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, UINT64_MAX };
	struct pb_buf b = {};
	struct pb_reader r;
	uint32_t field;
	int wire;

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		pb_uint(&b, i + 1, vals[i]);
	pb_string(&b, 20, "hello");
	r = (struct pb_reader){ b.data, b.data + b.len, false };
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		assert_true(pb_next(&r, &field, &wire));
		assert_int_equal(field, i + 1);
		assert_int_equal(wire, PB_VARINT);
		assert_true(pb_read_varint(&r) == vals[i]);
	}
	assert_true(pb_next(&r, &field, &wire));
	assert_int_equal(field, 20);
	struct pb_reader s = pb_read_len(&r);
	assert_int_equal(s.end - s.p, 5);
	assert_memory_equal(s.p, "hello", 5);
	assert_false(pb_next(&r, &field, &wire));
	assert_false(r.bad);
	/* cut short: the reader notices, never reads past the end */
	r = (struct pb_reader){ b.data, b.data + b.len - 2, false };
	while (pb_next(&r, &field, &wire))
		pb_skip(&r, wire);
	assert_true(r.bad);
	pb_free(&b);
}

static char *tmp_path(const char *name)
{
	char *path;

	assert_true(asprintf(&path, "/tmp/profiler-test-%d-%s", getpid(), name) > 0);
	return path;
}

static struct profile *round_trip(const struct profile *p, const struct write_opts *o,
				  int (*w)(const struct profile *, const struct write_opts *, FILE *),
				  const char *name)
{
	char *path = tmp_path(name);
	FILE *f = fopen(path, "w");
	struct profile *q;

	assert_non_null(f);
	assert_int_equal(w(p, o, f), 0);
	fclose(f);
	q = profile_read(path);
	unlink(path);
	free(path);
	assert_non_null(q);
	return q;
}

static void test_pprof_round_trip(void **state)
{
	struct profile *p = make();
	struct write_opts o = test_opts(0);
	struct profile *q = round_trip(p, &o, write_pprof, "rt.pb.gz");
	char *f1, *f2;
	bool seen_line = false, seen_kernel = false;

	assert_int_equal(q->ntypes, 2);
	assert_string_equal(q->types[0].name, "samples");
	assert_string_equal(q->types[1].unit, "nanoseconds");
	assert_int_equal(q->default_type, 0);
	assert_true(profile_total(q, 0) == 105);
	assert_true(profile_total(q, 1) == 105000);
	assert_int_equal(q->nsamples, 4);
	assert_true(q->period == 10101010);
	assert_string_equal(q->period_type.name, "cpu");
	assert_true(q->duration_ns == 2000000000);
	assert_true(q->start_time_ns == 1700000000000000000ULL);
	assert_string_equal(q->event, "cpu-clock at 99 Hz");
	assert_int_equal(q->nlosses, 1);
	assert_true(q->losses[0].count == 3);
	assert_string_equal(q->losses[0].what, "stacks did not fit");
	assert_string_equal(q->losses[0].hint, "raise --max-stacks");
	assert_int_equal(q->samples[0].pid, 42);
	assert_string_equal(sample_label(q, &q->samples[0])->comm, "burn31");
	for (size_t i = 0; i < q->nlocs; i++) {
		if (!strcmp(q->locs[i].name, "spin_three")) {
			assert_string_equal(q->locs[i].file, "burn31.c");
			assert_int_equal(q->locs[i].line, 17);
			assert_string_equal(q->locs[i].build_id, "0123abcd");
			assert_string_equal(q->locs[i].module, "/bin/app");
			seen_line = true;
		}
		if (!strcmp(q->locs[i].name, "vfs_read")) {
			assert_int_equal(q->locs[i].kind, FRAME_KERNEL);
			seen_kernel = true;
		}
	}
	assert_true(seen_line && seen_kernel);
	/* the same folded stacks, for either type */
	for (int t = 0; t < 2; t++) {
		o = test_opts(t);
		f1 = write_to_string(write_folded, p, &o);
		f2 = write_to_string(write_folded, q, &o);
		assert_string_equal(f1, f2);
		free(f1);
		free(f2);
	}
	profile_free(q);
	profile_free(p);
}

static void test_folded_round_trip(void **state)
{
	struct profile *p = make();
	struct write_opts o = test_opts(0);
	struct profile *q = round_trip(p, &o, write_folded, "rt.folded");
	char *f1 = write_to_string(write_folded, p, &o), *f2 = write_to_string(write_folded, q, &o);

	assert_string_equal(f1, f2);
	assert_true(profile_total(q, 0) == 105);
	for (size_t i = 0; i < q->nlocs; i++)
		if (!strcmp(q->locs[i].name, "vfs_read"))
			assert_int_equal(q->locs[i].kind, FRAME_KERNEL);
	free(f1);
	free(f2);
	profile_free(q);
	profile_free(p);
}

static void test_folded_reader_rules(void **state)
{
	static const char good[] = "a;b;c 10\n\n a;b 5 \r\na;b;c 2\nx 1\n";
	static const char bad[] = "a;b;c 10\nno count here\n";
	struct profile *p = read_folded(good, sizeof(good) - 1, "good");
	struct write_opts o = test_opts(0);
	char *out;

	assert_non_null(p);
	out = write_to_string(write_folded, p, &o);
	/* a line per stack, repeated stacks summed, a process with no frames kept;
	 * the process name keeps no spaces, as the folded writer always did */
	assert_string_equal(out, "_a;b 5\na;b;c 12\nx 1\n");
	free(out);
	profile_free(p);
	assert_null(read_folded(bad, sizeof(bad) - 1, "bad"));
}

static void test_svg(void **state)
{
	struct profile *p = make();
	struct write_opts o = test_opts(0);
	char *out;

	o.title = "My <graph>";
	out = write_to_string(write_svg, p, &o);
	assert_non_null(strstr(out, "<title>all (105 samples, 100.00%)</title>"));
	assert_non_null(strstr(out, "data-n=\"spin_three\" data-v=\"75\" data-d=\"3\""));
	assert_non_null(strstr(out, "spin_three (75 samples, 71.43%, user)"));
	assert_non_null(strstr(out, "vfs_read (4 samples, 3.81%, kernel)"));
	assert_non_null(strstr(out, "My &lt;graph&gt;"));
	assert_non_null(strstr(out, "data-n=\"a&lt;b&gt;&amp;&quot;c&quot;\""));
	assert_non_null(strstr(out, "data-palette=\"cpu\""));
	assert_non_null(strstr(out, "<script"));
	assert_null(strstr(out, "http://www.w3.org/1999"));	/* nothing fetched */
	/* the root spans the width between the paddings, at the bottom */
	assert_non_null(strstr(out, "<rect x=\"10.00\" y=\"112.0\" width=\"1180.00\""));
	free(out);

	/* icicle: the root at the top */
	o.inverted = true;
	out = write_to_string(write_svg, p, &o);
	assert_non_null(strstr(out, "<rect x=\"10.00\" y=\"48.0\" width=\"1180.00\""));
	free(out);

	/* memory palette for bytes; narrow frames merged: at 180 pixels for 110,
	 * each 1-sample leaf is 1.6 pixels; six of them make one 9.8-pixel frame */
	for (int i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "tiny%d", i);
		add(p, "burn31", 1, 2, (uint32_t[]){ 0, loc(p, FRAME_USER, 0x100 + i, name) });
	}
	o = test_opts(1);
	p->types[1].unit = "bytes";
	p->types[1].name = "alloc_space";
	o.width = 200;
	o.minwidth = 5;
	out = write_to_string(write_svg, p, &o);
	assert_non_null(strstr(out, "data-palette=\"memory\""));
	assert_non_null(strstr(out, "data-n=\"[6 narrow frames]\" data-v=\"6000\""));
	assert_null(strstr(out, "data-n=\"tiny0\""));
	assert_non_null(strstr(out, "data-n=\"vfs_read\""));	/* 6.5 pixels */
	free(out);
	profile_free(p);
}

static void test_json(void **state)
{
	struct profile *p = make();
	struct write_opts o = test_opts(0);
	char *out = write_to_string(write_json, p, &o);

	assert_non_null(strstr(out, "\"sample_types\": [{\"name\": \"samples\", \"unit\": \"count\"}, "
				    "{\"name\": \"cpu\", \"unit\": \"nanoseconds\"}]"));
	assert_non_null(strstr(out, "{\"name\": \"spin_three\", \"module\": \"/bin/app\", "
				    "\"kind\": \"user\", \"address\": 32, \"file\": \"burn31.c\", "
				    "\"line\": 17, \"build_id\": \"0123abcd\"}"));
	assert_non_null(strstr(out, "\"kind\": \"kernel\""));
	assert_non_null(strstr(out, "\"name\": \"a<b>&\\\"c\\\"\""));
	/* root to leaf: main (0), spin_one (2), vfs_read (3) */
	assert_non_null(strstr(out, "\"frames\": [0, 2, 3], \"values\": [4, 4000]"));
	assert_non_null(strstr(out, "\"losses\": [{\"what\": \"stacks did not fit\", \"count\": 3"));
	free(out);
	profile_free(p);
}

static void test_diff_writers(void **state)
{
	struct profile *d = profile_new();
	uint32_t m = loc(d, FRAME_USER, 0x10, "main");
	uint32_t a = loc(d, FRAME_USER, 0x20, "hot");
	uint32_t b = loc(d, FRAME_USER, 0x30, "cool");
	struct write_opts o = test_opts(1);
	uint32_t s1[] = { a, m }, s2[] = { b, m };
	char *out;

	profile_add_type(d, "base", "count");
	profile_add_type(d, "samples", "count");
	/* base: hot 50, cool 50; new (twice as long): hot 150, cool 50 */
	profile_add_sample(d, s1, 2, 1, 0, "app", (int64_t[]){ 50, 0 });
	profile_add_sample(d, s2, 2, 1, 0, "app", (int64_t[]){ 50, 0 });
	profile_add_sample(d, s1, 2, 1, 0, "app", (int64_t[]){ 0, 150 });
	profile_add_sample(d, s2, 2, 1, 0, "app", (int64_t[]){ 0, 50 });
	o.diff = true;
	out = write_to_string(write_folded, d, &o);
	assert_string_equal(out, "app;main;cool 50 50\napp;main;hot 50 150\n");
	free(out);
	out = write_to_string(write_diff_report, d, &o);
	if (getenv("DUMP"))
		fputs(out, stderr);
	/* shares: hot 50% -> 75%, cool 50% -> 25% */
	assert_non_null(strstr(out, "   50.0%    75.0%   +25.0   hot"));
	assert_non_null(strstr(out, "   50.0%    25.0%   -25.0   cool"));
	free(out);
	/* normalised: base scaled by 200/100, hot grew (red), cool shrank (blue) */
	out = write_to_string(write_svg, d, &o);
	assert_non_null(strstr(out, "hot (new 150, base 100 normalised, +50.0%)"));
	assert_non_null(strstr(out, "cool (new 50, base 100 normalised, -50.0%)"));
	assert_non_null(strstr(out, "fill=\"rgb(255,55,55)\""));
	assert_non_null(strstr(out, "fill=\"rgb(55,55,255)\""));
	free(out);
	profile_free(d);
}

static uint32_t module_loc(struct profile *p, uint64_t addr, const char *name, const char *mod)
{
	uint32_t id = profile_location(p, FRAME_USER, 1, addr, false);

	p->locs[id].name = profile_intern(p, name);
	p->locs[id].module = profile_intern(p, mod);
	return id;
}

/*
 * pprof's locations, functions and strings go to gzip a megabyte at a time
 * (GZIP_CHUNK in src/output/pprof.c): 100,000 samples, each of its own
 * function with a 41-byte name, make the samples (~1.3 MB), the locations
 * with their functions (~3 MB) and the strings (~4.3 MB) each cross that
 * size, and the file read back gives every stack and value again.
 */
static void test_pprof_round_trip_large(void **state)
{
	struct profile *p = profile_new();
	struct write_opts o = test_opts(0);
	uint32_t root = loc(p, FRAME_USER, 0x10, "main");
	enum { N = 100000 };
	struct profile *q;
	char name[64];
	char *f1, *f2;

	profile_add_type(p, "samples", "count");
	profile_add_type(p, "cpu", "nanoseconds");
	for (uint32_t i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "a_function_with_a_long_name_%06u_padding", i);
		add(p, "big", i + 1, 2, (uint32_t[]){ root, loc(p, FRAME_USER, 0x1000 + 16 * i, name) });
	}
	q = round_trip(p, &o, write_pprof, "big.pb.gz");
	assert_int_equal(q->nsamples, N);
	assert_true(profile_total(q, 0) == (int64_t)N * (N + 1) / 2);
	f1 = write_to_string(write_folded, p, &o);
	f2 = write_to_string(write_folded, q, &o);
	assert_true(strlen(f1) > (4u << 20));	/* the names alone are 4.3 MB */
	assert_string_equal(f1, f2);
	free(f1);
	free(f2);
	profile_free(q);
	profile_free(p);
}

/* The file name of a pprof file's first mapping: what pprof calls the main binary. */
static char *first_mapping(const char *path)
{
	static unsigned char buf[1 << 16];
	gzFile gz = gzopen(path, "rb");
	struct pb_reader r;
	uint64_t want = UINT64_MAX, nstr = 0;
	char *name = NULL;
	uint32_t field;
	int len, wire;

	assert_non_null(gz);
	len = gzread(gz, buf, sizeof(buf));
	gzclose(gz);
	assert_true(len > 0 && len < (int)sizeof(buf));
	r = (struct pb_reader){ buf, buf + len, false };
	while (pb_next(&r, &field, &wire)) {
		if (field == 3 && want == UINT64_MAX) {	/* Profile.mapping */
			struct pb_reader m = pb_read_len(&r);
			uint32_t f;
			int w;

			while (pb_next(&m, &f, &w))
				if (f == 5)
					want = pb_read_varint(&m);
				else
					pb_skip(&m, w);
		} else if (field == 6) {	/* Profile.string_table */
			struct pb_reader st = pb_read_len(&r);

			if (nstr++ == want)
				name = strndup((const char *)st.p, st.end - st.p);
		} else {
			pb_skip(&r, wire);
		}
	}
	assert_false(r.bad);
	return name;
}

/*
 * pprof calls the first mapping the main binary.  It must be the
 * executable the weight is in, not the module met first ([vdso] here), not
 * libc (in every stack), not a lighter executable.
 */
static void test_pprof_main_binary(void **state)
{
	struct profile *p = profile_new();
	uint32_t vdso = module_loc(p, 0x7ffd0000, "__vdso_clock_gettime", "[vdso]");
	uint32_t start = module_loc(p, 0x7f000000, "__libc_start_call_main", "/lib/libc.so.6");
	uint32_t main_ = module_loc(p, 0x1000, "main", "/bin/app");
	uint32_t spin = module_loc(p, 0x1100, "spin", "/bin/app");
	uint32_t other = module_loc(p, 0x2000, "other_main", "/bin/other");
	struct write_opts o = test_opts(0);
	char *path = tmp_path("main.pb.gz"), *first;
	FILE *f;

	profile_add_type(p, "samples", "count");
	profile_add_sample(p, (uint32_t[]){ vdso, main_, start }, 3, 1, 0, "app", (int64_t[]){ 1 });
	profile_add_sample(p, (uint32_t[]){ other, start }, 2, 2, 0, "other", (int64_t[]){ 20 });
	profile_add_sample(p, (uint32_t[]){ spin, main_, start }, 3, 1, 0, "app", (int64_t[]){ 100 });
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(write_pprof(p, &o, f), 0);
	fclose(f);
	first = first_mapping(path);
	unlink(path);
	assert_non_null(first);
	assert_string_equal(first, "/bin/app");
	free(first);
	free(path);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varints),
		cmocka_unit_test(test_pprof_round_trip),
		cmocka_unit_test(test_pprof_round_trip_large),
		cmocka_unit_test(test_pprof_main_binary),
		cmocka_unit_test(test_folded_round_trip),
		cmocka_unit_test(test_folded_reader_rules),
		cmocka_unit_test(test_svg),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_diff_writers),
	};

	return cmocka_run_group_tests_name("formats", tests, NULL, NULL);
}
