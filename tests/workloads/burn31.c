// SPDX-License-Identifier: GPL-2.0
/*
 * Known truth for the cpu tests: spin_three() runs the same loop three
 * times as long as spin_one(), so they take 75% and 25% of the CPU.
 * Each ends with a call, so that it has a frame of its own: GCC gives
 * leaf functions none, and frame-pointer unwinding would skip main.
 * Usage: burn31 SECONDS; prints the CPU seconds it used on stderr at exit.
 * SECONDS are of CPU time, not of the clock: on a loaded machine it runs
 * longer and still gives a profile as many samples.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static volatile unsigned long sink;

__attribute__((noinline)) void keep(unsigned long x)
{
	sink = x;
}

__attribute__((noinline)) void spin_three(void)
{
	unsigned long x = sink;

	for (unsigned long i = 0; i < 600000; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	keep(x);
}

__attribute__((noinline)) void spin_one(void)
{
	unsigned long x = sink;

	for (unsigned long i = 0; i < 200000; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	keep(x);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	struct timespec ts, start;
	struct rusage ru;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
	do {
		for (int i = 0; i < 50; i++) {
			spin_three();
			spin_one();
		}
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	} while ((ts.tv_sec - start.tv_sec) + (ts.tv_nsec - start.tv_nsec) / 1e9 < secs);
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr, "cpu_seconds=%.3f\n", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	return 0;
}
