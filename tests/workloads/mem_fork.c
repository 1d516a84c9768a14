// SPDX-License-Identifier: GPL-2.0
/*
 * Known truths for profiler mem following children of -- COMMAND:
 *   parent_leak   in the parent:               100 x malloc(4096)  = 409,600 bytes
 *   child_leak    in a forked child:           200 x malloc(8192)  = 1,638,400 bytes
 *   exec_leak     in a child that execs this
 *                 binary again ("exec"):        50 x malloc(16384) = 819,200 bytes
 * None is freed.  The parent waits for both children.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void *volatile kept[400];	/* global and volatile: the mallocs stay */

__attribute__((noinline)) void parent_leak(int i)
{
	kept[i] = malloc(4096);
}

__attribute__((noinline)) void child_leak(int i)
{
	kept[100 + i] = malloc(8192);
}

__attribute__((noinline)) void exec_leak(int i)
{
	kept[300 + i] = malloc(16384);
}

int main(int argc, char **argv)
{
	pid_t a, b;

	if (argc > 1 && !strcmp(argv[1], "exec")) {
		for (int i = 0; i < 50; i++)
			exec_leak(i);
		return 0;
	}
	for (int i = 0; i < 100; i++)
		parent_leak(i);
	a = fork();
	if (a == 0) {
		for (int i = 0; i < 200; i++)
			child_leak(i);
		_exit(0);
	}
	b = fork();
	if (b == 0) {
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n > 0) {
			self[n] = 0;
			execl(self, argv[0], "exec", (char *)NULL);
		}
		_exit(127);
	}
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	return 0;
}
