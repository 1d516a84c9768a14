// SPDX-License-Identifier: GPL-2.0
/* The index over a caller's array, in both slot modes: what it finds after
 * many growths, and find_or_insert's one probe. */
#include "testutil.h"
#include "util/idxmap.h"
#include "util/util.h"

#define N 20000

struct arr {
	uint64_t v[N];
	size_t n;
	size_t hashed;	/* hash_of calls: compact mode only */
};

struct key {
	const struct arr *a;
	uint64_t v;
};

/* few distinct hashes, so that probes pass many unequal elements */
static uint64_t weak_hash(uint64_t v)
{
	return hash_u64(v % 97);
}

static uint64_t hash_of(const void *ctx, uint32_t idx)
{
	struct arr *a = (struct arr *)ctx;

	a->hashed++;
	return weak_hash(a->v[idx]);
}

static bool eq(const void *ctx, uint32_t idx)
{
	const struct key *k = ctx;

	return k->a->v[idx] == k->v;
}

static void fill_and_check(struct idxmap *m, struct arr *a, bool use_find_or_insert)
{
	for (uint64_t v = 0; v < N; v++) {
		struct key k = { a, v * 7 };

		if (use_find_or_insert) {
			assert_int_equal(idxmap_find_or_insert(m, weak_hash(k.v), eq, &k, a->n), a->n);
		} else {
			assert_int_equal(idxmap_find(m, weak_hash(k.v), eq, &k), -1);
			idxmap_insert(m, weak_hash(k.v), a->n);
		}
		a->v[a->n++] = k.v;
	}
	for (uint64_t v = 0; v < N; v++) {
		struct key k = { a, v * 7 }, absent = { a, v * 7 + 1 };

		assert_int_equal(idxmap_find(m, weak_hash(k.v), eq, &k), v);
		assert_int_equal(idxmap_find(m, weak_hash(absent.v), eq, &absent), -1);
		/* found, so nothing is inserted */
		assert_int_equal(idxmap_find_or_insert(m, weak_hash(k.v), eq, &k, N + 5), v);
	}
	assert_int_equal(m->len, N);
	assert_true(m->cap >= 2 * N);
}

static void test_default_slots(void **state)
{
	static struct arr a;
	struct idxmap m = {};

	a.n = a.hashed = 0;
	fill_and_check(&m, &a, false);
	assert_non_null(m.hashes);
	assert_int_equal(a.hashed, 0);
	idxmap_free(&m);
}

static void test_compact_slots(void **state)
{
	static struct arr a;
	struct idxmap m = {};

	for (int pass = 0; pass < 2; pass++) {
		a.n = a.hashed = 0;
		idxmap_compact(&m, hash_of, &a);
		fill_and_check(&m, &a, pass);
		/* no hashes kept: growth asked for each element's hash again */
		assert_null(m.hashes);
		assert_true(a.hashed >= N / 2);
		idxmap_free(&m);
		/* and it stays compact when used again */
		assert_non_null(m.hash_of);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_slots),
		cmocka_unit_test(test_compact_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
