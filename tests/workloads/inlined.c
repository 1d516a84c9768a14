// SPDX-License-Identifier: GPL-2.0
/*
 * Known truth for --lines: nearly all the time is in mix_inlined, which
 * the compiler inlines into outer_fn (always_inline survives -fno-inline),
 * so it has no symbol of its own; only DWARF knows it is there.
 * Usage: inlined SECONDS
 */
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

__attribute__((noinline)) void keep(unsigned long x)
{
	sink = x;
}

static inline __attribute__((always_inline)) unsigned long mix_inlined(unsigned long x)
{
	for (unsigned long i = 0; i < 500000; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	return x;
}

__attribute__((noinline)) void outer_fn(void)
{
	keep(mix_inlined(sink));
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3;
	struct timespec ts, start;

	/* CPU time: a loaded machine gives its profile as many samples */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
	do {
		outer_fn();
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	} while (ts.tv_sec - start.tv_sec + (ts.tv_nsec - start.tv_nsec) / 1e9 < secs);
	return 0;
}
