/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The executable mappings of every process, over time: what
 * PERF_RECORD_FORK, PERF_RECORD_COMM (exec) and PERF_RECORD_MMAP2 said,
 * and what /proc/PID/maps said when it was read.  A process that exits
 * before anyone reads /proc is still known by what it mapped.
 *
 * Each pid holds generations: a fork (a new lifetime of the pid, when a
 * pid is reused) or an exec starts one.  A sample that carries its
 * process's start time is looked up in that lifetime's generations only;
 * one that does not, in all of them.  When two generations searched map
 * an address to different places in different files, it is ambiguous and
 * named by nobody rather than by the wrong process.
 */
#ifndef PROFILER_TIMELINE_H
#define PROFILER_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbol/proc_maps.h"

struct timeline;

struct timeline_stats {
	uint64_t procs;		/* pids with mappings */
	uint64_t maps;		/* mappings held now */
	uint64_t reused;	/* pids that began a second lifetime */
	uint64_t dropped;	/* exited processes forgotten to stay under the bound */
	uint64_t refused;	/* mappings not kept: the bound, and nothing exited to drop */
	uint64_t forgotten;	/* exited processes forgotten once no sample needed them */
};

/* Hold at most max_maps mappings in all (0: no bound). */
struct timeline *timeline_new(size_t max_maps);
void timeline_free(struct timeline *t);

/*
 * pid starts a new lifetime, a child of ppid with ppid's current mappings;
 * life: LIFE_TAG (include/common.h) of the fork record's time, 0 unknown.
 */
void timeline_fork(struct timeline *t, uint32_t ppid, uint32_t pid, uint32_t life);
/* pid exec'd: a new generation, with no mappings yet. */
void timeline_exec(struct timeline *t, uint32_t pid);
/* pid exited: its mappings may go when the bound is reached. */
void timeline_exit(struct timeline *t, uint32_t pid);
/* How many exits were noted so far: a mark for timeline_forget. */
uint64_t timeline_exit_mark(const struct timeline *t);
/*
 * Forget the processes whose exits were noted before mark (and that have
 * not started again under their pid since): every sample that needs their
 * mappings has been read by then.  gone, when given, hears each pid
 * forgotten.  Returns how many.
 */
size_t timeline_forget(struct timeline *t, uint64_t mark, void (*gone)(void *ctx, uint32_t pid),
		       void *ctx);
/*
 * Put maps (n, sorted or not) into pid's current generation in place of
 * what they overlap; takes maps.  A pid not seen yet starts one.
 */
void timeline_add(struct timeline *t, uint32_t pid, struct proc_map *maps, size_t n);
/* Has pid any mappings at all? */
bool timeline_known(const struct timeline *t, uint32_t pid);
/*
 * The mapping of addr in the lifetime life (LIFE_TAG of the process's start
 * time; 0: any) of pid, newest generation first; NULL when none maps it.
 * *ambiguous: another generation maps addr to another file or offset (the
 * answer is then not to be trusted).
 */
const struct proc_map *timeline_find(const struct timeline *t, uint32_t pid, uint32_t life,
				     uint64_t addr, bool *ambiguous);
/* pid's current generation, sorted by start; NULL when none. */
const struct proc_map *timeline_current(const struct timeline *t, uint32_t pid, size_t *n);
/*
 * Whether pid's current mappings are known whole without reading /proc:
 * its generation began with an exec record, or a fork of a complete one,
 * or was read from /proc (timeline_mark_read), and no record was lost
 * since (timeline_lost); only once timeline_track said records flow.
 */
bool timeline_complete(const struct timeline *t, uint32_t pid);
/*
 * Whether pid's exit is its last record, with none lost since: its /proc
 * entry is gone (a new process of that pid would have a fork record).
 */
bool timeline_gone(const struct timeline *t, uint32_t pid);
/*
 * 1 when pid is gone (timeline_gone) and its exit came before mark
 * (timeline_exit_mark); 0 when it lives or exited since; -1 when the
 * timeline does not know it (never seen, or forgotten).
 */
int timeline_exited_before(const struct timeline *t, uint32_t pid, uint64_t mark);
void timeline_track(struct timeline *t);
void timeline_lost(struct timeline *t);
void timeline_mark_read(struct timeline *t, uint32_t pid);
void timeline_get_stats(const struct timeline *t, struct timeline_stats *st);

#endif /* PROFILER_TIMELINE_H */
