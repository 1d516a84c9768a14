// SPDX-License-Identifier: GPL-2.0
/*
 * Spends its time in the kernel: reads from /dev/zero in a loop, so
 * kernel frames dominate its profile.  Usage: syscalls SECONDS
 */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 16];

__attribute__((noinline)) void read_zeroes(int fd)
{
	for (int i = 0; i < 100; i++)
		if (read(fd, buf, sizeof(buf)) < 0)
			exit(1);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	int fd = open("/dev/zero", O_RDONLY);
	struct timespec start, ts;

	if (fd < 0)
		return 1;
	/* CPU time: a loaded machine gives its profile as many samples */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
	do {
		read_zeroes(fd);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	} while ((ts.tv_sec - start.tv_sec) + (ts.tv_nsec - start.tv_nsec) / 1e9 < secs);
	return 0;
}
