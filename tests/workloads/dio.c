// SPDX-License-Identifier: GPL-2.0
/*
 * Known block I/O: N O_DIRECT 4 KiB writes, one fdatasync, N O_DIRECT
 * 4 KiB reads of PATH (a file or a block device such as /dev/loop0).
 * Each call waits for its request, so none merge: at least 2N requests.
 *   dio PATH N
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "raw_syscall.h"	/* sys4(): system calls made in our own frames */

#define BLOCK 4096

static __attribute__((noinline)) void fail(const char *what)
{
	perror(what);
	exit(1);
}

/* Called first thing, so GCC sets up the frame at entry, not only on the error path. */
static __attribute__((noinline)) void phase(char *buf)
{
	__asm__ volatile("" : : "r"(buf) : "memory");
}

/* Blocks wrap around the end of a device, so N may exceed its size. */
static long wrap;

static __attribute__((noinline)) void write_blocks(int fd, char *buf, int n)
{
	phase(buf);
	for (int i = 0; i < n; i++) {
		memset(buf, i, BLOCK);
		if (sys4(SYS_pwrite64, fd, (long)buf, BLOCK, (long)(i % wrap) * BLOCK) != BLOCK)
			fail("pwrite");
	}
	if (sys4(SYS_fdatasync, fd, 0, 0, 0))
		fail("fdatasync");
}

static __attribute__((noinline)) void read_blocks(int fd, char *buf, int n)
{
	phase(buf);
	for (int i = 0; i < n; i++)
		if (sys4(SYS_pread64, fd, (long)buf, BLOCK, (long)(i % wrap) * BLOCK) != BLOCK)
			fail("pread");
}

int main(int argc, char **argv)
{
	char *buf;
	int fd, n;

	if (argc != 3 || (n = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: dio PATH N\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_CREAT | O_DIRECT, 0600);
	if (fd < 0)
		fail(argv[1]);
	/* a device (or file) of a known size wraps; a new file grows */
	wrap = lseek(fd, 0, SEEK_END) / BLOCK;
	if (wrap <= 0)
		wrap = n;
	if (posix_memalign((void **)&buf, BLOCK, BLOCK))
		fail("posix_memalign");
	write_blocks(fd, buf, n);
	read_blocks(fd, buf, n);
	close(fd);
	free(buf);
	return 0;
}
