// SPDX-License-Identifier: GPL-2.0
/*
 * Allocations at the bottom of a deep recursion, for profiler mem's
 * --max-depth: 10 x malloc(1000), kept, each 1,500 calls of deep() down
 * (deeper than the 1,024 frames a stack may keep).
 */
#include <stdlib.h>

void *volatile kept[10];

__attribute__((noinline)) int deep(int left, int i)
{
	if (left)
		return deep(left - 1, i) + 1;	/* not a tail call: each frame stays */
	kept[i] = malloc(1000);
	return 0;
}

int main(void)
{
	int sum = 0;

	for (int i = 0; i < 10; i++)
		sum += deep(1500, i);
	return sum != 15000;
}
