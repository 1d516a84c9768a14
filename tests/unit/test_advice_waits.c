// SPDX-License-Identifier: GPL-2.0
/*
 * The recommendation rules about waiting (locks, off-CPU threads, fsync),
 * I/O latency and the profile's own quality, on synthetic profiles: each
 * fires just above its threshold and stays silent just below.
 */
#include "advice_helper.h"

/* ---- waits ---- */

static bool lock_fires(int64_t delay, int64_t contentions, const char *text)
{
	struct profile *p = profile_new();
	int maxt;

	profile_add_type(p, "contentions", "count");
	profile_add_type(p, "delay", "nanoseconds");
	maxt = profile_add_type(p, "max_delay", "nanoseconds");
	p->combine[maxt] = COMBINE_MAX;
	p->default_type = 1;
	p->duration_ns = SEC;
	/* four threads, the same stack */
	for (uint32_t t = 0; t < 4; t++)
		add(p, 100 + t, "app", (struct fr[]){ LIBC("__lll_lock_wait"), U("take"),
			U("update"), { FRAME_GROUP, "lock:big_lock (futex)", "lock" }, END },
		    (int64_t[]){ contentions / 4 + (t < contentions % 4), delay / 4 + (t < delay % 4),
				 delay / 4 + 1 });
	/* one long wait on another lock: no contention */
	add(p, 200, "app", (struct fr[]){ LIBC("__futex_wait"), U("main"),
		{ FRAME_GROUP, "lock:joined (futex)", "lock" }, END },
	    (int64_t[]){ 1, SEC / 2, SEC / 2 });
	return fires(p, "lock-contended", text ? text : "big_lock");
}

static void test_lock(void **state)
{
	(void)state;
	assert_true(lock_fires(101 * MS, 10, "big_lock (futex): 0.101 s spent waiting for it, "
				"10.1% of the 1.00 s run"));
	assert_true(lock_fires(101 * MS, 10, "10 contentions by 4 waiting threads"));
	assert_true(lock_fires(101 * MS, 10, "take < update [app]"));
	assert_false(lock_fires(99 * MS, 10, NULL));
	assert_false(lock_fires(900 * MS, LOCK_MIN_CONTENTIONS - 1, NULL));
}

static struct profile *offcpu_profile(void)
{
	struct profile *p = profile_new();

	profile_add_type(p, "offcpu", "nanoseconds");
	profile_add_type(p, "switches", "count");
	p->duration_ns = SEC;
	return p;
}

static bool thread_fires(int64_t off, const char *text)
{
	struct profile *p = offcpu_profile();

	add(p, 0, "sleeper", (struct fr[]){ K("__schedule"), K("schedule"), K("do_nanosleep"),
		K("hrtimer_nanosleep"), K("__x64_sys_nanosleep"), K("do_syscall_64"),
		LIBC("nanosleep"), U("nap"), U("main"), END }, (int64_t[]){ off, 10 });
	return fires(p, "offcpu-thread", text);
}

static void test_offcpu(void **state)
{
	(void)state;
	assert_true(thread_fires(501 * MS, "thread sleeper [pid 7] is off the CPU 50% of the run, "
				 "mostly in nanosleep"));
	assert_true(thread_fires(501 * MS, "blocked in do_nanosleep [kernel], from nap [app]"));
	assert_true(thread_fires(501 * MS, "sleeps on purpose"));
	assert_false(thread_fires(499 * MS, NULL));
}

static bool fsync_fires(bool io, int64_t under, const char *text)
{
	struct profile *p = io ? profile_new() : offcpu_profile();
	const struct fr sync[] = { K("__schedule"), K("io_schedule"), K("blkdev_issue_flush"),
				   K("do_fsync"), K("__x64_sys_fsync"), K("do_syscall_64"),
				   LIBC("fsync"), U("commit"), U("main"), END };
	const struct fr other[] = { K("__schedule"), K("io_schedule"), K("__x64_sys_pread64"),
				    K("do_syscall_64"), LIBC("pread"), U("scan"), U("main"), END };

	if (io) {
		profile_add_type(p, "requests", "count");
		profile_add_type(p, "bytes", "bytes");
		profile_add_type(p, "latency", "nanoseconds");
		p->duration_ns = SEC;
		add(p, 0, "db", sync, (int64_t[]){ 10, 40960, under });
		add(p, 0, "db", other, (int64_t[]){ 10, 40960, SEC - under });
	} else {
		add(p, 0, "db", sync, (int64_t[]){ under, 10 });
	}
	return fires(p, "fsync-path", text);
}

static void test_fsync(void **state)
{
	(void)state;
	assert_true(fsync_fires(false, 101 * MS, "commit [app] is blocked 10.1% of the run"));
	assert_true(fsync_fires(false, 101 * MS, "in 10 waits"));
	assert_false(fsync_fires(false, 99 * MS, NULL));
	assert_true(fsync_fires(true, 201 * MS, "commit [app] spends 20.1% of the disk's time"));
	assert_false(fsync_fires(true, 199 * MS, NULL));
}

/* ---- I/O latency ---- */

static bool io_fires(uint64_t n, int64_t each, const char *text)
{
	struct profile *p = profile_new();
	static const char *const cols[] = { "TIME", "PID", "COMMAND", "DISK", "OP", "LATENCY" };
	struct histogram *h;
	size_t t;

	profile_add_type(p, "requests", "count");
	p->duration_ns = SEC;
	t = profile_add_histogram(p, "vdb write, latency (issue to completion)", "nanoseconds", 1000);
	h = &p->hists[t];	/* after the call: it moves p->hists */
	for (uint64_t i = 0; i < n; i++)
		hist_add(h, each);
	/* its own and another disk's slow requests */
	t = profile_add_table(p, "Requests slower than 5 ms", 6, cols);
	profile_table_row(p, t, (const char *const[]){ "12:00:00.000", "42", "db", "vdb", "write",
						       "12.500 ms" });
	profile_table_row(p, t, (const char *const[]){ "12:00:00.001", "43", "cp", "vdc", "write",
						       "90.000 ms" });
	return fires(p, "io-latency", text);
}

static void test_io(void **state)
{
	struct histogram h = { .scale = 1000 };

	(void)state;
	/* the p99 of 100 requests of 10.5 ms is above 10 ms, of 10.0 ms below */
	for (int i = 0; i < 100; i++)
		hist_add(&h, 10500 * 1000);
	assert_true(hist_percentile(&h, 0.99) > IO_P99_NS);
	assert_true(io_fires(100, 10500 * 1000, "vdb write: p99 latency 10.48 ms"));
	assert_true(io_fires(100, 10500 * 1000, "1 requests slower than 5 ms listed, the slowest "
				 "12.500 ms from db [pid 42]"));
	assert_false(io_fires(100, 10000 * 1000, NULL));
	/* too few requests for a p99 */
	assert_false(io_fires(IO_MIN_REQUESTS - 1, 50 * MS, NULL));
}

/* ---- quality ---- */

static void test_lost(void **state)
{
	struct profile *p = cpu_self(100);
	struct advice a;
	const struct finding *f;

	(void)state;
	profile_add_loss(p, "stacks did not fit the stacks map", 9, "raise --max-stacks");
	a = run_rules(p);	/* 9 of 1009: 0.9% */
	assert_null(find(&a, "quality-lost"));
	advice_free(&a);
	profile_add_loss(p, "user stacks could not be read", 2, NULL);
	a = run_rules(p);	/* 11 of 1011: 1.09% */
	f = find(&a, "quality-lost");
	assert_non_null(f);
	assert_true(f->warning);
	assert_true(says(f, "lost or cut 11 events, 1.1% of all"));
	assert_true(says(f, "raise --max-stacks"));	/* the larger loss's hint */
	advice_free(&a);
	profile_free(p);
}

/* The stderr lines for outputs with no report: one per warning, with its
 * next step, none for losses (the summary line counts them). */
static void warn_lines(const struct profile *p, bool above)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int lines = 0;

	profile_add_loss((struct profile *)p, "samples did not fit the aggregation map", 500, NULL);
	advice_warn_lines(p, "cpu", f);
	fclose(f);
	for (char *c = buf; *c; c++)
		lines += *c == '\n';
	assert_int_equal(lines, above ? 2 : 0);
	if (above) {
		assert_non_null(strstr(buf, "profiler cpu: 10.1% of the samples has an unnamed leaf "
				       "frame: /srv/app has no symbols"));
		assert_non_null(strstr(buf, "\nprofiler cpu: "));
	}
	assert_null(strstr(buf, "did not fit"));
	free(buf);
}

static void test_unnamed_truncated(void **state)
{
	for (int above = 0; above < 2; above++) {
		struct profile *p = cpu_self(100);
		int64_t n = above ? 126 : 124;	/* of 1000 + 2n: 10.06% and 9.94% */
		struct advice a;

		(void)state;
		cpu_add(p, (struct fr[]){ { FRAME_USER, "app+0x1234", "/srv/app" }, U("main"), END },
			n);
		cpu_add(p, (struct fr[]){ U("deep"), { FRAME_USER, "[lost user stack]", "[lost]" },
					  END }, n);
		a = run_rules(p);
		assert_int_equal(find(&a, "quality-unnamed") != NULL, above);
		assert_int_equal(find(&a, "quality-truncated") != NULL, above);
		if (above) {
			assert_true(says(find(&a, "quality-unnamed"), "/srv/app has no symbols"));
			assert_true(says(find(&a, "quality-truncated"), "[lost user stack]"));
		}
		warn_lines(p, above);
		advice_free(&a);
		profile_free(p);
	}
}

/* A JIT's frame read back from folded text has no module: still the JIT's advice. */
static void test_unnamed_jit(void **state)
{
	for (int folded = 0; folded < 2; folded++) {
		struct profile *p = cpu_self(100);
		struct advice a;

		(void)state;
		cpu_add(p, (struct fr[]){ { FRAME_USER, JIT_UNNAMED, folded ? NULL : "[anon]" },
					  U("main"), END }, 200);
		a = run_rules(p);
		assert_non_null(find(&a, "quality-unnamed"));
		assert_true(says(find(&a, "quality-unnamed"), "node --perf-basic-prof"));
		advice_free(&a);
		profile_free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_offcpu),
		cmocka_unit_test(test_fsync),
		cmocka_unit_test(test_io),
		cmocka_unit_test(test_lost),
		cmocka_unit_test(test_unnamed_truncated),
		cmocka_unit_test(test_unnamed_jit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
