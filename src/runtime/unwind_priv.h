/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unwinder's insides, shared by its two halves: src/runtime/unwind.c
 * (processes: their unw_procs entries, written, deleted, pruned) and
 * src/runtime/unwind_files.c (binaries: their tables of rows in
 * unw_rows' slots, published in unw_files).  Nothing outside them
 * includes this.
 */
#ifndef PROFILER_UNWIND_PRIV_H
#define PROFILER_UNWIND_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unwind.h"
#include "runtime/unwind.h"
#include "util/idxmap.h"

struct elf_seg;
struct proc_map;

/* A binary, by (device, inode): its table's slot in unw_rows, once. */
struct unw_file {
	uint64_t dev, ino;
	struct elf_seg *segs;		/* for the load bias of each mapping */
	size_t nsegs;
	uint32_t table, row_count;	/* row_count 0: no table */
};

struct unwinder {
	int rows_fd, procs_fd;		/* the array of tables, the processes */
	int tmpl_fd;			/* the inner map the array was made with */
	uint32_t ntables;		/* slots of unw_rows taken */
	/* the slot small tables fill now (UNWIND_SHARED_ROWS rows), mapped */
	struct unwind_row *shared;
	uint32_t shared_slot, shared_used;

	struct unw_file *files;
	size_t nfiles, files_cap;
	struct idxmap file_index;

	uint32_t *pids;			/* processes with tables */
	size_t npids, pids_cap;
	struct idxmap pid_index;
	uint32_t *dirty;		/* of those, the ones to remake */
	size_t ndirty, dirty_cap;
	uint32_t *fresh;		/* processes without tables that mapped code */
	size_t nfresh, fresh_cap;
	uint32_t *early;		/* tables written for them from their records */
	size_t nearly, early_cap;
	/* what unw_procs holds for each pid written, as a hash (0: unknown),
	 * so the same mappings are not written twice (early, then announced) */
	uint32_t *wpids;
	uint64_t *whash;
	size_t nw, w_cap;
	struct idxmap w_index;
	uint32_t *exited;		/* entries to delete: their processes exited */
	size_t nexited, exited_cap;
	/* slots of pids and wpids whose processes exited (pid 0 there): the
	 * arrays are made again without them once they are half (compact) */
	size_t pids_gone, w_gone;

	int files_fd;			/* unw_files once shared (unwinder_share_files), or -1 */

	struct unwind_cache *cache;	/* tables kept on disk by build-id, or NULL */
	struct unw_file vdso;		/* the kernel's vDSO, the same in every process */
	bool vdso_tried;

	bool kernel_entries;		/* new processes' entries made in the kernel */
	bool at_lock;			/* ... as they map code (unwinder_kernel_entries) */
	uint32_t self;
	uint64_t until;			/* no table made after (the run's -d), 0: none */
	bool timed;			/* st.ns counted (--stats) */
	struct unwinder_stats st;
};

/* A new array of rows for a slot of unw_rows (its fd), or -1 */
int unw_table_create(uint32_t rows);
/* The bytes an array of rows takes in the kernel: whole pages (mmap'able) */
uint64_t unw_table_bytes(uint32_t rows);
/* A new shared slot to fill, the one before left as it is: its slot, or -errno */
int64_t unw_shared_slot_new(struct unwinder *u);
/* The binary behind m, its rows copied into the array on first sight;
 * NULL for one not seen yet when !make. */
struct unw_file *unw_file_for_map(struct unwinder *u, uint32_t pid, const struct proc_map *m,
				 bool make);
/* The vDSO's table, from our own copy of it (made once). */
const struct unw_file *unw_vdso_file(struct unwinder *u);

#endif /* PROFILER_UNWIND_PRIV_H */
