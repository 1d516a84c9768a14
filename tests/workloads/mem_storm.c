// SPDX-License-Identifier: GPL-2.0
/*
 * A malloc/free storm for the cost benchmark (scripts/bench/mem.sh):
 * N x (malloc(64) + free) from one site; prints the time per pair,
 * measured around the loop only, as ns_per_pair=X on standard error, and
 * the thread's CPU time per pair (user and kernel: the traps and the
 * probes run on it) as cpu_ns_per_pair=X, which a busy machine's waits
 * for a CPU do not swell.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

__attribute__((noinline)) void storm_site(void)
{
	void *volatile p = malloc(64);

	free(p);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	struct timespec a, b, ca, cb;

	clock_gettime(CLOCK_MONOTONIC, &a);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ca);
	for (long i = 0; i < n; i++)
		storm_site();
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cb);
	clock_gettime(CLOCK_MONOTONIC, &b);
	fprintf(stderr, "ns_per_pair=%.1f\n",
		((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)n);
	fprintf(stderr, "cpu_ns_per_pair=%.1f\n",
		((cb.tv_sec - ca.tv_sec) * 1e9 + (cb.tv_nsec - ca.tv_nsec)) / (double)n);
	return 0;
}
