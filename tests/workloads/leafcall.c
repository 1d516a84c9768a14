// SPDX-License-Identifier: GPL-2.0
/*
 * A hot leaf without a frame of its own (GCC gives leaves none even with
 * -fno-omit-frame-pointer), called from two callers 3:1.  Frame-pointer
 * unwinding alone skips the callers; the profile must show
 * main;caller_three;hot_leaf and main;caller_one;hot_leaf, 75/25.
 * Usage: leafcall SECONDS   (of CPU time: as many samples on a loaded machine)
 */
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

__attribute__((noinline)) void hot_leaf(unsigned long n)
{
	unsigned long x = sink;

	for (unsigned long i = 0; i < n; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	sink = x;
}

__attribute__((noinline)) void caller_three(void)
{
	hot_leaf(600000);
	sink++;
}

__attribute__((noinline)) void caller_one(void)
{
	hot_leaf(200000);
	sink++;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	struct timespec start, ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
	do {
		for (int i = 0; i < 20; i++) {
			caller_three();
			caller_one();
		}
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	} while ((ts.tv_sec - start.tv_sec) + (ts.tv_nsec - start.tv_nsec) / 1e9 < secs);
	return 0;
}
