// SPDX-License-Identifier: GPL-2.0
/*
 * The load of a build machine: short processes started at a steady rate,
 * each burning a few milliseconds of CPU in a named function and exiting,
 * plus, every tenth start, a thread that lives a few milliseconds, and a
 * library loaded with dlopen, used and closed again.
 * Usage: churn PER_SECOND SECONDS [LIBRARY]
 *        churn --child MS    (what each started process runs)
 * Starts are paced on an absolute clock, so a slow start does not lower
 * the rate; a child's CPU time is measured on its own CPU clock, so a
 * loaded machine gives it as many samples, only later.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static double cpu_now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void short_lived_work(double secs)
{
	double end = cpu_now(CLOCK_PROCESS_CPUTIME_ID) + secs;
	unsigned long x = sink;

	while (cpu_now(CLOCK_PROCESS_CPUTIME_ID) < end)
		for (int i = 0; i < 1000; i++)
			x = x * 6364136223846793005UL + 1442695040888963407UL;
	sink = x;
}

__attribute__((noinline)) static void *short_thread(void *arg)
{
	double end = cpu_now(CLOCK_THREAD_CPUTIME_ID) + 0.002;
	unsigned long x = sink;

	while (cpu_now(CLOCK_THREAD_CPUTIME_ID) < end)
		for (int i = 0; i < 1000; i++)
			x = x * 2862933555777941757UL + 3037000493UL;
	sink = x;
	return arg;
}

static void use_library(const char *path)
{
	void (*spin)(unsigned long);
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		fprintf(stderr, "churn: %s\n", dlerror());
		exit(1);
	}
	spin = (void (*)(unsigned long))dlsym(h, "lib_spin");
	if (spin)
		spin(200000);
	dlclose(h);
}

static void reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int main(int argc, char **argv)
{
	struct timespec next;
	double rate, secs, start;
	const char *lib;
	char self[4096];
	ssize_t len;
	long n = 0;

	if (argc == 3 && !strcmp(argv[1], "--child")) {
		short_lived_work(atof(argv[2]) / 1000);
		return 0;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: churn PER_SECOND SECONDS [LIBRARY]\n");
		return 2;
	}
	rate = atof(argv[1]);
	secs = atof(argv[2]);
	lib = argc > 3 ? argv[3] : NULL;
	if (rate <= 0 || secs <= 0) {
		fprintf(stderr, "churn: PER_SECOND and SECONDS must be positive\n");
		return 2;
	}
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0)
		return 1;
	self[len] = 0;

	clock_gettime(CLOCK_MONOTONIC, &next);
	start = next.tv_sec + next.tv_nsec / 1e9;
	for (;;) {
		pid_t pid = fork();

		if (pid == 0) {
			/* 3 ms: one 999 Hz sample or three, never a whole loop period */
			execl(self, self, "--child", "3", (char *)NULL);
			_exit(127);
		}
		if (++n % 10 == 0) {
			pthread_t t;

			if (pthread_create(&t, NULL, short_thread, NULL) == 0)
				pthread_join(t, NULL);
			if (lib)
				use_library(lib);
		}
		reap();
		next.tv_nsec += (long)(1e9 / rate);
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		if (next.tv_sec + next.tv_nsec / 1e9 - start >= secs)
			break;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	while (wait(NULL) > 0)
		;
	printf("started %ld\n", n);
	return 0;
}
