// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/root_open.h"

#define MAX_LINKS	40	/* the kernel's own bound (MAXSYMLINKS) */

static bool same_dir(int a, int b)
{
	struct stat x, y;

	return !fstat(a, &x) && !fstat(b, &y) && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* The next component of *rest into name; false at the end. */
static bool next_name(const char **rest, char *name, size_t size)
{
	const char *p = *rest, *end;

	while (*p == '/')
		p++;
	if (!*p)
		return false;
	end = strchrnul(p, '/');
	snprintf(name, size, "%.*s", (int)(end - p), p);
	*rest = end;
	return true;
}

static bool is_last(const char *rest)
{
	while (*rest == '/')
		rest++;
	return !*rest;
}

int root_open_walk(int root_fd, const char *path, int flags)
{
	char todo[2 * PATH_MAX], target[PATH_MAX], name[NAME_MAX + 1];
	const char *rest;
	int dir, fd = -1, links = 0, err = 0;

	if (strlen(path) >= sizeof(todo))
		return errno = ENAMETOOLONG, -1;
	strcpy(todo, path);
	rest = todo;
	dir = openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -1;
	while (next_name(&rest, name, sizeof(name))) {
		bool last = is_last(rest);
		struct stat st;
		ssize_t n;
		int next;

		if (!strcmp(name, ".") && !last)
			continue;
		if (!strcmp(name, "..") && same_dir(dir, root_fd)) {
			if (!last)
				continue;	/* ".." of the root is the root */
			strcpy(name, ".");
		}
		next = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 || fstat(next, &st)) {
			err = errno;
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			if ((last && (flags & O_NOFOLLOW)) || ++links > MAX_LINKS) {
				close(next);
				err = ELOOP;
				break;
			}
			n = readlinkat(next, "", target, sizeof(target) - 1);
			close(next);
			if (n < 0) {
				err = errno;
				break;
			}
			target[n] = '\0';
			/* the link's target, then what was left after it */
			if (strlen(target) + strlen(rest) + 2 > sizeof(todo)) {
				err = ENAMETOOLONG;
				break;
			}
			memmove(todo + strlen(target) + 1, rest, strlen(rest) + 1);
			memcpy(todo, target, strlen(target));
			todo[strlen(target)] = '/';
			rest = todo;
			if (target[0] == '/') {
				close(dir);
				dir = openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (dir < 0)
					return -1;
			}
			continue;
		}
		if (last) {
			close(next);
			/* not following the last name: it was checked not to be a link */
			fd = openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC);
			err = fd < 0 ? errno : 0;
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(next);
			err = ENOTDIR;
			break;
		}
		close(dir);
		dir = next;
	}
	/* the path ended at a directory (or was empty): the directory itself */
	if (fd < 0 && !err)
		fd = openat(dir, ".", flags | O_CLOEXEC), err = fd < 0 ? errno : 0;
	close(dir);
	errno = err;
	return fd;
}

int root_open(const char *root, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned int)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int rfd, fd, err;

	rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -1;
	fd = (int)syscall(SYS_openat2, rfd, path, &how, sizeof(how));
	/* before Linux 5.6, or a seccomp filter that does not know it */
	if (fd < 0 && errno == ENOSYS)
		fd = root_open_walk(rfd, path, flags);
	err = errno;
	close(rfd);
	errno = err;
	return fd;
}
