// SPDX-License-Identifier: GPL-2.0
/*
 * Many unique stacks: eight functions call each other in pseudo-random
 * order to a pseudo-random depth before spinning, so a profile of a few
 * seconds holds thousands of distinct stacks.  For benchmarks of the
 * symbolizer and of stack aggregation.  Usage: stackmix SECONDS
 */
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;
static unsigned long rng = 88172645463325252UL;

typedef void (*step_fn)(int depth);
static step_fn steps[8];

static unsigned long next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

__attribute__((noinline)) void keep(unsigned long x)
{
	sink = x;
}

__attribute__((noinline)) static void work(void)
{
	unsigned long x = sink;

	for (int i = 0; i < 20000; i++)
		x = x * 6364136223846793005UL + 1;
	keep(x);
}

#define STEP(n)								\
	__attribute__((noinline)) void step_##n(int depth)		\
	{								\
		if (depth == 0)						\
			work();						\
		else							\
			steps[next() & 7](depth - 1);			\
		keep(depth);						\
	}
STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5) STEP(6) STEP(7)

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	struct timespec start, ts;

	steps[0] = step_0; steps[1] = step_1; steps[2] = step_2; steps[3] = step_3;
	steps[4] = step_4; steps[5] = step_5; steps[6] = step_6; steps[7] = step_7;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		for (int i = 0; i < 100; i++)
			steps[next() & 7]((int)(next() % 6));
		clock_gettime(CLOCK_MONOTONIC, &ts);
	} while ((ts.tv_sec - start.tv_sec) + (ts.tv_nsec - start.tv_nsec) / 1e9 < secs);
	return 0;
}
