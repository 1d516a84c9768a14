// SPDX-License-Identifier: GPL-2.0
/* What munmaps leave of an mmap'd region (profiler mem): mem_region_left. */
#include "testutil.h"
#include "collectors/mem_lib.h"

#define P 4096ULL

static void test_region_left(void **state)
{
	/* pid 7's region at 0x100000, 16 pages, mapped at time 10 */
	struct mem_cut cuts[] = {
		{ 0x100000 + 4 * P, 4 * P, 20, 7 },	/* the middle */
		{ 0x100000 + 12 * P, 4 * P, 30, 7 },	/* the end */
		{ 0x100000 + 13 * P, 2 * P, 31, 7 },	/* again, inside the end: counted once */
		{ 0x100000, 16 * P, 5, 7 },		/* before it was mapped: another region's */
		{ 0x100000, 16 * P, 40, 8 },		/* another process */
		{ 0x0f0000, 0x10000 + P, 50, 9 },	/* pid 9: from below into its region */
	};
	size_t n = sizeof(cuts) / sizeof(cuts[0]);

	mem_cuts_sort(cuts, n);
	assert_true(mem_region_left(0x100000, 16 * P, 7, 10, cuts, n) == 8 * P);
	/* mapped after the middle cut: only the end cuts apply */
	assert_true(mem_region_left(0x100000, 16 * P, 7, 25, cuts, n) == 12 * P);
	/* pid 8: all of it */
	assert_true(mem_region_left(0x100000, 16 * P, 8, 10, cuts, n) == 0);
	/* pid 9: its first page */
	assert_true(mem_region_left(0x100000, 2 * P, 9, 10, cuts, n) == P);
	/* no cuts at all, and a size that is no page multiple */
	assert_true(mem_region_left(0x100000, 10000, 11, 10, cuts, n) == 10000);
	assert_true(mem_region_left(0x100000, 10000, 11, 10, NULL, 0) == 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_region_left),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
