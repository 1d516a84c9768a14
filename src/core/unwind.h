/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user side of the BPF unwinder (bpf/unwind.bpf.h): the unwind rows
 * of each binary a profiled process maps, written once per binary into
 * the mmap'ed unw_rows array (append-only, shared by every process that
 * maps the binary), and for each process its mappings in unw_procs.
 * Owned by the session.
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

/*
 * The two maps, made here and handed to every BPF object of the session
 * (bpf_map__reuse_fd): unw_rows (cap rows, mmap'ed) and unw_procs (up to
 * max_procs processes).  NULL with errno set when they cannot be made.
 */
struct unwinder *unwinder_new(uint32_t cap, uint32_t max_procs);
int unwinder_rows_fd(const struct unwinder *u);
int unwinder_procs_fd(const struct unwinder *u);
void unwinder_free(struct unwinder *u);
/* Make pid's tables now from its mappings (again, after an exec). */
int unwinder_add(struct unwinder *u, uint32_t pid);
/* pid mapped more code (dlopen): its tables are remade at the next flush,
 * if it has tables at all. */
void unwinder_mark(struct unwinder *u, uint32_t pid);
void unwinder_flush(struct unwinder *u);
void unwinder_get_stats(const struct unwinder *u, struct unwinder_stats *st);

#endif /* PROFILER_UNWIND_H_USER */
