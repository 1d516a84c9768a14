// SPDX-License-Identifier: GPL-2.0
/*
 * Known truth for offcpu's count of waits: N sleeps of US microseconds,
 * each in nap(), one thread.  Prints, on stderr, how many it made, the
 * time they took, measured around each system call, and how many times
 * the thread blocked meanwhile (its voluntary context switches): a sleep
 * whose timer fires before the thread has left the CPU (a VM's CPU taken
 * away for longer than US) returns without blocking, and is no wait.
 *   naps=N slept_ns=T blocked=B
 * The system call is made inline (as in waits.c), so that the blocked
 * frame is nap() itself, whatever libc's frames allow.
 * Usage: naps N US
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* this thread's voluntary context switches so far */
static long blocked(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) ? -1 : ru.ru_nvcsw;
}

static long long now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

__attribute__((noinline)) long long nap(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	long long t0 = now();

#ifdef __x86_64__
	long ret;

	__asm__ volatile ("syscall" : "=a"(ret) : "a"((long)SYS_nanosleep), "D"(&ts), "S"(0L)
			  : "rcx", "r11", "memory");
	(void)ret;
#else
	syscall(SYS_nanosleep, &ts, NULL);
#endif
	return now() - t0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000, us = argc > 2 ? atol(argv[2]) : 1000;
	long long slept = 0;
	long b0;

	if (n <= 0 || us <= 0) {
		fprintf(stderr, "usage: naps N US\n");
		return 2;
	}
	b0 = blocked();
	for (long i = 0; i < n; i++)
		slept += nap(us);
	fprintf(stderr, "naps=%ld slept_ns=%lld blocked=%ld\n", n, slept, blocked() - b0);
	return 0;
}
