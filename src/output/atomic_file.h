/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An -o file written whole or not at all.  The output goes to a
 * temporary file in the target's directory (unnamed, O_TMPFILE, where the
 * file system allows; else ".NAME.XXXXXX"), which is fsync'd and renamed
 * over the target only once complete: a run that fails, is killed or
 * fills the disk leaves the previous file as it was.  Targets that are not
 * regular files (/dev/null, a FIFO, a terminal) are written in place.
 */
#ifndef PROFILER_ATOMIC_FILE_H
#define PROFILER_ATOMIC_FILE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct atomic_file {
	const char *path;	/* as given, for messages */
	char *target;		/* what is replaced: path, or the file its symlink names */
	char *dir;		/* the target's directory */
	char *tmp;		/* the temporary file's name while it has one */
	FILE *f;		/* where the writers write */
	int fd;
	int err;		/* first write error, -errno */
	mode_t mode;		/* the target's: kept if it exists, else 0666 less umask */
	uid_t uid;
	gid_t gid;
	bool keep_owner;	/* the target existed: give the new file its owner */
	bool direct;		/* not a regular file: written in place */
};

/*
 * Check that path can be written and make the temporary file, leaving an
 * existing target untouched.  0, or -errno (nothing to clean up).
 */
int afile_open(struct atomic_file *a, const char *path);
/*
 * Make what was written so far the target's content.  last: the file is
 * complete (it is renamed itself); else a copy is published and writing
 * goes on (-i writes one report per interval into the same file).
 * 0, or the first error (-errno) of writing, syncing or renaming.
 */
int afile_publish(struct atomic_file *a, bool last);
/* Close; a temporary file not published is removed. */
void afile_close(struct atomic_file *a);
/* "no space left on device (ENOSPC): free space or ..." for an error of writing. */
const char *afile_strerror(int err);

#endif /* PROFILER_ATOMIC_FILE_H */
