/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Threads off the CPU at the start and at the end of a profile
 * (bpf/blocked.bpf.c, a task iterator; /proc where it cannot load), shared
 * by offcpu, wall and lock: a thread blocked since before the run is the
 * one a user of a hung process came for, and no sched_switch or sys_exit
 * of the run shows it.
 */
#ifndef PROFILER_BLOCKED_CORE_H
#define PROFILER_BLOCKED_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blocked.h"

struct session;
struct bpf_object;
struct profile;

struct blocked_thread {
	struct blocked_rec rec;
	char wchan[64];		/* /proc/PID/task/TID/wchan, "" unknown */
};

struct blocked_list {
	struct blocked_thread *v;
	size_t n, cap;
};

struct blocked;

/*
 * For a profile of -p/-t targets (NULL otherwise: system-wide, every idle
 * thread of the machine would count, and -- COMMAND has nothing blocked
 * yet): the iterator, sharing the maps of the collector's object obj that
 * have its maps' names (targets, stacks, unwind tables, and offcpu's
 * "start" or lock's "uwaits" for mode BLOCKED_MODE_*).  Falls back to
 * /proc (no stacks) where the iterator cannot load, or with
 * PROFILER_BLOCKED_PROC=1, and says so with -v.
 */
struct blocked *blocked_open(struct session *ss, struct bpf_object *obj, int mode);
/* Look once: at the start (the threads also go into the collector's map
 * as if they blocked now) or at the end.  That look's list is replaced. */
int blocked_scan(struct blocked *b, bool at_start);
/* The start's list, the end's list. */
const struct blocked_list *blocked_at_start(const struct blocked *b);
const struct blocked_list *blocked_at_end(const struct blocked *b);
/* Whether the threads came from /proc (no stacks). */
bool blocked_from_proc(const struct blocked *b);
/* The thread tid in a list, or NULL. */
const struct blocked_thread *blocked_find(const struct blocked_list *l, uint32_t tid);
/* Blocked at the start and at the end, and never ran in between. */
bool blocked_whole_run(const struct blocked *b, uint32_t tid);
/* "futex(0x7f.., FUTEX_WAIT_PRIVATE)", "read(3)", "-": what it waits in. */
void blocked_describe(const struct blocked_rec *r, char *buf, size_t size);
/*
 * The report's table of the threads that were blocked when the profile
 * began: state, wait channel, system call, how long they had been blocked
 * before, and whether they still were at the end.
 */
void blocked_add_table(const struct blocked *b, struct profile *p);
void blocked_close(struct blocked *b);

#endif /* PROFILER_BLOCKED_CORE_H */
