// SPDX-License-Identifier: GPL-2.0
/*
 * Each recommendation rule on synthetic profiles: it fires just above its
 * threshold, naming the culprit and the figure, and stays silent just
 * below.  Profiles are built as collectors build them (types by name and
 * unit, frames by kind and module), with no collector involved.
 */
#include <errno.h>

#include "testutil.h"
#include "write_helper.h"
#include "analysis/advice.h"
#include "analysis/rules.h"
#include "model/profile.h"
#include "output/output.h"

#define MS 1000000LL
#define SEC 1000000000LL

#define K(name) { FRAME_KERNEL, name, "[kernel.kallsyms]" }
#define U(name) { FRAME_USER, name, "/srv/app" }
#define LIBC(name) { FRAME_USER, name, "/usr/lib/x86_64-linux-gnu/libc.so.6" }
#define END { 0, NULL, NULL }

struct fr {
	enum frame_kind kind;
	const char *name, *module;
};

/* A sample of frames (leaf first, END-terminated) with values. */
static void add(struct profile *p, uint32_t tid, const char *comm, const struct fr *f,
		const int64_t *vals)
{
	uint32_t ids[64], n = 0;

	for (; f->name && n < 64; f++) {
		/* one location per (kind, name): the address is the name's interned pointer */
		const char *name = profile_intern(p, f->name);
		uint32_t id = f->kind == FRAME_GROUP
			? profile_group_frame(p, f->module, name)
			: profile_location(p, f->kind, f->kind == FRAME_KERNEL ? 0 : 7,
					   (uintptr_t)name, n > 0);

		p->locs[id].name = name;
		p->locs[id].module = profile_intern(p, f->module);
		ids[n++] = id;
	}
	profile_add_sample(p, ids, n, 7, tid, comm, vals);
}

static struct advice run_rules(struct profile *p)
{
	struct advice a;

	assert_true(advice_run(&p, 1, &a) >= 0);
	return a;
}

/* The finding of a rule, or NULL. */
static const struct finding *find(const struct advice *a, const char *rule)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].rule, rule))
			return &a->v[i];
	return NULL;
}

static bool says(const struct finding *f, const char *text)
{
	return f && (strstr(f->title, text) || strstr(f->evidence, text) || strstr(f->next, text));
}

/* Whether rule fires on p (then saying text, if given); frees p. */
static bool fires(struct profile *p, const char *rule, const char *text)
{
	struct advice a = run_rules(p);
	const struct finding *f = find(&a, rule);

	if (f && text)
		assert_true(says(f, text));
	advice_free(&a);
	profile_free(p);
	return f != NULL;
}

/* ---- cpu ---- */

static struct profile *cpu_profile(void)
{
	struct profile *p = profile_new();

	profile_add_type(p, "samples", "count");
	profile_add_type(p, "cpu", "nanoseconds");
	p->period_type = (struct sample_type){ profile_intern(p, "cpu"),
					       profile_intern(p, "nanoseconds") };
	p->period = 10 * MS;
	p->duration_ns = 10 * SEC;
	return p;
}

static void cpu_add(struct profile *p, const struct fr *f, int64_t n)
{
	add(p, 0, "app", f, (int64_t[]){ n, n * 10 * MS });
}

/* hot runs `hot` of 1000 samples; the rest spread over 8 functions, 10% at most each */
static struct profile *cpu_self(int64_t hot)
{
	struct profile *p = cpu_profile();
	static const char *const others[] = { "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8" };
	int64_t left = 1000 - hot;

	cpu_add(p, (struct fr[]){ U("hot"), U("main"), END }, hot);
	for (int i = 0; i < 8; i++)
		cpu_add(p, (struct fr[]){ U(others[i]), U("main"), END }, left / 8 + (i < left % 8));
	return p;
}

static void test_cpu_self(void **state)
{
	struct profile *p = cpu_self(201);
	struct advice a = run_rules(p);
	const struct finding *f = find(&a, "cpu-self");

	(void)state;
	assert_non_null(f);
	assert_true(says(f, "hot [app]"));
	assert_true(says(f, "20.1%"));
	assert_true(says(f, "201 of 1,000 samples"));
	assert_true(says(f, "main [app]"));
	assert_null(find(&a, "cpu-path"));	/* main is the whole program */
	advice_free(&a);
	profile_free(p);

	p = cpu_self(199);
	a = run_rules(p);
	assert_null(find(&a, "cpu-self"));
	advice_free(&a);
	profile_free(p);
}

static void test_cpu_few_samples(void **state)
{
	struct profile *p = cpu_profile();
	struct advice a;

	(void)state;
	cpu_add(p, (struct fr[]){ U("hot"), U("main"), END }, CPU_MIN_SAMPLES - 1);
	a = run_rules(p);
	assert_null(find(&a, "cpu-self"));
	assert_non_null(find(&a, "cpu-few-samples"));
	assert_true(find(&a, "cpu-few-samples")->warning);
	advice_free(&a);
	cpu_add(p, (struct fr[]){ U("hot"), U("main"), END }, 1);
	a = run_rules(p);
	assert_null(find(&a, "cpu-few-samples"));
	assert_non_null(find(&a, "cpu-self"));
	advice_free(&a);
	profile_free(p);
}

/* work (no self) holds `path` of 1000 samples over three callees */
static struct profile *cpu_path(int64_t path)
{
	struct profile *p = cpu_profile();
	static const char *const kids[] = { "a", "b", "c" };
	static const char *const others[] = { "o1", "o2", "o3", "o4", "o5", "o6", "o7" };

	for (int i = 0; i < 3; i++)
		cpu_add(p, (struct fr[]){ U(kids[i]), U("work"), U("main"), END },
			path / 3 + (i < path % 3));
	for (int i = 0; i < 7; i++)
		cpu_add(p, (struct fr[]){ U(others[i]), U("main"), END },
			(1000 - path) / 7 + (i < (1000 - path) % 7));
	return p;
}

static void test_cpu_path(void **state)
{
	struct profile *p = cpu_path(510);
	struct advice a = run_rules(p);
	const struct finding *f = find(&a, "cpu-path");

	(void)state;
	assert_non_null(f);
	assert_true(says(f, "main > work holds 51.0%"));
	assert_true(says(f, "a 17.0%"));
	assert_null(find(&a, "cpu-self"));
	advice_free(&a);
	profile_free(p);

	p = cpu_path(490);
	a = run_rules(p);
	assert_null(find(&a, "cpu-path"));
	advice_free(&a);
	profile_free(p);
}

static struct profile *cpu_kernel(int64_t kern)
{
	struct profile *p = cpu_self(150);

	cpu_add(p, (struct fr[]){ K("copy_user"), K("ksys_read"), K("do_syscall_64"),
				  K("entry_SYSCALL_64"), LIBC("read"), U("reader"), U("main"), END },
		kern);
	return p;
}

static void test_cpu_kernel(void **state)
{
	/* 1000 user samples; kernel share k / (1000 + k) */
	struct profile *p = cpu_kernel(430);	/* 30.07% */
	struct advice a = run_rules(p);
	const struct finding *f = find(&a, "cpu-kernel");

	(void)state;
	assert_non_null(f);
	assert_true(says(f, "30.1% of the CPU time is in the kernel, most for read"));
	assert_true(says(f, "read 100.0%"));
	assert_true(says(f, "read calls from reader [app]"));
	advice_free(&a);
	profile_free(p);

	p = cpu_kernel(428);	/* 29.97% */
	a = run_rules(p);
	assert_null(find(&a, "cpu-kernel"));
	advice_free(&a);
	profile_free(p);
}

static void test_kernel_causes(void **state)
{
	struct profile *p = cpu_profile();
	char buf[64];

	(void)state;
	cpu_add(p, (struct fr[]){ K("clear_page"), K("handle_mm_fault"), K("do_user_addr_fault"),
				  K("exc_page_fault"), K("asm_exc_page_fault"), U("touch"), END }, 1);
	cpu_add(p, (struct fr[]){ K("kworker_fn"), K("worker_thread"), K("kthread"), END }, 1);
	cpu_add(p, (struct fr[]){ K("syscall_exit_work"), K("do_syscall_64"), LIBC("write"),
				  U("main"), END }, 1);
	assert_string_equal(kernel_cause(p, 0, buf, sizeof(buf)), "page faults");
	assert_string_equal(kernel_cause(p, 1, buf, sizeof(buf)), "kernel threads");
	/* entry work: the libc wrapper names the call */
	assert_string_equal(kernel_cause(p, 2, buf, sizeof(buf)), "write");
	profile_free(p);
}

/* ---- memory ---- */

enum { AN, AB, IN, IB, AGE };

static struct profile *mem_profile(void)
{
	struct profile *p = profile_new();

	profile_add_type(p, "alloc_objects", "count");
	profile_add_type(p, "alloc_space", "bytes");
	profile_add_type(p, "inuse_objects", "count");
	profile_add_type(p, "inuse_space", "bytes");
	profile_add_type(p, "inuse_age", "nanoseconds");
	p->combine[AGE] = COMBINE_MAX;
	p->default_type = IB;
	p->duration_ns = SEC;
	return p;
}

static void mem_add(struct profile *p, const char *site, int64_t an, int64_t ab, int64_t in,
		    int64_t ib)
{
	add(p, 0, "app", (struct fr[]){ LIBC("malloc"), U(site), U("main"), END },
	    (int64_t[]){ an, ab, in, ib, in ? SEC / 2 : 0 });
}

static void test_alloc_rate(void **state)
{
	struct profile *p = mem_profile();
	struct advice a;
	const struct finding *f;

	(void)state;
	/* objects: 10,001 a second; 64 B each, far below the bytes rate */
	mem_add(p, "churn", 9001, 9001 * 64, 0, 0);
	mem_add(p, "other", 1000, 1000 * 64, 0, 0);
	a = run_rules(p);
	f = find(&a, "mem-alloc-rate");
	assert_non_null(f);
	assert_true(says(f, "10,001 allocations a second, 90.0% of them from churn [app]"));
	assert_true(says(f, "threshold 10,000"));
	assert_true(says(f, "churn frees 100%"));
	assert_true(says(f, "on the stack"));	/* 64 B objects */
	advice_free(&a);
	profile_free(p);

	p = mem_profile();
	mem_add(p, "churn", 9999, 9999 * 64, 0, 0);
	a = run_rules(p);
	assert_null(find(&a, "mem-alloc-rate"));
	advice_free(&a);
	profile_free(p);

	/* bytes: 64 MiB + 1 a second in one object, kept */
	p = mem_profile();
	mem_add(p, "big", 1, 64 * 1024 * 1024 + 1, 1, 64 * 1024 * 1024 + 1);
	a = run_rules(p);
	f = find(&a, "mem-alloc-rate");
	assert_non_null(f);
	assert_true(says(f, "64.0 MiB/s allocated, 100.0% of it by big [app]"));
	advice_free(&a);
	profile_free(p);
	p = mem_profile();
	mem_add(p, "big", 1, 64 * 1024 * 1024 - 1, 1, 64 * 1024 * 1024 - 1);
	a = run_rules(p);
	assert_null(find(&a, "mem-alloc-rate"));
	advice_free(&a);
	profile_free(p);
}

/* site keeps `in` of `an` objects of `size` bytes */
static bool leaks(int64_t an, int64_t in, int64_t size, const char *text)
{
	struct profile *p = mem_profile();

	mem_add(p, "leaky", an, an * size, in, in * size);
	return fires(p, "mem-leak", text);
}

static void test_leak(void **state)
{
	const int64_t mib = LEAK_MIN_BYTES;

	(void)state;
	assert_true(leaks(100, 100, mib / 100 + 1, "leaky [app] holds 1.0 MiB in 100 objects"));
	assert_true(leaks(100, 100, mib / 100 + 1, "starting in its caller main [app]"));
	assert_true(leaks(100, 100, mib / 100 + 1, "the oldest has lived 0.50 s"));
	/* bytes just below */
	assert_false(leaks(100, 100, (mib - 1) / 100, NULL));
	/* objects: 99 of 99 with as many bytes */
	assert_false(leaks(99, 99, mib / 99 + 1, NULL));
	/* kept: 90% fires, 89% does not */
	assert_true(leaks(1000, 900, mib / 900 + 1, "90.0% of the 1,000 objects"));
	assert_false(leaks(1000, 899, mib / 899 + 1, NULL));
}

static bool faults(int64_t total, int64_t at_site, const char *text)
{
	struct profile *p = profile_new();

	profile_add_type(p, "faults", "count");
	p->duration_ns = SEC;
	add(p, 0, "app", (struct fr[]){ U("fill_buffer"), U("main"), END }, (int64_t[]){ at_site });
	for (int i = 0; i < 10; i++) {
		char name[16];

		snprintf(name, sizeof(name), "spread%d", i);
		add(p, 0, "app", (struct fr[]){ U(name), U("main"), END },
		    (int64_t[]){ (total - at_site) / 10 + (i < (total - at_site) % 10) });
	}
	return fires(p, "mem-faults", text ? text : "fill_buffer");
}

static void test_faults(void **state)
{
	(void)state;
	assert_true(faults(1000, 201, "fill_buffer [app] takes 20.1% of the page faults"));
	assert_true(faults(1000, 201, "MAP_POPULATE"));
	assert_false(faults(1000, 199, NULL));
	/* too few faults to matter, however concentrated */
	assert_false(faults(FAULT_MIN_COUNT - 1, FAULT_MIN_COUNT - 11, NULL));
}

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
		advice_free(&a);
		profile_free(p);
	}
}

/* ---- ranking, writing, the report ---- */

static void test_rank_and_write(void **state)
{
	struct profile *cpu = cpu_self(600), *mem = mem_profile();
	struct profile *both[] = { cpu, mem };
	struct advice a;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	profile_add_loss(cpu, "samples did not fit the aggregation map", 100, NULL);
	mem_add(mem, "leaky", 1000, 10 * LEAK_MIN_BYTES, 1000, 10 * LEAK_MIN_BYTES);
	assert_int_equal(advice_run(both, 2, &a), 3);
	/* the leak is 10x its threshold, the function 3x: warnings last */
	assert_string_equal(a.v[0].rule, "mem-leak");
	assert_string_equal(a.v[1].rule, "cpu-self");
	assert_string_equal(a.v[2].rule, "quality-lost");
	f = open_memstream(&buf, &len);
	advice_write(f, &a);
	fclose(f);
	assert_non_null(strstr(buf, "Recommendations (2, ranked by impact"));
	assert_non_null(strstr(buf, "  1. [mem-leak] leaky [app] holds 10.0 MiB"));
	assert_non_null(strstr(buf, "  2. [cpu-self] hot [app] runs 60.0%"));
	assert_non_null(strstr(buf, "Warnings about this profile (1):"));
	assert_non_null(strstr(buf, "   ! [quality-lost]"));
	assert_non_null(strstr(buf, "     evidence: "));
	assert_non_null(strstr(buf, "     next:     "));
	free(buf);
	advice_free(&a);
	profile_free(cpu);
	profile_free(mem);
	assert_int_equal(advice_run(NULL, 1, &a), -EINVAL);
	assert_int_equal(a.n, 0);
	assert_int_equal(advice_run(both, -1, &a), -EINVAL);
}

static void test_report_section(void **state)
{
	struct profile *p = cpu_self(600), *q = cpu_self(100);
	struct write_opts o = test_opts(0);
	char *out;

	(void)state;
	out = write_to_string(write_report, p, &o);
	assert_non_null(strstr(out, "\nRecommendations (1, ranked by impact"));
	free(out);
	o.no_advice = true;
	out = write_to_string(write_report, p, &o);
	assert_null(strstr(out, "Recommendations"));
	free(out);
	out = run(write_report, q, 0);
	assert_non_null(strstr(out, "\nRecommendations: none (no rule's threshold was crossed"));
	free(out);
	profile_free(p);
	profile_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_self),
		cmocka_unit_test(test_cpu_few_samples),
		cmocka_unit_test(test_cpu_path),
		cmocka_unit_test(test_cpu_kernel),
		cmocka_unit_test(test_kernel_causes),
		cmocka_unit_test(test_alloc_rate),
		cmocka_unit_test(test_leak),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_offcpu),
		cmocka_unit_test(test_fsync),
		cmocka_unit_test(test_io),
		cmocka_unit_test(test_lost),
		cmocka_unit_test(test_unnamed_truncated),
		cmocka_unit_test(test_rank_and_write),
		cmocka_unit_test(test_report_section),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
