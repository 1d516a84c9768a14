// SPDX-License-Identifier: GPL-2.0
/*
 * Known truth for offcpu's count of waits: N sleeps of US microseconds,
 * each in nap(), one thread.  Prints, on stderr, how many it made and
 * the time they took, measured around each system call:
 *   naps=N slept_ns=T
 * The system call is made inline (as in waits.c), so that the blocked
 * frame is nap() itself, whatever libc's frames allow.
 * Usage: naps N US
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

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

	if (n <= 0 || us <= 0) {
		fprintf(stderr, "usage: naps N US\n");
		return 2;
	}
	for (long i = 0; i < n; i++)
		slept += nap(us);
	fprintf(stderr, "naps=%ld slept_ns=%lld\n", n, slept);
	return 0;
}
