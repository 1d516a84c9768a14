// SPDX-License-Identifier: GPL-2.0
/*
 * One program built twice, non-PIE at the same link address, with other
 * names (make: lifegen-parent with -DLIFE_PARENT, lifegen-child): each
 * function of one sits at the address of its namesake in the other.  A
 * process of lifegen-parent that forks and execs lifegen-child maps
 * those addresses first to the parent's file (the fork's copy), then to
 * the child's: only the waits' lifetime tag (the execs since the fork)
 * says whose an address is, as for Go's os/exec of compile and link.
 *
 *   lifegen-parent spawn PROG ARGS...  fork, exec PROG ARGS, wait for it
 *   lifegen-child lock N               two threads take one mutex N times
 *                                      each, holding it 1 ms: futex waits
 *                                      in NAME(lock_loop)
 *   lifegen-child leak N SIZE          N blocks of SIZE bytes from
 *                                      NAME(leak_one), never freed
 *   lifegen-child io PATH N            N O_DIRECT 4 KiB writes from
 *                                      NAME(write_blocks), then fdatasync
 *   lifegen-child call N               N calls of NAME(timed) from
 *                                      NAME(call_loop), 100 us each
 *   lifegen-child stuck                one thread holds the mutex for good,
 *                                      the other waits for it in
 *                                      NAME(stuck_wait) until killed: a
 *                                      wait still in progress at the end
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../raw_syscall.h"	/* sys4(): system calls made in our own frames */

#ifdef LIFE_PARENT
#define NAME(f)	parent_##f
#else
#define NAME(f)	child_##f
#endif

#define BLOCK 4096

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int rounds;
static void *volatile keep;

static __attribute__((noinline)) void NAME(fail)(const char *what)
{
	perror(what);
	exit(1);
}

static __attribute__((noinline)) void NAME(hold)(long us)
{
	struct timespec ts = { 0, us * 1000 };

	while (nanosleep(&ts, &ts))
		;
}

__attribute__((noinline)) void *NAME(lock_loop)(void *arg)
{
	for (int i = 0; i < rounds; i++) {
		pthread_mutex_lock(&mu);
		NAME(hold)(1000);
		pthread_mutex_unlock(&mu);
		/* let the other thread in: each round is one contention */
		NAME(hold)(100);
	}
	return arg;
}

__attribute__((noinline)) void NAME(leak_one)(size_t size)
{
	char *p = malloc(size);

	if (!p)
		NAME(fail)("malloc");
	memset(p, 1, size);
	keep = p;
}

__attribute__((noinline)) void NAME(write_blocks)(int fd, char *buf, int n)
{
	for (int i = 0; i < n; i++) {
		memset(buf, i, BLOCK);
		if (sys4(SYS_pwrite64, fd, (long)buf, BLOCK, (long)i * BLOCK) != BLOCK)
			NAME(fail)("pwrite");
	}
	if (sys4(SYS_fdatasync, fd, 0, 0, 0))
		NAME(fail)("fdatasync");
}

__attribute__((noinline)) void NAME(timed)(void)
{
	NAME(hold)(100);
}

__attribute__((noinline)) void NAME(call_loop)(int n)
{
	for (int i = 0; i < n; i++)
		NAME(timed)();
}

static volatile int held;

static void *NAME(stuck_hold)(void *arg)
{
	pthread_mutex_lock(&mu);
	held = 1;
	for (;;)
		pause();
	return arg;
}

__attribute__((noinline)) void NAME(stuck_wait)(void)
{
	pthread_mutex_lock(&mu);	/* never given back */
}

static int NAME(spawn)(char **argv)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		NAME(fail)("fork");
	if (!pid) {
		execv(argv[0], argv);
		NAME(fail)(argv[0]);
	}
	if (waitpid(pid, &status, 0) < 0)
		NAME(fail)("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "spawn") && argc > 2)
		return NAME(spawn)(argv + 2);
	if (!strcmp(mode, "lock") && argc == 3) {
		pthread_t t;

		rounds = atoi(argv[2]);
		if (pthread_create(&t, NULL, NAME(lock_loop), NULL))
			NAME(fail)("pthread_create");
		NAME(lock_loop)(NULL);
		pthread_join(t, NULL);
		return 0;
	}
	if (!strcmp(mode, "leak") && argc == 4) {
		int n = atoi(argv[2]);

		for (int i = 0; i < n; i++)
			NAME(leak_one)((size_t)atol(argv[3]));
		return 0;
	}
	if (!strcmp(mode, "io") && argc == 4) {
		int fd = open(argv[2], O_RDWR | O_DIRECT);
		char *buf;

		if (fd < 0)
			NAME(fail)(argv[2]);
		if (posix_memalign((void **)&buf, BLOCK, BLOCK))
			NAME(fail)("posix_memalign");
		NAME(write_blocks)(fd, buf, atoi(argv[3]));
		return 0;
	}
	if (!strcmp(mode, "call") && argc == 3) {
		NAME(call_loop)(atoi(argv[2]));
		return 0;
	}
	if (!strcmp(mode, "stuck") && argc == 2) {
		pthread_t t;

		if (pthread_create(&t, NULL, NAME(stuck_hold), NULL))
			NAME(fail)("pthread_create");
		while (!held)
			NAME(hold)(1000);
		NAME(stuck_wait)();
		return 1;
	}
	fprintf(stderr, "usage: %s spawn PROG ARGS... | lock N | leak N SIZE | io PATH N | call N | stuck\n",
		argv[0]);
	return 2;
}
