// SPDX-License-Identifier: GPL-2.0
/*
 * The allocator's other entry points, with known truths for profiler mem
 * (each argument where its own function keeps it):
 *   posix_site    300 x posix_memalign(&p, 64, 1000), kept: 300,000 bytes
 *   aligned_site  200 x aligned_alloc(256, 2048), kept: 409,600 bytes
 *   memalign_site 100 x memalign(128, 640), kept: 64,000 bytes
 *   array_site    150 x reallocarray(NULL, 12, 50), kept: 90,000 bytes
 *   array_grow    those 150 x reallocarray(p, 30, 50): 225,000 allocated and
 *                 kept, array_site's 90,000 moved on
 *   valloc_site   40 x valloc(5000), kept: 200,000 bytes
 *   posix_fail    10 x posix_memalign(&p, 3, 64): EINVAL (alignment not a
 *                 power of two), nothing allocated
 */
#include <malloc.h>
#include <stdlib.h>

void *volatile kept[1000];	/* global and volatile: the compiler may not drop the calls */

__attribute__((noinline)) void posix_site(int i)
{
	void *p = NULL;

	if (!posix_memalign(&p, 64, 1000))
		kept[i] = p;
}

__attribute__((noinline)) void aligned_site(int i)
{
	kept[300 + i] = aligned_alloc(256, 2048);
}

__attribute__((noinline)) void memalign_site(int i)
{
	kept[500 + i] = memalign(128, 640);
}

__attribute__((noinline)) void *array_site(void)
{
	return reallocarray(NULL, 12, 50);
}

__attribute__((noinline)) void *array_grow(void *p)
{
	return reallocarray(p, 30, 50);
}

__attribute__((noinline)) void valloc_site(int i)
{
	kept[600 + i] = valloc(5000);
}

__attribute__((noinline)) int posix_fail(void)
{
	void *p = NULL;

	return posix_memalign(&p, 3, 64);
}

int main(void)
{
	int failed = 0;

	for (int i = 0; i < 300; i++)
		posix_site(i);
	for (int i = 0; i < 200; i++)
		aligned_site(i);
	for (int i = 0; i < 100; i++)
		memalign_site(i);
	for (int i = 0; i < 150; i++)
		kept[700 + i] = array_site();
	for (int i = 0; i < 150; i++)
		kept[700 + i] = array_grow(kept[700 + i]);
	for (int i = 0; i < 40; i++)
		valloc_site(i);
	for (int i = 0; i < 10; i++)
		failed += posix_fail() != 0;
	return failed != 10;
}
