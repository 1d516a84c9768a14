// SPDX-License-Identifier: GPL-2.0
/*
 * Known truth for the cpu tests: spin_three() and spin_one() run the same
 * short loop, and each round a seeded PRNG picks spin_three with
 * probability 3/4, so they take 75% and 25% of the CPU.  The choice, not
 * the loop length, makes the ratio: the order of the calls has no period
 * a sampling clock could lock onto (a fixed three-then-one pattern
 * lasting about 1 ms aliased with 999 Hz sampling and skewed the share).
 * A chunk (about 0.1 ms) is shorter than a sampling period, so two
 * samples rarely see the same choice and the count of spin_three samples
 * is binomial.
 * Each ends with a call, so that it has a frame of its own: GCC gives
 * leaf functions none, and frame-pointer unwinding would skip main.
 * Usage: burn31 SECONDS; prints the CPU seconds it used on stderr at exit.
 * SECONDS are of CPU time, not of the clock: on a loaded machine it runs
 * longer and still gives a profile as many samples.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#define CHUNK 60000	/* loop iterations per call */

static volatile unsigned long sink;

__attribute__((noinline)) void keep(unsigned long x)
{
	sink = x;
}

__attribute__((noinline)) void spin_three(void)
{
	unsigned long x = sink;

	for (unsigned long i = 0; i < CHUNK; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	keep(x);
}

__attribute__((noinline)) void spin_one(void)
{
	unsigned long x = sink;

	for (unsigned long i = 0; i < CHUNK; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	keep(x);
}

/* xorshift64: fixed seed, the same run every time, no period that matters */
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
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	struct timespec ts, start;
	struct rusage ru;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
	do {
		for (int i = 0; i < 100; i++) {
			if (next_random(&seed) >> 62)	/* 1, 2 or 3 of 0..3 */
				spin_three();
			else
				spin_one();
		}
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	} while ((ts.tv_sec - start.tv_sec) + (ts.tv_nsec - start.tv_nsec) / 1e9 < secs);
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr, "cpu_seconds=%.3f\n", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	return 0;
}
