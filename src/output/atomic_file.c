// SPDX-License-Identifier: GPL-2.0
/* -o files replaced whole: see atomic_file.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/atomic_file.h"
#include "util/util.h"

/* stdio's writes, through the cookie: the first error keeps its errno */
static ssize_t cookie_write(void *cookie, const char *buf, size_t size)
{
	struct atomic_file *a = cookie;
	size_t done = 0;

	while (done < size) {
		ssize_t n = write(a->fd, buf + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!a->err)
				a->err = n < 0 ? -errno : -EIO;
			errno = -a->err;
			return 0;	/* stdio marks the stream in error */
		}
		done += n;
	}
	return size;
}

/* A new file in a->dir for the content: unnamed if the file system can. */
static int create_temp(struct atomic_file *a, char **name)
{
	size_t len = strlen(a->dir) + strlen(a->target) + 16;
	char *base, *copy;
	int fd;

	*name = NULL;
	fd = open(a->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, a->mode);	/* read back for -i */
	if (fd >= 0)
		goto made;
	/* file systems without O_TMPFILE say so in several ways */
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
	copy = xstrdup(a->target);
	base = basename(copy);
	*name = xmalloc(len);
	snprintf(*name, len, "%s/.%s.XXXXXX", a->dir, base);
	free(copy);
	fd = mkostemp(*name, O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;

		free(*name);
		*name = NULL;
		return err;
	}
made:
	/*
	 * mkstemp gives 0600: the target's mode (or a new file's), and its
	 * owner when we may.  Neither is fatal: the content is what matters.
	 */
	if (fchmod(fd, a->mode))
		pr_debug("%s: cannot set mode %o: %s", a->path, a->mode, strerror(errno));
	if (a->keep_owner && geteuid() == 0 && fchown(fd, a->uid, a->gid))
		pr_debug("%s: cannot keep the owner: %s", a->path, strerror(errno));
	return fd;
}

/* Give fd's file (unnamed, or named *name) the target's name. */
static int replace_target(struct atomic_file *a, int fd, char **name)
{
	if (!*name) {
		char proc[64];
		size_t len = strlen(a->dir) + strlen(a->target) + 32;
		char *copy = xstrdup(a->target);
		const char *base = basename(copy);
		int err = -EEXIST;

		/* a name of its own first: linkat cannot replace a file, rename can */
		*name = xmalloc(len);
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		for (int i = 0; i < 64 && err == -EEXIST; i++) {
			snprintf(*name, len, "%s/.%s.%06llx", a->dir, base,
				 (unsigned long long)(hash_u64(now_ns() + i) & 0xffffff));
			err = 0;
			if (linkat(AT_FDCWD, proc, AT_FDCWD, *name, AT_SYMLINK_FOLLOW) &&
			    linkat(fd, "", AT_FDCWD, *name, AT_EMPTY_PATH))
				err = -errno;
		}
		free(copy);
		if (err) {
			free(*name);
			*name = NULL;
			return err;
		}
	}
	if (rename(*name, a->target)) {
		int err = -errno;

		unlink(*name);
		free(*name);
		*name = NULL;
		return err;
	}
	free(*name);
	*name = NULL;
	return 0;
}

static mode_t current_umask(void)
{
	mode_t m = umask(0);

	umask(m);
	return m;
}

int afile_open(struct atomic_file *a, const char *path)
{
	char *copy, resolved[PATH_MAX];
	struct stat st;
	int err;

	*a = (struct atomic_file){ .path = path, .fd = -1, .mode = 0666 & ~current_umask() };
	/* a symlink stays: the file it names is replaced */
	if (!lstat(path, &st) && S_ISLNK(st.st_mode) && realpath(path, resolved))
		a->target = xstrdup(resolved);
	else
		a->target = xstrdup(path);
	if (!stat(a->target, &st)) {
		if (S_ISDIR(st.st_mode)) {
			err = -EISDIR;
			goto fail;
		}
		if (!S_ISREG(st.st_mode))
			a->direct = true;
		else if (faccessat(AT_FDCWD, a->target, W_OK, AT_EACCESS)) {
			err = -errno;
			goto fail;
		}
		a->mode = st.st_mode & 07777;
		a->uid = st.st_uid;
		a->gid = st.st_gid;
		a->keep_owner = true;
	}
	copy = xstrdup(a->target);
	a->dir = xstrdup(dirname(copy));
	free(copy);
	if (!a->direct) {
		a->fd = create_temp(a, &a->tmp);
		/* a file of ours in a directory that is not: as fopen() would */
		if (a->fd == -EACCES && a->keep_owner) {
			pr_warn("%s: no temporary file in %s (%s): writing the file in place, "
				"so a failed run leaves it incomplete", path, a->dir, strerror(EACCES));
			a->direct = true;
		} else if (a->fd < 0) {
			err = a->fd;
			goto fail;
		}
	}
	if (a->direct) {
		a->fd = open(a->target, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (a->fd < 0) {
			err = -errno;
			goto fail;
		}
	}
	a->f = fopencookie(a, "w", (cookie_io_functions_t){ .write = cookie_write });
	if (!a->f) {
		err = -errno;
		goto fail;
	}
	setvbuf(a->f, NULL, _IOFBF, 1 << 16);
	return 0;
fail:
	afile_close(a);
	return err;
}

/* A copy of everything written so far, for an interval's report. */
static int copy_so_far(struct atomic_file *a, int to)
{
	off_t end = lseek(a->fd, 0, SEEK_CUR), off = 0;
	char buf[1 << 16];

	if (end < 0)
		return -errno;
	while (off < end) {
		ssize_t n = pread(a->fd, buf, MIN((off_t)sizeof(buf), end - off), off);

		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(to, buf + done, n - done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return w < 0 ? -errno : -EIO;
			done += w;
		}
		off += n;
	}
	return 0;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* the rename itself on disk; a failure here leaves the data safe */
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int afile_publish(struct atomic_file *a, bool last)
{
	char *name = NULL;
	int fd, err;

	if (fflush(a->f) && !a->err)
		a->err = -errno;
	if (a->err || a->direct)
		return a->err;
	if (last) {
		if (fsync(a->fd))
			return a->err = -errno;
		err = replace_target(a, a->fd, &a->tmp);
		if (!err)
			sync_dir(a->dir);
		return err;
	}
	/* the temporary file goes on growing: publish a copy */
	fd = create_temp(a, &name);
	if (fd < 0)
		return fd;
	err = copy_so_far(a, fd);
	if (!err && fsync(fd))
		err = -errno;
	if (!err)
		err = replace_target(a, fd, &name);
	if (name) {
		unlink(name);
		free(name);
	}
	close(fd);
	if (!err)
		sync_dir(a->dir);
	return err;
}

void afile_close(struct atomic_file *a)
{
	if (a->f)
		fclose(a->f);	/* errors were seen at publish, or do not matter */
	if (a->fd >= 0)
		close(a->fd);
	if (a->tmp)
		unlink(a->tmp);	/* not published: the target stays as it was */
	free(a->tmp);
	free(a->target);
	free(a->dir);
	a->f = NULL;
	a->fd = -1;
	a->tmp = a->target = a->dir = NULL;
}

const char *afile_strerror(int err)
{
	switch (-err) {
	case ENOSPC:
		return "no space left on device (ENOSPC): free space or choose another -o path";
	case EDQUOT:
		return "disk quota exceeded (EDQUOT): free space within the quota or choose another -o path";
	case EIO:
		return "input/output error (EIO): the device failed; see dmesg, or choose another -o path";
	case EFBIG:
		return "file too large (EFBIG): choose a file system that takes larger files";
	default:
		return strerror(-err);
	}
}
