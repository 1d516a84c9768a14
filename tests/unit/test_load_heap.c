// SPDX-License-Identifier: GPL-2.0
/* Free 2 MiB blocks read from /proc/buddyinfo.  (What skel_load does
 * with them is the integration tests': ASan's allocator is not glibc's.) */

#include "testutil.h"
#include "runtime/load_heap.h"

static void test_buddy(void **state)
{
	/* this machine's, 6.18: order 9 and 10 count 1 and 2 blocks of 2 MiB */
	const char *text =
		"Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      1      3 \n"
		"Node 0, zone    DMA32      0      4      2      2      1      2      0      3      3      1    753 \n"
		"Node 0, zone   Normal   4730   4000   2637   1964   1327    836    550    318    167     84    296 \n";

	(void)state;
	assert_int_equal(buddy_free_2m(text), (1 + 2 * 3) + (1 + 2 * 753) + (84 + 2 * 296));
	/* no line end at the last; a kernel with fewer orders (to 9) */
	assert_int_equal(buddy_free_2m("Node 0, zone   Normal  1 2 3 4 5 6 7 8 9 5"), 5);
	assert_int_equal(buddy_free_2m(""), 0);
	assert_int_equal(buddy_free_2m("garbage\nzone\nNode 0, zone Normal x 1 2\n"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buddy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
