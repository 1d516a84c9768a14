/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a stretch of code prints on standard error, passed on and kept: a
 * collector that fails to start says why on standard error (pr_err, and
 * libbpf's log), and profiler top shows that line in the collector's
 * panel.  A file rather than a hook in pr_err: no global state, and
 * libbpf's messages come along.
 */
#ifndef PROFILER_ERR_CAPTURE_H
#define PROFILER_ERR_CAPTURE_H

#include <stddef.h>

struct err_capture {
	int saved;	/* standard error as it was, or -1: nothing captured */
	int fd;		/* the file it goes to meanwhile */
};

/* From now on standard error goes to a file (if one can be made). */
void err_capture_begin(struct err_capture *c);
/*
 * Standard error back, what was printed meanwhile written to it; why gets
 * the last line that begins "profiler: " (without it), or "" if none.
 */
void err_capture_end(struct err_capture *c, char *why, size_t size);

#endif /* PROFILER_ERR_CAPTURE_H */
