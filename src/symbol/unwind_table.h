/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The .eh_frame of one ELF file compiled into unwind rows (include/unwind.h)
 * for the BPF unwinder, through libdw: every FDE listed in .eh_frame_hdr is
 * walked row by row, each row's CFA rule, return-address rule and saved
 * rbp reduced to the few forms the BPF side follows.  Go code, which has
 * no .eh_frame, gets its rows from .gopclntab (gopclntab_unwind.c).
 */
#ifndef PROFILER_UNWIND_TABLE_H
#define PROFILER_UNWIND_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "unwind.h"
#include "symbol/elf_segs.h"

struct unwind_table {
	struct unwind_row *rows;	/* sorted by pc, no two neighbours alike */
	size_t n, cap;
	struct elf_seg *segs;		/* PT_LOAD, for each mapping's load bias */
	size_t nsegs;
	/* a limit was reached (LIMIT_UNWIND_ROWS, LIMIT_UNWIND_MS): the rows
	 * end there, the code past them has no rule */
	bool too_many_rows, too_slow;
	/* too_slow: the start of the FDE the rows stop at, where
	 * unwind_table_resume goes on (0: the table cannot be resumed) */
	uint64_t resume_pc;
	/* rows borrowed from a cache file's read-only mapping of map_size
	 * bytes, unmapped with the table: copied first if they are to change */
	void *map;
	size_t map_size;
};

/*
 * The table of the ELF file open at fd (not closed).  NULL with errno set
 * when there is none to make: not an x86-64 ELF file (ENOEXEC), neither
 * .eh_frame_hdr nor Go's table (ENOENT), addresses beyond 32 bits (ERANGE).
 */
struct unwind_table *unwind_table_from_fd(int fd);
/* The same within max_ms (LIMIT_UNWIND_MS at most): the run's end may come first. */
struct unwind_table *unwind_table_from_fd_max(int fd, uint64_t max_ms);
/*
 * A table cut by the clock (t->resume_pc), made further from the ELF file
 * open at fd within max_ms: t itself, its rows then the same as a table
 * made whole in one go, up to where this one stops.  Frees t and returns
 * NULL (errno set) if the file is no longer its binary's.
 */
struct unwind_table *unwind_table_resume(int fd, struct unwind_table *t, uint64_t max_ms);
/* The same for an ELF image in memory (tests, fuzzing). */
struct unwind_table *unwind_table_from_mem(const void *image, size_t size);
/* The same with its own limits: at most max_rows rows, max_ms to make them. */
struct unwind_table *unwind_table_from_mem_max(const void *image, size_t size, size_t max_rows,
					       uint64_t max_ms);
void unwind_table_free(struct unwind_table *t);
/* The load bias of a mapping at start of the file at offset: runtime = vaddr + bias.
 * -ENOENT when no segment holds offset. */
int unwind_table_bias(const struct unwind_table *t, uint64_t start, uint64_t offset,
		      uint64_t *bias);
/* The row that covers ELF address pc, or NULL. */
const struct unwind_row *unwind_table_find(const struct unwind_table *t, uint64_t pc);

#endif /* PROFILER_UNWIND_TABLE_H */
