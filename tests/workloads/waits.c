// SPDX-License-Identifier: GPL-2.0
/*
 * Known truth for the offcpu and wall tests: thread "sleeper" sleeps 10 ms
 * at a time in sleep_in_a(); thread "reader" blocks reading a pipe in
 * read_in_b(), fed every 20 ms by the main thread; with "burn", thread
 * "burner" computes in burn_in_c().  At exit it prints, on stderr, the
 * time each thread measured itself blocked, the seconds the burner lived
 * and the CPU seconds it used, and the time of the sleeps and reads that
 * lasted WAITS_LONG_US microseconds or more (15000 unless set): a
 * machine's load stretches some 10 ms sleeps past it (and a late reader
 * blocks less), and an off-CPU period lies within its call, so no other
 * call can pass an off-CPU filter of that length:
 *   sleep_ns=N read_ns=N burn_secs=S burn_cpu=S sleep_long_ns=N read_long_ns=N
 * The system calls are made inline, so that the blocked frame is the
 * measured function itself: libc has no frame pointers, and unwinding
 * through it would skip its caller.
 * Usage: waits SECONDS [burn]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;
static volatile int done;
static double secs;
static int pipefd[2];
static long long sleep_ns, read_ns, sleep_long_ns, read_long_ns, long_ns = 15000000;
static double burn_secs, burn_cpu;

static long long now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline __attribute__((always_inline)) long sys3(long nr, long a, long b, long c)
{
#ifdef __x86_64__
	long ret;

	__asm__ volatile ("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c)
			  : "rcx", "r11", "memory");
	return ret;
#else
	return syscall(nr, a, b, c);
#endif
}

__attribute__((noinline)) void keep(unsigned long x)
{
	sink = x;
}

__attribute__((noinline)) void sleep_in_a(void)
{
	struct timespec ts = { 0, 10000000 };
	long long t0 = now(), d;

	sys3(SYS_nanosleep, (long)&ts, 0, 0);
	d = now() - t0;
	sleep_ns += d;
	if (d >= long_ns)
		sleep_long_ns += d;
	keep(0);
}

__attribute__((noinline)) int read_in_b(void)
{
	long long t0 = now(), d;
	char c;
	long r = sys3(SYS_read, pipefd[0], (long)&c, 1);

	d = now() - t0;
	read_ns += d;
	if (d >= long_ns)
		read_long_ns += d;
	keep(c);
	return r == 1 && c != 'q';
}

__attribute__((noinline)) void burn_in_c(void)
{
	unsigned long x = sink;

	for (unsigned long i = 0; i < 300000; i++)
		x = x * 6364136223846793005UL + 1;
	keep(x);
}

static void *sleeper(void *arg)
{
	long long end = now() + (long long)(secs * 1e9);

	pthread_setname_np(pthread_self(), "sleeper");
	while (now() < end)
		sleep_in_a();
	return arg;
}

static void *reader(void *arg)
{
	pthread_setname_np(pthread_self(), "reader");
	while (read_in_b())
		;
	return arg;
}

static void *burner(void *arg)
{
	long long t0 = now(), end = t0 + (long long)(secs * 1e9);
	struct timespec cpu;

	pthread_setname_np(pthread_self(), "burner");
	while (now() < end)
		burn_in_c();
	burn_secs = (now() - t0) / 1e9;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	burn_cpu = cpu.tv_sec + cpu.tv_nsec / 1e9;
	return arg;
}

__attribute__((noinline)) void feed_pipe(void)
{
	struct timespec ts = { 0, 20000000 };

	nanosleep(&ts, NULL);
	if (write(pipefd[1], "x", 1) != 1)
		exit(1);
	keep(1);
}

int main(int argc, char **argv)
{
	pthread_t a, b, c;
	int burn = argc > 2 && !strcmp(argv[2], "burn");
	long long end;

	secs = argc > 1 ? atof(argv[1]) : 2;
	if (getenv("WAITS_LONG_US"))
		long_ns = atoll(getenv("WAITS_LONG_US")) * 1000;
	if (pipe(pipefd))
		return 1;
	pthread_create(&a, NULL, sleeper, NULL);
	pthread_create(&b, NULL, reader, NULL);
	if (burn)
		pthread_create(&c, NULL, burner, NULL);
	end = now() + (long long)(secs * 1e9);
	while (now() < end)
		feed_pipe();
	if (write(pipefd[1], "q", 1) != 1)
		return 1;
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	if (burn)
		pthread_join(c, NULL);
	fprintf(stderr, "sleep_ns=%lld read_ns=%lld burn_secs=%.3f burn_cpu=%.4f sleep_long_ns=%lld "
		"read_long_ns=%lld\n", sleep_ns, read_ns, burn_secs, burn_cpu, sleep_long_ns, read_long_ns);
	return 0;
}
