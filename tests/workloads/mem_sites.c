// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation sites with known truths for profiler mem:
 *   leak_site     1000 x malloc(4096), never freed: 4,096,000 bytes outstanding
 *   churn_site    100,000 x malloc(64) + free: 6,400,000 allocated, 0 outstanding
 *   calloc_site   500 x calloc(10, 100), kept: 500,000 bytes outstanding
 *   realloc_new   200 x realloc(NULL, 128): 25,600 allocated, all moved on
 *   realloc_grow  200 x realloc(p, 4096): 819,200 allocated; 150 kept (614,400)
 *   realloc_drop  50 x realloc(p, 0): frees, allocates nothing
 * With a file argument, waits until a line can be read from it first (a
 * FIFO: the test attaches, then lets it go).
 */
#include <stdio.h>
#include <stdlib.h>

void *volatile kept[2000];	/* global and volatile: the compiler may not drop the mallocs */

__attribute__((noinline)) void leak_site(int i)
{
	kept[i] = malloc(4096);
}

__attribute__((noinline)) void churn_site(void)
{
	void *volatile p = malloc(64);

	free(p);
}

__attribute__((noinline)) void calloc_site(int i)
{
	kept[1000 + i] = calloc(10, 100);
}

__attribute__((noinline)) void *realloc_new(void)
{
	return realloc(NULL, 128);
}

__attribute__((noinline)) void *realloc_grow(void *p)
{
	return realloc(p, 4096);
}

__attribute__((noinline)) void *realloc_drop(void *p)
{
	return realloc(p, 0);
}

int main(int argc, char **argv)
{
	static void *volatile r[200];

	if (argc > 1) {
		char line[16];
		FILE *f = fopen(argv[1], "r");

		if (!f || !fgets(line, sizeof(line), f))
			return 1;
		fclose(f);
	}
	for (int i = 0; i < 1000; i++)
		leak_site(i);
	for (int i = 0; i < 100000; i++)
		churn_site();
	for (int i = 0; i < 500; i++)
		calloc_site(i);
	for (int i = 0; i < 200; i++)
		r[i] = realloc_new();
	for (int i = 0; i < 200; i++)
		r[i] = realloc_grow(r[i]);
	for (int i = 0; i < 50; i++)
		r[i] = realloc_drop(r[i]);
	return r[199] == NULL;
}
