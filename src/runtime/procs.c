// SPDX-License-Identifier: GPL-2.0
/*
 * New processes as the run learns of them: the announcements every BPF
 * object sends through its proc_events ring (one ring manager for the
 * run), and the mapping records handled in between.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "runtime/cgroups.h"
#include "runtime/mmap_watch.h"
#include "runtime/python.h"
#include "runtime/runtime.h"
#include "runtime/unwind.h"
#include "symbol/proc_maps.h"
#include "util/idxmap.h"
#include "util/util.h"

#define MAX_NOTERS 16	/* collectors of a run, as struct session's index */

/*
 * Every collector's BPF object announces a process on its own (its own
 * procs_seen): with five collectors, five notes of one process, and again
 * after each exec.  The n-th note of a pid is handled once, from whichever
 * collector brings it first.
 */
struct announced {
	uint32_t *pids;
	uint8_t (*notes)[MAX_NOTERS];	/* notes per collector */
	uint8_t *handled;
	size_t n, cap;
	struct idxmap index;
	uint32_t sought;
};

static bool pid_eq(const void *ctx, uint32_t idx)
{
	const struct announced *a = ctx;

	return a->pids[idx] == a->sought;
}

/* Whether this note of pid from collector k is news. */
static bool announce_new(struct session *rt, int k, uint32_t pid)
{
	struct announced *a = rt->announced;
	int64_t i;

	if (k < 0 || k >= MAX_NOTERS)
		return true;
	if (!a)
		a = rt->announced = xcalloc(1, sizeof(*a));
	a->sought = pid;
	i = idxmap_find(&a->index, hash_u64(pid), pid_eq, a);
	if (i < 0) {
		if (a->n == a->cap) {
			a->cap = a->cap ? 2 * a->cap : 256;
			a->pids = xrealloc(a->pids, a->cap * sizeof(*a->pids));
			a->notes = xrealloc(a->notes, a->cap * sizeof(*a->notes));
			a->handled = xrealloc(a->handled, a->cap * sizeof(*a->handled));
		}
		i = a->n++;
		a->pids[i] = pid;
		memset(a->notes[i], 0, sizeof(a->notes[i]));
		a->handled[i] = 0;
		idxmap_insert(&a->index, hash_u64(pid), i);
	}
	if (a->notes[i][k] < UINT8_MAX)
		a->notes[i][k]++;
	if (a->notes[i][k] <= a->handled[i])
		return false;
	a->handled[i] = a->notes[i][k];
	return true;
}

void announced_free(struct announced *a)
{
	if (!a)
		return;
	free(a->pids);
	free(a->notes);
	free(a->handled);
	idxmap_free(&a->index);
	free(a);
}

/*
 * Processes without tables that mapped code since the last look (an exec'd
 * child, above all): their tables from the mappings their records gave,
 * before their first sample, when their binaries have rows already.
 */
static void unwind_new(struct session *rt)
{
	uint32_t *pids;
	size_t n = unwinder_take_new(rt->unw, &pids);

	for (size_t i = 0; i < n; i++) {
		size_t nmaps;
		const struct proc_map *maps = symbolizer_current_maps(rt->sym, pids[i], &nmaps);

		unwinder_set_maps(rt->unw, pids[i], maps, nmaps);
	}
}

/*
 * Processes with tables that mapped more code (dlopen, or an exec of a
 * pid seen before): remade from the records when they tell the mappings
 * whole, else from /proc, read once by the symbolizer for both.
 */
static void unwind_dirty(struct session *rt)
{
	uint32_t *pids;
	size_t n = unwinder_take_dirty(rt->unw, &pids);

	for (size_t i = 0; i < n; i++) {
		size_t nmaps;
		const struct proc_map *maps;

		if (!symbolizer_maps_known(rt->sym, pids[i]) &&
		    symbolizer_note_process(rt->sym, pids[i]))
			continue;	/* gone */
		maps = symbolizer_current_maps(rt->sym, pids[i], &nmaps);
		unwinder_add_maps(rt->unw, pids[i], maps, nmaps);
	}
}

void session_catch_up(struct session *ss)
{
	mmap_watch_consume(ss->rt->mw);
	unwind_dirty(ss->rt);
	unwind_new(ss->rt);
	python_catch_up(ss->rt->py, ss->rt->sym);
}

/*
 * CPU in unwind tables made so far (--stats; each timed whole where made):
 * a new process's announcement is timed one in PART_EVERY, less its
 * tables, and they are added whole.  Two reads of the CPU clock (a system
 * call, 4.4 us here) for each of 3,000 new processes in 30 s of churn
 * were 8% of our CPU with --stats.
 */
static uint64_t tables_ns(struct session *ss)
{
	struct unwinder_stats us;

	if (!ss->set->stats || !ss->unw)
		return 0;
	unwinder_get_stats(ss->unw, &us);
	return us.ns;
}

static void new_stop(struct session *ss, uint64_t t0, uint64_t tab0)
{
	uint64_t tab = tables_ns(ss) - tab0;

	ss->announce_ns += tab;
	part_stop_less(&ss->new_clock, t0, tab);
}

/*
 * An entry the kernel made for pid lacks a binary without a table: its
 * tables made now (into unw_files, from which the kernel makes the entry
 * again at the process's next sample), from its mappings as its records
 * tell them when whole, else as /proc does.
 */
static void note_tables(struct session *ss, uint32_t pid)
{
	uint64_t t0 = part_start(&ss->new_clock, ss->set->stats), tab0 = tables_ns(ss);
	const struct proc_map *maps;
	size_t n;

	session_catch_up(ss);
	if (ss->unw && (symbolizer_maps_known(ss->sym, pid) ||
			!symbolizer_note_process(ss->sym, pid))) {
		maps = symbolizer_current_maps(ss->sym, pid, &n);
		unwinder_add_maps(ss->unw, pid, maps, n);
	}
	new_stop(ss, t0, tab0);
}

static int on_proc_event(void *ctx, void *data, size_t size)
{
	struct session *ss = ((struct session *)ctx)->rt;
	const struct proc_note *e = data;
	uint64_t t0, tab0;

	if (size < sizeof(*e))
		return 0;
	/* the loop reads each new mapping at once while the program maps
	 * its libraries (src/session/loop.c) */
	if (e->flags & PROC_NOTE_EXEC) {
		ss->exec_ns = now_ns();
		return 0;
	}
	if (e->flags & PROC_NOTE_TABLES) {
		note_tables(ss, e->pid);
		return 0;
	}
	/*
	 * Known already, the common way: timed one in PART_EVERY, as a read
	 * of the CPU clock (~3 us on a VM) costs as much as the note itself:
	 * 40 of our 550 ms under churn, all for --stats
	 */
	t0 = part_start(&ss->announce_clock, ss->set->stats);
	if (!ss->first_event_ns)
		ss->first_event_ns = now_ns();
	/* every note: after an exec the process may be in another cgroup */
	cgroups_note(ss->cg, e->pid, e->cgroup);
	if (!announce_new(ss, ((struct session *)ctx)->index, e->pid)) {
		part_stop(&ss->announce_clock, t0);
		return 0;
	}
	part_stop(&ss->announce_clock, t0);
	/* the rest: it may read /proc, make tables or read a Python layout */
	t0 = part_start(&ss->new_clock, ss->set->stats);
	tab0 = tables_ns(ss);
	session_catch_up(ss);
	/*
	 * New, or exec'd: either way its tables are made from its maps now,
	 * known from its records since its exec, or else read from /proc
	 * once for names, tables and Python alike.
	 */
	if (!symbolizer_note_process(ss->sym, e->pid)) {
		size_t n;
		const struct proc_map *maps = symbolizer_current_maps(ss->sym, e->pid, &n);

		if (ss->unw)
			unwinder_add_maps(ss->unw, e->pid, maps, n);
		python_note_maps(ss->py, e->pid, maps, n);
	}
	new_stop(ss, t0, tab0);
	return 0;
}

void session_note_held(struct session *ss, uint32_t pid)
{
	struct proc_map *maps;
	size_t n;

	if (proc_maps_read(pid, &maps, &n))
		return;
	unwinder_add_read(ss->unw, pid, maps, n);
	python_note_maps(ss->py, pid, maps, n);
	proc_maps_free(maps, n);
}

int session_watch_procs(struct session *ss, struct bpf_map *proc_events)
{
	struct session *rt = ss->rt;

	/* one ring manager for the run: every object's announcements (wall
	 * has two objects, a session several collectors) */
	if (rt->rb) {
		ss->rb = rt->rb;
		return ring_buffer__add(rt->rb, bpf_map__fd(proc_events), on_proc_event, ss);
	}
	rt->rb = ring_buffer__new(bpf_map__fd(proc_events), on_proc_event, ss, NULL);
	ss->rb = rt->rb;
	return rt->rb ? 0 : -errno;
}

