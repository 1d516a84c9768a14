/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who waits for whom: the futex waits still going on at the end of a lock
 * profile, each with the thread that holds its mutex.  Owners that wait,
 * in a circle, are a deadlock.
 */
#ifndef PROFILER_LOCK_GRAPH_H
#define PROFILER_LOCK_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "common.h"

struct profile;

struct lock_edge {
	uint32_t pid;
	uint32_t tid;			/* waits */
	uint32_t owner;			/* holds the lock */
	char comm[TASK_COMM_LEN];
	char lock[128];			/* the lock's name */
};

struct lock_graph {
	struct lock_edge *v;
	size_t n, cap;
};

void lock_graph_add(struct lock_graph *g, const struct lock_edge *e);
/*
 * Every cycle of waiters and owners, once each: "deadlock: thread one [11]
 * waits for lock_b held by two [12], which waits for lock_a held by one
 * [11]", as a table of the profile and on stderr.  Returns how many.
 */
int lock_graph_report(const struct lock_graph *g, struct profile *p, bool quiet);
void lock_graph_free(struct lock_graph *g);

#endif /* PROFILER_LOCK_GRAPH_H */
