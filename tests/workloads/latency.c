// SPDX-License-Identifier: GPL-2.0
/*
 * Functions with known calls and durations, for profiler latency:
 *   latency sleep N MS       sleeper() N times, each sleeping MS ms
 *   latency fast N           fast() N times
 *   latency recurse K D      K calls of recurse(D): D + 1 calls each, nested
 *   latency threads T N      T threads, each calling fast() N times
 *   latency jump N           N calls of jumper() -> deep(), which longjmps
 *                            out: deep() never returns, jumper() does
 *   latency exit T           T threads each end (pthread_exit) inside
 *                            ends_thread(): it never returns
 *   latency sys N            N getppid system calls
 *   latency bench N [wait]   N calls of fast(), timed: ns_per_call=X on
 *                            stderr (for scripts/bench/latency.sh); with
 *                            wait, starts when a line comes on stdin
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static volatile unsigned long sink;
static jmp_buf back;

__attribute__((noinline)) void sleeper(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

__attribute__((noinline)) unsigned long fast(unsigned long x)
{
	sink += x;
	return sink;
}

__attribute__((noinline)) unsigned long recurse(int depth)
{
	if (depth <= 0)
		return fast(1);
	return recurse(depth - 1) + 1;
}

__attribute__((noinline)) void deep(int i)
{
	sink += i;
	longjmp(back, 1);
}

__attribute__((noinline)) void jumper(int i)
{
	if (!setjmp(back))
		deep(i);
}

__attribute__((noinline)) void ends_thread(void)
{
	pthread_exit(NULL);
}

static void *fast_thread(void *arg)
{
	for (long i = 0; i < (long)arg; i++)
		fast(i);
	return NULL;
}

static void *exit_thread(void *arg)
{
	ends_thread();
	return arg;
}

static void run_threads(int t, void *(*fn)(void *), long n)
{
	pthread_t *th = calloc(t, sizeof(*th));

	for (int i = 0; i < t; i++)
		if (pthread_create(&th[i], NULL, fn, (void *)n))
			exit(1);
	for (int i = 0; i < t; i++)
		pthread_join(th[i], NULL);
	free(th);
}

static void bench(long n, bool wait)
{
	struct timespec t0, t1;
	char line[16];

	if (wait && !fgets(line, sizeof(line), stdin))
		exit(1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		fast(i);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "ns_per_call=%.1f\n",
		((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / (n ? n : 1));
}

int main(int argc, char **argv)
{
	long a = argc > 2 ? atol(argv[2]) : 10, b = argc > 3 ? atol(argv[3]) : 10;
	const char *mode = argc > 1 ? argv[1] : "fast";

	if (!strcmp(mode, "sleep"))
		for (long i = 0; i < a; i++)
			sleeper(b);
	else if (!strcmp(mode, "fast"))
		for (long i = 0; i < a; i++)
			fast(i);
	else if (!strcmp(mode, "recurse"))
		for (long i = 0; i < a; i++)
			recurse((int)b);
	else if (!strcmp(mode, "threads"))
		run_threads((int)a, fast_thread, b);
	else if (!strcmp(mode, "jump"))
		for (long i = 0; i < a; i++)
			jumper((int)i);
	else if (!strcmp(mode, "exit"))
		run_threads((int)a, exit_thread, 0);
	else if (!strcmp(mode, "bench"))
		bench(a, argc > 3 && !strcmp(argv[3], "wait"));
	else if (!strcmp(mode, "sys"))
		for (long i = 0; i < a; i++)
			syscall(SYS_getppid);
	else
		return 2;
	return 0;
}
