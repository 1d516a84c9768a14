/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Executable mappings as the kernel makes them, the way perf tracks them:
 * a dummy software perf event per CPU with PERF_RECORD_MMAP2, FORK, COMM
 * (exec) and EXIT records, for every process on the machine.  The
 * symbolizer keeps them as a timeline of each process's mappings, so a
 * process that exits before anyone reads its /proc/PID/maps, or a library
 * mapped after they were read, is still named.
 */
#ifndef PROFILER_MMAP_WATCH_H
#define PROFILER_MMAP_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct symbolizer;
struct mmap_watch;

/* NULL when the kernel refuses (the profile then does without). */
/*
 * batch: wake the poll only when a ring is a quarter full, for front-ends
 * that read the rest at every wake-up anyway (mmap_watch_consume) and can
 * wait that long to learn a new process's mappings.
 */
struct mmap_watch *mmap_watch_open(const int *cpus, int ncpus, struct symbolizer *sz,
				   bool batch);
enum mw_event {
	MW_MAP,		/* pid mapped code */
	MW_EXEC,	/* pid exec'd: its mappings start anew */
	MW_EXIT,	/* pid exited */
	MW_LOST,	/* records were lost (pid 0): any process may have changed */
};

/* Also tell fn of each of those (the unwinder's tables, Python's
 * interpreters); path: the file mapped, for MW_MAP only, else NULL. */
typedef void (*mw_fn)(void *ctx, uint32_t pid, enum mw_event what, const char *path);
void mmap_watch_on_map(struct mmap_watch *w, mw_fn fn, void *ctx);
/*
 * One fd that polls readable when any CPU's ring has records (an epoll
 * set of them all), or -1: a wait costs one fd, not one per CPU.
 */
int mmap_watch_fd(const struct mmap_watch *w);
/* Hand every pending record to the symbolizer, in time order; how many. */
size_t mmap_watch_consume(struct mmap_watch *w);
/* Records the kernel dropped (a ring was full): processes named less. */
uint64_t mmap_watch_lost(const struct mmap_watch *w);
/*
 * Records the kernel dropped because a ring was full (PERF_RECORD_LOST)
 * and not yet taken: each call returns the count since the last.
 */
uint64_t mmap_watch_take_lost(struct mmap_watch *w);
/* Count the CPU time of handling records (--stats: a system call each time). */
void mmap_watch_time(struct mmap_watch *w, bool on);
/* Records handled so far, and the CPU time that took (0 unless timed). */
void mmap_watch_get_stats(const struct mmap_watch *w, uint64_t *records, uint64_t *ns);
void mmap_watch_close(struct mmap_watch *w);

#endif /* PROFILER_MMAP_WATCH_H */
