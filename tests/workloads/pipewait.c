// SPDX-License-Identifier: GPL-2.0
/*
 * Known truth for the hung-process tests: the main thread blocks in
 * read(2) on a pipe that nothing ever writes to (it holds the write end
 * itself, so the read never sees end of file).  It never ends: the test
 * kills it.
 * Usage: pipewait
 */
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) long wait_for_input(int fd)
{
	char c;

	return read(fd, &c, 1);
}

int main(void)
{
	int fds[2];

	if (pipe(fds))
		return 1;
	printf("%d\n", getpid());
	fflush(stdout);
	return wait_for_input(fds[0]) < 0;
}
