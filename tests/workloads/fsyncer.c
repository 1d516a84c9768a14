// SPDX-License-Identifier: GPL-2.0
/*
 * Known fsync-heavy code for the advice tests: commit_record() writes one
 * 4 KiB block and fsyncs it, N times; scan_records() then reads N blocks
 * with O_DIRECT and syncs nothing.  So every write request and every
 * flush is issued under fsync, and no read is.
 *   fsyncer PATH N     (PATH: a block device or a file on a disk)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK 4096

static __attribute__((noinline)) void fail(const char *what)
{
	perror(what);
	exit(1);
}

static __attribute__((noinline)) void commit_record(int fd, char *buf, int i)
{
	memset(buf, i, BLOCK);
	if (pwrite(fd, buf, BLOCK, (off_t)i * BLOCK) != BLOCK)
		fail("pwrite");
	if (fsync(fd))
		fail("fsync");
}

static __attribute__((noinline)) void scan_records(int fd, char *buf, int n)
{
	for (int i = 0; i < n; i++)
		if (pread(fd, buf, BLOCK, (off_t)i * BLOCK) != BLOCK)
			fail("pread");
}

int main(int argc, char **argv)
{
	char *buf;
	int fd, dfd, n;

	if (argc != 3 || (n = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: fsyncer PATH N\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_CREAT, 0600);
	dfd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 || dfd < 0)
		fail(argv[1]);
	if (posix_memalign((void **)&buf, BLOCK, BLOCK))
		fail("posix_memalign");
	for (int i = 0; i < n; i++)
		commit_record(fd, buf, i);
	scan_records(dfd, buf, n);
	close(fd);
	close(dfd);
	free(buf);
	return 0;
}
