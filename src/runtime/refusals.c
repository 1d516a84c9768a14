// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/refusals.h"
#include "symbol/kallsyms_cache.h"
#include "util/util.h"

#define REFUSAL_SEED 0x72656675736531ULL	/* "refuse1" */

/* The refusal's file name in dir, or false without a boot id. */
static bool refusal_path(char *path, size_t len, const char *dir, const char *name,
			 const void *elf, size_t size)
{
	char boot[40];

	if (!boot_id(boot, sizeof(boot)))
		return false;
	snprintf(path, len, "%s/refused.v1-%s-%s-%016llx", dir, boot, name,
		 (unsigned long long)hash_bytes(elf, size, REFUSAL_SEED));
	return true;
}

bool refusal_known(const char *name, const void *elf, size_t size)
{
	const char *dir = cache_dir();
	char path[PATH_MAX];
	struct stat st;

	if (!refusal_path(path, sizeof(path), dir, name, elf, size) ||
	    lstat(path, &st))
		return false;
	return S_ISREG(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 022);
}

void refusal_note(const char *name, const void *elf, size_t size)
{
	const char *dir = cache_dir();
	char path[PATH_MAX];
	int fd;

	if (!refusal_path(path, sizeof(path), dir, name, elf, size) ||
	    (mkdir(dir, 0700) && errno != EEXIST))
		return;
	/* a note that cannot be written only costs the next run the try */
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}
