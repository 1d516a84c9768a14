// SPDX-License-Identifier: GPL-2.0
/*
 * Burns CPU in its own code first, then loads a library with dlopen and
 * burns CPU in it, then exits: the library is mapped after the process
 * was first seen, and gone before the profile is written.
 * Usage: dlopen_late LIBRARY SECONDS_BEFORE SECONDS_IN_LIBRARY
 * (seconds of CPU time: as many samples on a loaded machine)
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void keep(unsigned long x)
{
	sink = x;
}

__attribute__((noinline)) void before_dlopen(double secs)
{
	double end = now() + secs;
	unsigned long x = sink;

	while (now() < end)
		for (int i = 0; i < 100000; i++)
			x = x * 6364136223846793005UL + 1;
	keep(x);
}

__attribute__((noinline)) void call_library(void (*fn)(unsigned long), double secs)
{
	double end = now() + secs;

	while (now() < end)
		fn(200000);
	keep(0);
}

int main(int argc, char **argv)
{
	void (*fn)(unsigned long);
	void *h;

	if (argc != 4) {
		fprintf(stderr, "usage: dlopen_late LIBRARY SECONDS_BEFORE SECONDS_IN_LIBRARY\n");
		return 2;
	}
	before_dlopen(atof(argv[2]));
	h = dlopen(argv[1], RTLD_NOW);
	if (!h || !(fn = (void (*)(unsigned long))dlsym(h, "lib_spin"))) {
		fprintf(stderr, "dlopen_late: %s\n", dlerror());
		return 1;
	}
	call_library(fn, atof(argv[3]));
	return 0;
}
