// SPDX-License-Identifier: GPL-2.0
/*
 * Two named threads burning CPU in different functions, for -t tests.
 * Prints "tid_a=N tid_b=N" on stdout once both run.  Usage: threads SECONDS
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* pthread_setname_np */
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static volatile unsigned long sink;
static double secs;
static pid_t tids[2];

__attribute__((noinline)) void keep(unsigned long x)
{
	sink = x;
}

static double elapsed(const struct timespec *start)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec - start->tv_sec) + (ts.tv_nsec - start->tv_nsec) / 1e9;
}

__attribute__((noinline)) void work_in_a(void)
{
	unsigned long x = sink;

	for (unsigned long i = 0; i < 300000; i++)
		x = x * 6364136223846793005UL + 1;
	keep(x);
}

__attribute__((noinline)) void work_in_b(void)
{
	unsigned long x = sink;

	for (unsigned long i = 0; i < 300000; i++)
		x = x * 6364136223846793005UL + 3;
	keep(x);
}

static void *thread_a(void *arg)
{
	struct timespec start;

	tids[0] = syscall(SYS_gettid);
	pthread_setname_np(pthread_self(), "worker-a");
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (elapsed(&start) < secs)
		work_in_a();
	return arg;
}

static void *thread_b(void *arg)
{
	struct timespec start;

	tids[1] = syscall(SYS_gettid);
	pthread_setname_np(pthread_self(), "worker-b");
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (elapsed(&start) < secs)
		work_in_b();
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t a, b;

	secs = argc > 1 ? atof(argv[1]) : 5;
	pthread_create(&a, NULL, thread_a, NULL);
	pthread_create(&b, NULL, thread_b, NULL);
	while (!tids[0] || !tids[1])
		usleep(1000);
	printf("tid_a=%d tid_b=%d\n", tids[0], tids[1]);
	fflush(stdout);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return 0;
}
