// SPDX-License-Identifier: GPL-2.0
/*
 * Thousands of unique stacks, for the symbolization benchmark: 16
 * functions call each other in a pseudo-random order to a depth of 8,
 * so nearly every sample has a stack of its own.
 * Usage: manystacks SECONDS [cpu]   (cpu: SECONDS of CPU time, not of the
 * clock, so that a loaded machine still gives as many samples)
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile unsigned long sink;
typedef void (*step_fn)(int depth, unsigned long seed);
static step_fn table[16];

__attribute__((noinline)) void keep(unsigned long x)
{
	sink = x;
}

__attribute__((noinline)) void step(int depth, unsigned long seed)
{
	if (depth == 0) {
		unsigned long x = seed;

		for (int i = 0; i < 20000; i++)
			x = x * 6364136223846793005UL + 1442695040888963407UL;
		keep(x);
		return;
	}
	table[seed & 15](depth - 1, seed >> 4);
	keep(seed);
}

#define F(n) __attribute__((noinline)) void f##n(int d, unsigned long s) { step(d, s); keep(s); }
F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13) F(14) F(15)

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	clockid_t clock = argc > 2 && !strcmp(argv[2], "cpu") ? CLOCK_PROCESS_CPUTIME_ID :
			  CLOCK_MONOTONIC;
	step_fn fns[16] = { f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15 };
	struct timespec ts, start;
	unsigned long seed = 88172645463325252UL;

	for (int i = 0; i < 16; i++)
		table[i] = fns[i];
	clock_gettime(clock, &start);
	do {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		step(8, seed);
		clock_gettime(clock, &ts);
	} while (ts.tv_sec - start.tv_sec + (ts.tv_nsec - start.tv_nsec) / 1e9 < secs);
	return 0;
}
