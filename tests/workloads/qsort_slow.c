// SPDX-License-Identifier: GPL-2.0
/*
 * Known truth for symbols from separate debug info: almost all the time
 * goes to a slow comparator that glibc's qsort calls from its internal,
 * non-exported merge sort (msort_with_tmp).  libc's own .dynsym does not
 * name that function; libc6-dbg's debug file does.
 * Usage: qsort_slow SECONDS   (of CPU time, not of the clock: a loaded
 * machine gives its profile as many samples)
 */
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

__attribute__((noinline)) void keep(unsigned long x)
{
	sink = x;
}

/* slow on purpose, and not a leaf, so that it has a frame of its own */
__attribute__((noinline)) int slow_compare(const void *a, const void *b)
{
	unsigned long x = sink;

	for (int i = 0; i < 2000; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	keep(x);
	return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3;
	struct timespec ts, start;
	int v[512];

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
	do {
		for (int i = 0; i < 512; i++)
			v[i] = rand();
		qsort(v, 512, sizeof(v[0]), slow_compare);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	} while (ts.tv_sec - start.tv_sec + (ts.tv_nsec - start.tv_nsec) / 1e9 < secs);
	return 0;
}
