// SPDX-License-Identifier: GPL-2.0
/* Log2 bucket bounds, percentile interpolation, and the report's histograms and tables. */
#include "testutil.h"
#include "model/histogram.h"
#include "model/profile.h"
#include "output/output.h"

static void test_buckets(void **state)
{
	assert_int_equal(hist_bucket(1000, 0), 0);
	assert_int_equal(hist_bucket(1000, 999), 0);
	assert_int_equal(hist_bucket(1000, 1000), 1);
	assert_int_equal(hist_bucket(1000, 1999), 1);
	assert_int_equal(hist_bucket(1000, 2000), 2);
	assert_int_equal(hist_bucket(1000, 4000), 3);
	assert_int_equal(hist_bucket(1000, INT64_MAX), 54);
	assert_int_equal(hist_bucket(1, INT64_MAX), HIST_BUCKETS - 1);
	for (int k = 1; k < 40; k++) {
		assert_int_equal(hist_bucket(1000, hist_bucket_lo(1000, k)), k);
		assert_int_equal(hist_bucket(1000, hist_bucket_hi(1000, k) - 1), k);
		assert_int_equal(hist_bucket_hi(1000, k - 1), hist_bucket_lo(1000, k));
	}
	assert_int_equal(hist_bucket_lo(1000, 0), 0);
	assert_int_equal(hist_bucket_hi(1000, HIST_BUCKETS - 1), INT64_MAX);
}

static void test_percentiles(void **state)
{
	struct histogram h = { .scale = 1000 };

	assert_true(hist_percentile(&h, 0.5) == 0);
	/* 100 values in [4000, 8000): p50 is the middle of the bucket */
	for (int i = 0; i < 100; i++)
		hist_add(&h, 7999);
	assert_int_equal(h.count, 100);
	assert_int_equal(h.buckets[3], 100);
	assert_int_equal(h.max, 7999);
	assert_true(hist_percentile(&h, 0.5) > 5990 && hist_percentile(&h, 0.5) < 6010);
	/* never above the largest value seen */
	assert_true(hist_percentile(&h, 1.0) <= 7999);

	/* 90 fast, 10 slow: p50 among the fast, p95 and p99 among the slow */
	struct histogram g = { .scale = 1000 };

	for (int i = 0; i < 90; i++)
		hist_add(&g, 1500);		/* bucket 1: [1000, 2000) */
	for (int i = 0; i < 10; i++)
		hist_add(&g, 1000000);		/* bucket 10: [512000, 1024000) */
	assert_true(hist_percentile(&g, 0.50) >= 1000 && hist_percentile(&g, 0.50) < 2000);
	assert_true(hist_percentile(&g, 0.95) >= 512000 && hist_percentile(&g, 0.95) <= 1000000);
	/* p95 is half way through the slow bucket's 10, p99 nine tenths */
	assert_true(hist_percentile(&g, 0.99) > hist_percentile(&g, 0.95));
	assert_true(hist_percentile(&g, 0.95) > 755000 && hist_percentile(&g, 0.95) < 757000);
	assert_int_equal(g.sum, 90 * 1500 + 10 * 1000000);
}

static void test_report_prints_histograms_and_tables(void **state)
{
	struct profile *p = profile_new();
	struct write_opts o = { .type = 0, .top = 10 };
	struct histogram *h;
	char *buf = NULL;
	size_t len = 0, hi, t;
	FILE *f;

	profile_add_type(p, "requests", "count");
	hi = profile_add_histogram(p, "vda write, latency", "nanoseconds", 1000);
	h = &p->hists[hi];
	hist_add(h, 1500);
	hist_add(h, 1600);
	hist_add(h, 9000);
	t = profile_add_table(p, "Slow", 2, (const char *const[]){ "PID", "OP" });
	profile_table_row(p, t, (const char *const[]){ "42", "write" });
	profile_add_sample(p, (uint32_t[]){ 0 }, 0, 42, 0, "app", (int64_t[]){ 3 });
	f = open_memstream(&buf, &len);
	assert_int_equal(write_report(p, &o, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "vda write, latency: 3, average 4.0 us, max 9.0 us"));
	assert_non_null(strstr(buf, "(estimates, interpolated within buckets)"));
	assert_non_null(strstr(buf, "      1.0 us -> 2.0 us              2  |****************************************|"));
	assert_non_null(strstr(buf, "      2.0 us -> 4.0 us              0  |"));
	assert_non_null(strstr(buf, "      8.0 us -> 16.0 us             1  |********************                    |"));
	assert_non_null(strstr(buf, "Slow: 1\n  PID  OP\n  42   write\n"));
	assert_non_null(strstr(buf, "           3       42  app\n"));
	free(buf);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_report_prints_histograms_and_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
