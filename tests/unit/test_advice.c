// SPDX-License-Identifier: GPL-2.0
/*
 * Each recommendation rule on synthetic profiles: it fires just above its
 * threshold, naming the culprit and the figure, and stays silent just
 * below.  CPU and memory rules, ranking and the report's section here;
 * waits, I/O and the profile's quality in test_advice_waits.c.
 */
#include "advice_helper.h"
#include "write_helper.h"
#include "output/output.h"

/* ---- cpu ---- */

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

/* pwrite64 inside the call, __libc_pwrite in its entry/exit work: one cause */
static void test_kernel_wrapper_merged(void **state)
{
	struct profile *p = cpu_self(150);
	struct advice a;
	const struct finding *f;

	(void)state;
	cpu_add(p, (struct fr[]){ K("copy_folio"), K("vfs_write"), K("__x64_sys_pwrite64"),
				  K("do_syscall_64"), LIBC("__libc_pwrite"), U("writer"), U("main"),
				  END }, 300);
	cpu_add(p, (struct fr[]){ K("syscall_exit_work"), K("do_syscall_64"),
				  LIBC("__libc_pwrite"), U("writer"), U("main"), END }, 200);
	a = run_rules(p);
	f = find(&a, "cpu-kernel");
	assert_non_null(f);
	assert_true(says(f, "most for pwrite64"));
	assert_true(says(f, "by cause: pwrite64 100.0%"));
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
		cmocka_unit_test(test_kernel_wrapper_merged),
		cmocka_unit_test(test_kernel_causes),
		cmocka_unit_test(test_alloc_rate),
		cmocka_unit_test(test_leak),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_rank_and_write),
		cmocka_unit_test(test_report_section),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
