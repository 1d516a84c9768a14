// SPDX-License-Identifier: GPL-2.0
/* Deadlocks from waiters and owners: each cycle once, nothing else. */
#include "testutil.h"
#include "collectors/lock_graph.h"
#include "model/profile.h"

static void edge(struct lock_graph *g, uint32_t tid, uint32_t owner, const char *comm,
		 const char *lock)
{
	struct lock_edge e = { .pid = 100, .tid = tid, .owner = owner };

	snprintf(e.comm, sizeof(e.comm), "%s", comm);
	snprintf(e.lock, sizeof(e.lock), "%s", lock);
	lock_graph_add(g, &e);
}

static const char *cycle(const struct profile *p, size_t row)
{
	assert_int_equal(p->ntables, 1);
	assert_true(row < p->tables[0].nrows);
	return p->tables[0].cells[row];
}

static void test_two_threads(void **state)
{
	struct lock_graph g = {};
	struct profile *p = profile_new();

	/* listed from the higher tid: still told from the lower */
	edge(&g, 12, 11, "two", "lock_a");
	edge(&g, 11, 12, "one", "lock_b");
	edge(&g, 10, 0, "main", "[anon]0x10");	/* no owner: no edge to follow */
	assert_int_equal(lock_graph_report(&g, p, true), 1);
	assert_string_equal(cycle(p, 0), "deadlock: thread one [11] waits for lock_b held by "
			    "two [12], which waits for lock_a held by one [11]");
	lock_graph_free(&g);
	profile_free(p);
}

static void test_three_and_a_chain(void **state)
{
	struct lock_graph g = {};
	struct profile *p = profile_new();

	edge(&g, 21, 22, "a", "x");
	edge(&g, 22, 23, "b", "y");
	edge(&g, 23, 21, "c", "z");
	/* waits for a member of the cycle, but is not in it */
	edge(&g, 30, 21, "d", "w");
	/* an owner that waits for nothing */
	edge(&g, 40, 41, "e", "v");
	assert_int_equal(lock_graph_report(&g, p, true), 1);
	assert_string_equal(cycle(p, 0), "deadlock: thread a [21] waits for x held by b [22], "
			    "which waits for y held by c [23], which waits for z held by a [21]");
	lock_graph_free(&g);
	profile_free(p);
}

static void test_no_cycle(void **state)
{
	struct lock_graph g = {};
	struct profile *p = profile_new();

	edge(&g, 1, 2, "a", "x");
	edge(&g, 2, 3, "b", "y");
	assert_int_equal(lock_graph_report(&g, p, true), 0);
	assert_int_equal(p->ntables, 0);
	lock_graph_free(&g);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_threads),
		cmocka_unit_test(test_three_and_a_chain),
		cmocka_unit_test(test_no_cycle),
	};

	return cmocka_run_group_tests_name("lock_graph", tests, NULL, NULL);
}
