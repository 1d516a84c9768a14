// SPDX-License-Identifier: GPL-2.0
/* Windows over kernel counters: growth per key, the whole run untouched. */
#include "testutil.h"
#include "runtime/deltas.h"

struct key {
	uint32_t pid;
	uint64_t stack;
};

static void test_growth_per_key(void **state)
{
	struct deltas *d = deltas_new(sizeof(struct key), 2);
	struct key a = { 1, 10 }, b = { 2, 10 };
	uint64_t v[2];

	/* first read: everything is new */
	v[0] = 5, v[1] = 500;
	assert_true(deltas_take(d, &a, v, false));
	assert_int_equal(v[0], 5);
	assert_int_equal(v[1], 500);
	/* another key is counted apart */
	v[0] = 3, v[1] = 30;
	assert_true(deltas_take(d, &b, v, false));
	assert_int_equal(v[0], 3);
	/* only the growth, and nothing when nothing grew */
	v[0] = 8, v[1] = 800;
	assert_true(deltas_take(d, &a, v, false));
	assert_int_equal(v[0], 3);
	assert_int_equal(v[1], 300);
	v[0] = 8, v[1] = 800;
	assert_false(deltas_take(d, &a, v, false));
	assert_int_equal(v[0], 0);
	assert_int_equal(deltas_size(d), 2);
	deltas_free(d);
}

static void test_windows_add_up(void **state)
{
	struct deltas *d = deltas_new(sizeof(uint64_t), 1);
	uint64_t key = 7, total = 0, sum = 0, v;

	/* windows of a counter that grows by i each time add up to its last value */
	for (uint64_t i = 0; i < 1000; i++) {
		total += i % 13;
		v = total;
		deltas_take(d, &key, &v, false);
		sum += v;
	}
	assert_int_equal(sum, total);
	/* the whole run is the value as read, and does not move the window */
	v = total + 4;
	assert_true(deltas_take(d, &key, &v, true));
	assert_int_equal(v, total + 4);
	v = total + 4;
	deltas_take(d, &key, &v, false);
	assert_int_equal(v, 4);
	assert_int_equal(deltas_size(d), 1);
	deltas_free(d);
}

static void test_counter_made_again(void **state)
{
	struct deltas *d = deltas_new(sizeof(uint64_t), 1);
	uint64_t key = 1, v = 100;

	deltas_take(d, &key, &v, false);
	/* deleted and made again in the kernel: counts from zero */
	v = 40;
	assert_true(deltas_take(d, &key, &v, false));
	assert_int_equal(v, 40);
	v = 0;
	assert_false(deltas_take(d, &key, &v, true));
	deltas_free(d);
}

static void test_held_dip(void **state)
{
	struct deltas *d = deltas_new(sizeof(uint64_t), 1);
	uint64_t key = 1, v = 100, sum;

	(void)state;
	deltas_hold(d);
	deltas_take(d, &key, &v, false);
	sum = v;
	/* an estimate that overshot (a wait read as going on, then in neither
	 * map): the window gets nothing, not the value from zero */
	v = 70;
	assert_false(deltas_take(d, &key, &v, false));
	assert_int_equal(v, 0);
	/* the next growth counts from the held value, so windows add up */
	v = 130;
	assert_true(deltas_take(d, &key, &v, false));
	assert_int_equal(v, 30);
	sum += v;
	assert_int_equal(sum, 130);
	deltas_free(d);
}

static bool odd_pid(void *ctx, const void *key)
{
	(void)ctx;
	return ((const struct key *)key)->pid % 2;
}

/* Keys of exited processes forgotten: the others keep their last reads. */
static void test_forget(void **state)
{
	struct deltas *d = deltas_new(sizeof(struct key), 2);
	uint64_t v[2];

	for (uint32_t pid = 0; pid < 1000; pid++) {
		struct key k;

		memset(&k, 0, sizeof(k));	/* the padding is hashed too */
		k.pid = pid, k.stack = 7;
		v[0] = pid, v[1] = 1;
		deltas_take(d, &k, v, false);
	}
	assert_int_equal(deltas_forget(d, odd_pid, NULL), 500);
	assert_int_equal(deltas_size(d), 500);
	assert_int_equal(deltas_forget(d, odd_pid, NULL), 0);
	for (uint32_t pid = 0; pid < 1000; pid++) {
		struct key k;

		memset(&k, 0, sizeof(k));
		k.pid = pid, k.stack = 7;
		/* a kept key grows from its last read; a forgotten one counts anew */
		v[0] = pid + 10, v[1] = 1;
		deltas_take(d, &k, v, false);
		assert_int_equal(v[0], pid % 2 ? pid + 10 : 10);
		assert_int_equal(v[1], pid % 2 ? 1 : 0);
	}
	assert_int_equal(deltas_size(d), 1000);
	deltas_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_growth_per_key),
		cmocka_unit_test(test_windows_add_up),
		cmocka_unit_test(test_counter_made_again),
		cmocka_unit_test(test_held_dip),
		cmocka_unit_test(test_forget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
