/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What profiler latency times: its SPECs (FUNC, FILE:FUNC, LIB:FUNC with
 * globs, syscall:NAME, kernel:FUNC) resolved to functions in files opened
 * through the target's own mappings and root, system call numbers and
 * kernel function names.
 */
#ifndef PROFILER_LATENCY_SPEC_H
#define PROFILER_LATENCY_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum lat_kind { LAT_USER, LAT_SYSCALL, LAT_KERNEL };

struct lat_func {
	enum lat_kind kind;
	char *name;		/* "parse_request", "read", "vfs_read" */
	char *file;		/* where: the file's base name, "syscall", "kernel" */
	int fd;			/* LAT_USER: the file, open, for the uprobes; else -1 */
	bool owns_fd;		/* the first function of its file closes it */
	uint64_t offset;	/* LAT_USER: the function's file offset */
	int nr;			/* LAT_SYSCALL: its number */
};

struct lat_funcs {
	struct lat_func *v;
	size_t n, cap;
};

/* Where FUNC and LIB:FUNC are looked for. */
struct lat_target {
	pid_t pid;		/* a live target: its mappings and root; 0: ours */
	const char *exe;	/* its main program (a path that opens from here), or NULL */
	const char *exe_name;	/* the program's own path, for messages, or NULL: exe */
};

/*
 * Resolve one spec into fs: -errno after a one-line error naming the spec,
 * the cause and the fix.  A glob may match at most max_glob functions.
 */
int lat_spec_add(struct lat_funcs *fs, const char *spec, const struct lat_target *t,
		 unsigned int max_glob);
void lat_funcs_free(struct lat_funcs *fs);

/* The number of system call name on this architecture, or -1. */
int lat_syscall_nr(const char *name);

#endif /* PROFILER_LATENCY_SPEC_H */
