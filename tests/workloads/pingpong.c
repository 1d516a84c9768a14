// SPDX-License-Identifier: GPL-2.0
/*
 * A context-switch-heavy load for the offcpu benchmark: two threads pass
 * one byte back and forth over two pipes, each blocking in read() until
 * the other answers.  Every round trip is two blocking switches.
 * Prints "round_trips_per_sec=N cpu_ns_per_round_trip=N" on stdout at the
 * end: the second, from the process's CPU time, holds still when other
 * loads share the CPU, and shows what tracing adds to each switch.
 * Usage: pingpong SECONDS
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static int ping[2], pong[2];

static void *ponger(void *arg)
{
	char c;

	while (read(ping[0], &c, 1) == 1 && c != 'q')
		if (write(pong[1], &c, 1) != 1)
			break;
	return arg;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5, start, el, cpu;
	struct rusage ru;
	unsigned long trips = 0;
	pthread_t t;
	char c = 'x';

	if (pipe(ping) || pipe(pong))
		return 1;
	pthread_create(&t, NULL, ponger, NULL);
	start = now();
	do {
		for (int i = 0; i < 1000; i++) {
			if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
				return 1;
		}
		trips += 1000;
		el = now() - start;
	} while (el < secs);
	c = 'q';
	if (write(ping[1], &c, 1) != 1)
		return 1;
	pthread_join(t, NULL);
	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	      ru.ru_stime.tv_usec / 1e6;
	printf("round_trips_per_sec=%.0f cpu_ns_per_round_trip=%.0f\n", trips / el,
	       cpu * 1e9 / trips);
	return 0;
}
