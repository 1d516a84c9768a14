// SPDX-License-Identifier: GPL-2.0
/*
 * Which stacks stack_prune deletes, against a gone() whose answers the
 * test sets; and map_delete_keys on a real BPF hash map, in batches and
 * one key at a time.
 */
#include <errno.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/types.h>

#include "testutil.h"
#include "common.h"
#include "runtime/runtime.h"
#include "runtime/stack_prune.h"

#define ID(n) (STACK_ID_VALID_BIT | (uint64_t)(n))

/* gone() answers by pid: states[pid] */
static int states[64];

static int gone(void *ctx, uint32_t pid)
{
	(void)ctx;
	return states[pid];
}

static void test_prune_rules(void **state)
{
	struct stack_prune *pr = stack_prune_new();

	(void)state;
	memset(states, 0, sizeof(states));
	stack_prune_note(pr, ID(1), 10);	/* pid 10's alone */
	stack_prune_note(pr, ID(2), 10);
	stack_prune_note(pr, ID(2), 10);	/* noted twice, one stack */
	stack_prune_note(pr, ID(3), 11);	/* shared by 11 and 12 */
	stack_prune_note(pr, ID(3), 12);
	stack_prune_note(pr, ID(4), 13);	/* unknown pid */
	stack_prune_note(pr, STACK_ID_NONE, 10);	/* no stack: not noted */
	stack_prune_note(pr, STACK_ID_LOST, 10);
	assert_int_equal(stack_prune_size(pr), 4);
	/* everyone alive: nothing goes */
	assert_int_equal(stack_prune_run(pr, -1, -1, gone, NULL), 0);
	assert_int_equal(stack_prune_size(pr), 4);
	/* 10, 11 and 12 gone, 13 unknown and not running: 10's two go; the
	 * shared one stays; the unknown one waits for a second look */
	states[10] = states[11] = states[12] = 1;
	states[13] = -1;
	assert_int_equal(stack_prune_run(pr, -1, -1, gone, NULL), 2);
	assert_int_equal(stack_prune_size(pr), 2);
	assert_int_equal(stack_prune_run(pr, -1, -1, gone, NULL), 1);
	assert_int_equal(stack_prune_size(pr), 1);
	/* an unknown pid seen again between the two looks starts over */
	stack_prune_note(pr, ID(5), 14);
	states[14] = -1;
	assert_int_equal(stack_prune_run(pr, -1, -1, gone, NULL), 0);
	stack_prune_note(pr, ID(5), 14);	/* sampled again: a reused pid's */
	assert_int_equal(stack_prune_run(pr, -1, -1, gone, NULL), 0);
	assert_int_equal(stack_prune_run(pr, -1, -1, gone, NULL), 1);
	/* a stack deleted and sampled again (the map took it anew) is noted anew */
	stack_prune_note(pr, ID(1), 15);
	states[15] = 1;
	assert_int_equal(stack_prune_run(pr, -1, -1, gone, NULL), 1);
	assert_int_equal(stack_prune_size(pr), 1);	/* the shared one */
	stack_prune_free(pr);
}

/* Many stacks: the survivors are found again after the index is remade. */
static void test_prune_many(void **state)
{
	struct stack_prune *pr = stack_prune_new();

	(void)state;
	memset(states, 0, sizeof(states));
	for (uint32_t i = 0; i < 20000; i++)
		stack_prune_note(pr, ID(i), i % 4);
	states[0] = states[2] = 1;
	assert_int_equal(stack_prune_run(pr, -1, -1, gone, NULL), 10000);
	/* all noted again by pid 5: the 10,000 kept become shared (kept for
	 * good), the 10,000 deleted are pid 5's alone */
	for (uint32_t i = 0; i < 20000; i++)
		stack_prune_note(pr, ID(i), 5);
	assert_int_equal(stack_prune_size(pr), 20000);
	states[1] = states[3] = states[5] = 1;
	assert_int_equal(stack_prune_run(pr, -1, -1, gone, NULL), 10000);
	assert_int_equal(stack_prune_size(pr), 10000);
	stack_prune_free(pr);
}

static int hash_map(int n)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "prune_test", sizeof(uint64_t), 64, 4096, NULL);
	char v[64] = "";

	for (int i = 0; fd >= 0 && i < n; i++) {
		uint64_t k = ID(i);

		assert_int_equal(bpf_map_update_elem(fd, &k, v, BPF_NOEXIST), 0);
	}
	return fd;
}

/* Keys in the map and not, deleted in batches and one by one alike. */
static void test_delete_keys(void **state)
{
	uint64_t keys[3000];

	(void)state;
	for (int pass = 0; pass < 2; pass++) {
		int fd = hash_map(2000);

		if (fd < 0)
			skip();	/* not root, or no BPF here */
		setenv("PROFILER_NO_MAP_BATCH", pass ? "1" : "0", 1);
		/* every third key of 3000 is one the map never held; of the
		 * others, those of 0..1999 are there: 1,334, leaving 666 */
		for (int i = 0; i < 3000; i++)
			keys[i] = ID(i % 3 == 2 ? 100000 + i : i);
		assert_int_equal(map_delete_keys(fd, keys, sizeof(*keys), 3000), 1334);
		assert_int_equal(map_count_keys(fd, sizeof(uint64_t)), 666);
		assert_int_equal(map_delete_keys(fd, keys, sizeof(*keys), 3000), 0);
		close(fd);
	}
	unsetenv("PROFILER_NO_MAP_BATCH");
}

/* Deep stacks' ids (STACK_ID_DEEP_BIT) leave the deep map, the others the short one */
static void test_prune_two_maps(void **state)
{
	int fd = hash_map(10), deep = hash_map(0);
	struct stack_prune *pr = stack_prune_new();
	uint64_t k;
	char v[64] = "";

	(void)state;
	if (fd < 0 || deep < 0)
		skip();	/* not root, or no BPF here */
	memset(states, 0, sizeof(states));
	for (int i = 0; i < 5; i++) {
		k = ID(i) | STACK_ID_DEEP_BIT;
		assert_int_equal(bpf_map_update_elem(deep, &k, v, BPF_NOEXIST), 0);
		/* the same key in the short map, which no short stack has: it stays */
		assert_int_equal(bpf_map_update_elem(fd, &k, v, BPF_NOEXIST), 0);
		stack_prune_note(pr, k, 20);
	}
	for (int i = 0; i < 10; i++)
		stack_prune_note(pr, ID(i), 20);
	states[20] = 1;
	assert_int_equal(stack_prune_run(pr, fd, deep, gone, NULL), 15);
	assert_int_equal(map_count_keys(deep, sizeof(uint64_t)), 0);
	assert_int_equal(map_count_keys(fd, sizeof(uint64_t)), 5);
	stack_prune_free(pr);
	close(fd);
	close(deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prune_rules),
		cmocka_unit_test(test_prune_many),
		cmocka_unit_test(test_delete_keys),
		cmocka_unit_test(test_prune_two_maps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
