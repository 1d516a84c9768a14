/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user side of the BPF unwinder (bpf/unwind.bpf.h): the unwind rows
 * of each binary a profiled process maps, written once per binary into a
 * BPF array of their own (sized to them, shared by every process that maps
 * the binary) put in a slot of unw_rows, an array of maps; and for each
 * process its mappings in unw_procs.
 * Owned by the session.
 */
#ifndef PROFILER_UNWIND_H_USER
#define PROFILER_UNWIND_H_USER

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct unwinder;

struct unwinder_stats {
	uint64_t procs;		/* processes whose tables were made */
	uint64_t files;		/* binaries with a table */
	uint64_t rows;		/* rows in them */
	uint64_t bytes;		/* kernel memory of the tables and their slots */
	uint64_t full;		/* binaries whose table could not be made: frame pointers */
	uint64_t procs_full;	/* processes the unw_procs map had no room for */
	uint64_t early;		/* tables written from mmap records, before any sample */
	uint64_t ns;		/* CPU time making the binaries' tables (unwinder_time) */
	uint64_t cached;	/* of the binaries, tables read from the cache on disk */
	uint64_t writes;	/* unw_procs entries written */
	uint64_t unchanged;	/* writes left out: the entry held that already */
	uint64_t reads;		/* /proc/PID/maps read for tables (unwinder_add) */
	uint64_t exit_deletes;	/* entries deleted as their processes exited */
	uint64_t slots;		/* per-process slots held now (pids met and written) */
};

/*
 * The two maps, made here and handed to every BPF object of the session
 * (bpf_map__reuse_fd): unw_rows (an array of UNWIND_MAX_TABLES tables,
 * each made as a binary is met) and unw_procs (up to max_procs processes).
 * NULL with errno set when they cannot be made.
 */
struct unwinder *unwinder_new(uint32_t max_procs);
int unwinder_rows_fd(const struct unwinder *u);
int unwinder_procs_fd(const struct unwinder *u);
void unwinder_free(struct unwinder *u);
/* Make pid's tables now from its mappings (again, after an exec). */
int unwinder_add(struct unwinder *u, uint32_t pid);
/*
 * pid mapped more code (dlopen): remember it if it has tables at all;
 * unwinder_take_dirty hands the list over (it stays the unwinder's) and
 * empties it, for the caller to remake them (unwinder_add_maps).
 */
void unwinder_mark(struct unwinder *u, uint32_t pid);
size_t unwinder_take_dirty(struct unwinder *u, uint32_t **pids);
/*
 * unw_procs no longer holds pid's entry as written (BPF drops it at exec)
 * or anyone's (records lost): the next write of it is not left out as
 * unchanged.
 */
void unwinder_forget(struct unwinder *u, uint32_t pid);
void unwinder_forget_all(struct unwinder *u);
/*
 * pid exited (its exit record): the unw_procs entry we wrote for it goes,
 * deleted in batches (unwinder_flush_exited, or when enough wait).  A
 * write for a pid waiting there (reused) takes it out first.
 */
void unwinder_exited(struct unwinder *u, uint32_t pid);
/* Returns how many entries went. */
size_t unwinder_flush_exited(struct unwinder *u);
/*
 * A process without tables mapped code (an exec, a fork of one that had
 * none): remember it; unwinder_take_new hands the list over (it stays
 * the unwinder's) and empties it.
 */
void unwinder_mark_new(struct unwinder *u, uint32_t pid);
size_t unwinder_take_new(struct unwinder *u, uint32_t **pids);
/*
 * pid's tables from mappings known without reading /proc (its mmap
 * records), only if every binary among them has been met already (its
 * rows are in the array): so a process is unwound from its first sample
 * and a process nobody samples costs no table making.  -ENOENT otherwise.
 */
struct proc_map;
int unwinder_set_maps(struct unwinder *u, uint32_t pid, const struct proc_map *maps, size_t n);
/* unwinder_add from mappings the caller read already (the symbolizer's). */
int unwinder_add_maps(struct unwinder *u, uint32_t pid, const struct proc_map *maps, size_t n);
/* unwinder_add from pid's /proc maps the caller has just read for it
 * (counted as unwinder_add's reads are, in --stats). */
int unwinder_add_read(struct unwinder *u, uint32_t pid, const struct proc_map *maps, size_t n);
/* Count the CPU time of making tables (--stats: a system call each time). */
void unwinder_time(struct unwinder *u, bool on);
/*
 * The run ends at until_ns (CLOCK_MONOTONIC; 0: no end): from then on no
 * binary's table is made, and one being made is cut there, so the wait
 * for -d is not held by other processes' big binaries.
 */
void unwinder_set_until(struct unwinder *u, uint64_t until_ns);
void unwinder_get_stats(const struct unwinder *u, struct unwinder_stats *st);
/*
 * unw_files (bpf/unwind_make.bpf.h), made on the first call and filled
 * with every table made, then and from then on: for an object whose BPF
 * programs make new processes' entries themselves.  The map's fd (the
 * unwinder's), or -1.
 */
int unwinder_share_files(struct unwinder *u);
/*
 * Such an object runs: no entry is written early from mapping records
 * (unwinder_mark_new).  at_lock: its entries are made as processes map
 * their code, not at their samples (bpf/cpu_defer.bpf.c), so an entry the
 * kernel has not made, or made lacking a table, is written by us when
 * the process is announced or its tables are made, marked for the kernel
 * to make again at the process's next change of mappings.
 */
void unwinder_kernel_entries(struct unwinder *u, bool at_lock);

#endif /* PROFILER_UNWIND_H_USER */
