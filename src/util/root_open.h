/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Open a file as a target process names it, inside the process's root
 * (/proc/PID/root), never outside it.  The profiler runs as root; the
 * files of a container are the container's to shape, and a symlink there
 * to /etc/shadow must resolve to the container's own /etc/shadow, not the
 * host's: absolute symlinks and ".." stop at the root.
 */
#ifndef PROFILER_ROOT_OPEN_H
#define PROFILER_ROOT_OPEN_H

/*
 * Open path (absolute or not: relative to root either way) with flags
 * (O_CLOEXEC added) inside the directory root.  openat2's RESOLVE_IN_ROOT
 * where the kernel has it (5.6 on), else root_open_walk.  -1 with errno.
 */
int root_open(const char *root, const char *path, int flags);

/*
 * The fallback, also for tests: each component opened without following
 * it, symlinks read and resolved from root_fd for absolute targets, ".."
 * kept at root_fd, at most 40 links (ELOOP past them).
 */
int root_open_walk(int root_fd, const char *path, int flags);

#endif /* PROFILER_ROOT_OPEN_H */
