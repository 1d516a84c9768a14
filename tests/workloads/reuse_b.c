// SPDX-License-Identifier: GPL-2.0
/*
 * One of two programs laid out alike (reuse_a.c, reuse_b.c): run one after
 * the other under the same pid without address randomization, their code
 * sits at the same addresses, and only the process's lifetime tells whose
 * a sampled address is.  Usage: reuse_b MS (CPU time in reuse_b_work)
 */
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

__attribute__((noinline)) void reuse_b_work(double secs)
{
	struct timespec ts;
	double end;
	unsigned long x = sink;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	end = ts.tv_sec + ts.tv_nsec / 1e9 + secs;
	do {
		for (int i = 0; i < 1000; i++)
			x = x * 6364136223846793005UL + 1442695040888963407UL;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	} while (ts.tv_sec + ts.tv_nsec / 1e9 < end);
	sink = x;
}

int main(int argc, char **argv)
{
	reuse_b_work(argc > 1 ? atof(argv[1]) / 1000 : 0.05);
	return 0;
}
