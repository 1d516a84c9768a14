// SPDX-License-Identifier: GPL-2.0
/*
 * A hot leaf without a frame of its own (GCC gives leaves none even with
 * -fno-omit-frame-pointer), called from two callers 3:1.  Frame-pointer
 * unwinding alone skips the callers; the profile must show
 * main;caller_three;hot_leaf and main;caller_one;hot_leaf, 75/25.
 * Each round a seeded PRNG picks caller_three with probability 3/4, and
 * both run the leaf for the same short time (about 0.1 ms, under one
 * sampling period): the calls have no period that 999 Hz sampling could
 * alias with (a fixed three-then-one pattern of about 1.3 ms did, and
 * measured 80.6% against 75), and the count of caller_three samples is
 * binomial.
 * Usage: leafcall SECONDS   (of CPU time: as many samples on a loaded machine)
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define CHUNK 60000	/* leaf iterations per call */

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
	hot_leaf(CHUNK);
	sink++;
}

__attribute__((noinline)) void caller_one(void)
{
	hot_leaf(CHUNK);
	sink++;
}

/* xorshift64: fixed seed, the same run every time */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	uint64_t seed = 0x2545f4914f6cdd1dULL;
	struct timespec start, ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
	do {
		for (int i = 0; i < 100; i++) {
			if (next_random(&seed) >> 62)	/* 1, 2 or 3 of 0..3 */
				caller_three();
			else
				caller_one();
		}
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	} while ((ts.tv_sec - start.tv_sec) + (ts.tv_nsec - start.tv_nsec) / 1e9 < secs);
	return 0;
}
