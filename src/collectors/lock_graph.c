// SPDX-License-Identifier: GPL-2.0
/* Deadlocks: waits on mutexes whose owners wait, in a circle. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/lock_graph.h"
#include "model/profile.h"
#include "util/util.h"

void lock_graph_add(struct lock_graph *g, const struct lock_edge *e)
{
	GROW(g->v, g->cap, g->n + 1);
	g->v[g->n++] = *e;
}

/* The wait of thread tid of process pid, or NULL: a thread waits for one lock at a time. */
static const struct lock_edge *edge_of(const struct lock_graph *g, uint32_t pid, uint32_t tid)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].pid == pid && g->v[i].tid == tid)
			return &g->v[i];
	return NULL;
}

/* "one [11]": the waiting thread's name from its own edge */
static void thread_name(const struct lock_graph *g, uint32_t pid, uint32_t tid, char *buf,
			size_t size)
{
	const struct lock_edge *e = edge_of(g, pid, tid);

	if (e)
		snprintf(buf, size, "%s [%u]", e->comm, tid);
	else
		snprintf(buf, size, "[%u]", tid);
}

int lock_graph_report(const struct lock_graph *g, struct profile *p, bool quiet)
{
	static const char *const cols[] = { "CYCLE" };
	char line[2048], who[64];
	size_t table = 0;
	int found = 0;

	for (size_t i = 0; i < g->n; i++) {
		const struct lock_edge *start = &g->v[i], *e = start;
		uint32_t lowest = start->tid;
		bool cycle = false;
		size_t len;

		/* follow owners; a cycle through start has at most n edges */
		for (size_t k = 0; k < g->n && e && e->owner; k++) {
			if (e->owner == start->tid) {
				cycle = true;
				break;
			}
			e = edge_of(g, start->pid, e->owner);
			if (e && e->tid < lowest)
				lowest = e->tid;
		}
		/* each cycle once: from its lowest thread id */
		if (!cycle || lowest != start->tid)
			continue;
		thread_name(g, start->pid, start->tid, who, sizeof(who));
		len = snprintf(line, sizeof(line), "deadlock: thread %s", who);
		for (e = start; len < sizeof(line);) {
			thread_name(g, start->pid, e->owner, who, sizeof(who));
			len += snprintf(line + len, sizeof(line) - len, "%swaits for %s held by %s",
					e == start ? " " : ", which ", e->lock, who);
			if (e->owner == start->tid)
				break;
			e = edge_of(g, start->pid, e->owner);
		}
		if (!found++)
			table = profile_add_table(p, "Deadlocks (owners of the locks waited for, "
						  "waiting in a circle)", 1, cols);
		profile_table_row(p, table, (const char *const[]){ line });
		if (!quiet)
			fprintf(stderr, "profiler lock: %s\n", line);
	}
	return found;
}

void lock_graph_free(struct lock_graph *g)
{
	free(g->v);
	memset(g, 0, sizeof(*g));
}
