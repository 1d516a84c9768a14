/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user side of the BPF unwinder (bpf/unwind.bpf.h): the unwind rows
 * of each binary a profiled process maps, written once per binary into
 * the mmap'ed unw_rows array (append-only, shared by every process that
 * maps the binary), and for each process its mappings in unw_procs.
 */
#ifndef PROFILER_UNWIND_H_USER
#define PROFILER_UNWIND_H_USER

#include <stdint.h>

struct unwinder;

struct unwinder_stats {
	uint64_t procs;		/* processes whose tables were made */
	uint64_t files;		/* binaries whose rows are in the array */
	uint64_t rows, cap;	/* rows used, rows the array holds */
	uint64_t full;		/* binaries that did not fit: frame pointers for them */
	uint64_t procs_full;	/* processes the unw_procs map had no room for */
	uint64_t ns;		/* time spent making tables */
};

/* Over the loaded maps unw_rows (cap rows, mmap'able) and unw_procs.
 * NULL with errno set when the rows cannot be mapped. */
struct unwinder *unwinder_new(int rows_fd, uint32_t cap, int procs_fd);
void unwinder_free(struct unwinder *u);
/* Make pid's tables now from its mappings (again, after an exec). */
int unwinder_add(struct unwinder *u, uint32_t pid);
/* pid mapped more code (dlopen): its tables are remade at the next flush,
 * if it has tables at all. */
void unwinder_mark(struct unwinder *u, uint32_t pid);
void unwinder_flush(struct unwinder *u);
void unwinder_get_stats(const struct unwinder *u, struct unwinder_stats *st);

#endif /* PROFILER_UNWIND_H_USER */
