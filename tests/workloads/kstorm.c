// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel lock contention on purpose: four threads of one process create
 * and unlink files in one directory (the directory's i_rwsem, dentry and
 * inode spinlocks) and map, touch and unmap memory (the process's
 * mmap_lock).  Counted, not timed.
 * Usage: kstorm DIR [ROUNDS]   (default 3000 per thread)
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *dir;
static long rounds = 3000;

__attribute__((noinline)) void create_unlink(long id, long r)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/f-%ld-%ld", dir, id, r % 64);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	if (fd >= 0)
		close(fd);
	unlink(path);
}

__attribute__((noinline)) void map_touch_unmap(void)
{
	size_t len = 16 * 4096;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	munmap(p, len);
}

static void *worker(void *arg)
{
	long id = (long)arg;

	for (long r = 0; r < rounds; r++) {
		create_unlink(id, r);
		map_touch_unmap();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[4];

	if (argc < 2) {
		fprintf(stderr, "usage: kstorm DIR [ROUNDS]\n");
		return 2;
	}
	dir = argv[1];
	if (argc > 2)
		rounds = atol(argv[2]);
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return 0;
}
