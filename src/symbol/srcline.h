/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Source lines and inlined functions from DWARF, through libdw: what
 * --lines adds to each user frame, as perf's srcline and inline do.
 */
#ifndef PROFILER_SRCLINE_H
#define PROFILER_SRCLINE_H

#include <stdint.h>

struct srcline_frame {
	const char *func;	/* NULL: the enclosing symbol's own name */
	const char *file;	/* NULL when unknown */
	uint32_t line;
};

struct srcline;

/* DWARF of the ELF file open at fd (kept open by the caller); NULL when it has none. */
struct srcline *srcline_open(int fd);
/* The same with a bound on the DWARF's size (srcline_open: LIMIT_DWARF_BYTES):
 * NULL with errno EFBIG past it. */
struct srcline *srcline_open_max(int fd, uint64_t max_bytes);
void srcline_close(struct srcline *sl);

/*
 * The frames at ELF address addr, innermost first: one per inlined
 * function, then the function they were inlined into (func NULL).
 * Returns how many were filled (at most max), 0 when DWARF does not cover
 * addr.  Strings live as long as sl.
 */
int srcline_lookup(struct srcline *sl, uint64_t addr, struct srcline_frame *out, int max);

#endif /* PROFILER_SRCLINE_H */
