// SPDX-License-Identifier: GPL-2.0
#include <linux/types.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "symbol/timeline.h"
#include "util/idxmap.h"
#include "util/util.h"

/*
 * A generation's mappings, shared by the forks that copied them until one
 * changes (timeline_add makes a new array): under churn every child of a
 * shell or a make had its own copy of its parent's 20-odd mappings, 56
 * bytes each, for 37,000 processes in a 10-minute run.
 */
struct maps_block {
	size_t refs;
	struct proc_map maps[];
};

/* What one program of one process mapped: from a fork or an exec on. */
struct tl_gen {
	struct proc_map *maps;	/* sorted by start, none overlapping; in a
				 * maps_block, never written once made */
	size_t n;
	uint32_t life;		/* a fork began it: LIFE_TAG of its time; else 0 */
	/* every mapping of it is here: begun by a record (exec, or a fork of
	 * a complete one) or read from /proc, with no record lost since */
	bool complete;
	uint32_t epoch;		/* timeline.epoch when it became complete */
};

struct tl_proc {
	uint32_t pid;
	bool exited;
	uint32_t exit_epoch;	/* timeline.epoch at its exit */
	uint64_t exit_seq;	/* its last exit: timeline_exit_mark just before */
	struct tl_gen *gens;	/* oldest first */
	size_t ngens;
};

struct timeline {
	struct tl_proc *procs;
	size_t nprocs, procs_cap;
	struct idxmap index;
	/* exited processes in the order they exited: the first to forget */
	uint32_t *exits;
	size_t exit_head, nexits, exits_cap;
	uint64_t exits_base;	/* exits shifted out of the array before exits[0] */
	size_t nforgotten;	/* entries of procs with nothing left, to compact */
	size_t max_maps;
	bool tracked;		/* records flow: completeness can be trusted */
	uint32_t epoch;		/* records lost so many times */
	struct timeline_stats st;
	/*
	 * Every mapping's path, each distinct one once: under churn each
	 * child copied its parent's mappings with a copy of every path, about
	 * 400 bytes a process (60,000 processes in a 10-minute run); the
	 * paths are as many as the files mapped.  Freed with the timeline.
	 */
	char **paths;
	size_t npaths, paths_cap;
	struct idxmap path_index;
};

struct timeline *timeline_new(size_t max_maps)
{
	struct timeline *t = xcalloc(1, sizeof(*t));

	t->max_maps = max_maps;
	return t;
}

struct path_key {
	const struct timeline *t;
	const char *s;
};

static bool path_eq(const void *ctx, uint32_t idx)
{
	const struct path_key *k = ctx;

	return !strcmp(k->t->paths[idx], k->s);
}

/* m's path, which it owned, replaced by the timeline's copy. */
static void intern_path(struct timeline *t, struct proc_map *m)
{
	struct path_key k = { t, m->path };
	uint64_t h;
	int64_t i;

	if (!m->path)
		return;
	h = hash_bytes(m->path, strlen(m->path), 0);
	i = idxmap_find(&t->path_index, h, path_eq, &k);
	if (i < 0) {
		GROW(t->paths, t->paths_cap, t->npaths + 1);
		t->paths[t->npaths] = m->path;
		idxmap_insert(&t->path_index, h, t->npaths);
		i = t->npaths++;
	} else {
		free(m->path);
	}
	m->path = t->paths[i];
}

static struct maps_block *block_of(struct proc_map *maps)
{
	return (struct maps_block *)((char *)maps - offsetof(struct maps_block, maps));
}

static struct proc_map *maps_new(size_t n)
{
	struct maps_block *b = xmalloc(sizeof(*b) + n * sizeof(b->maps[0]));

	b->refs = 1;
	return b->maps;
}

static struct proc_map *maps_ref(struct proc_map *maps)
{
	if (maps)
		block_of(maps)->refs++;
	return maps;
}

/* The paths are the timeline's: only the array goes, with its last user. */
static void maps_unref(struct proc_map *maps)
{
	if (maps && !--block_of(maps)->refs)
		free(block_of(maps));
}

static void gen_clear(struct timeline *t, struct tl_gen *g)
{
	t->st.maps -= g->n;
	maps_unref(g->maps);
	g->maps = NULL;
	g->n = 0;
}

static void proc_clear(struct timeline *t, struct tl_proc *p)
{
	for (size_t i = 0; i < p->ngens; i++)
		gen_clear(t, &p->gens[i]);
	free(p->gens);
	p->gens = NULL;
	p->ngens = 0;
}

void timeline_free(struct timeline *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nprocs; i++)
		proc_clear(t, &t->procs[i]);
	free(t->procs);
	free(t->exits);
	idxmap_free(&t->index);
	for (size_t i = 0; i < t->npaths; i++)
		free(t->paths[i]);
	free(t->paths);
	idxmap_free(&t->path_index);
	free(t);
}

struct pid_key {
	const struct timeline *t;
	uint32_t pid;
};

static bool pid_eq(const void *ctx, uint32_t idx)
{
	const struct pid_key *k = ctx;

	return k->t->procs[idx].pid == k->pid;
}

static struct tl_proc *find(const struct timeline *t, uint32_t pid)
{
	struct pid_key k = { t, pid };
	int64_t i = idxmap_find(&t->index, hash_u64(pid), pid_eq, &k);

	return i >= 0 ? &t->procs[i] : NULL;
}

static struct tl_proc *get(struct timeline *t, uint32_t pid)
{
	struct tl_proc *p = find(t, pid);

	if (p)
		return p;
	GROW(t->procs, t->procs_cap, t->nprocs + 1);
	p = &t->procs[t->nprocs];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	idxmap_insert(&t->index, hash_u64(pid), t->nprocs++);
	t->st.procs++;
	return p;
}

static struct tl_gen *new_gen(struct tl_proc *p)
{
	p->gens = xrealloc(p->gens, (p->ngens + 1) * sizeof(*p->gens));
	memset(&p->gens[p->ngens], 0, sizeof(*p->gens));
	return &p->gens[p->ngens++];
}

/*
 * Make room for n more mappings: forget processes that exited, the
 * longest gone first.  false when that is not enough.
 */
static bool make_room(struct timeline *t, size_t n)
{
	while (t->max_maps && t->st.maps + n > t->max_maps) {
		struct tl_proc *p;

		if (t->exit_head == t->nexits)
			return false;
		p = find(t, t->exits[t->exit_head++]);
		if (p && p->exited && p->ngens) {
			proc_clear(t, p);
			t->st.dropped++;
			t->nforgotten++;
		}
	}
	return true;
}

void timeline_fork(struct timeline *t, uint32_t ppid, uint32_t pid, uint32_t life)
{
	struct tl_proc *parent, *p = get(t, pid);
	const struct tl_gen *pg;
	struct tl_gen *g;

	/* a pid seen before, now a new process: the pid was reused */
	if (p->ngens)
		t->st.reused++;
	p->exited = false;
	parent = find(t, ppid);		/* get() may have moved it */
	g = new_gen(p);
	g->life = life;
	pg = parent && parent->ngens ? &parent->gens[parent->ngens - 1] : NULL;
	if (pg && pg->n && make_room(t, pg->n)) {
		/* counted as the child's too: make_room and --stats see
		 * what each process names, not what it shares */
		g->maps = maps_ref(pg->maps);
		g->n = pg->n;
		t->st.maps += g->n;
	}
	/* the parent's mappings, whole, are the child's */
	g->complete = pg && pg->complete && pg->epoch == t->epoch && g->n == pg->n;
	g->epoch = t->epoch;
}

void timeline_exec(struct timeline *t, uint32_t pid)
{
	struct tl_proc *p = get(t, pid);

	struct tl_gen *g;

	/* an empty generation (nothing seen since the last exec) serves as it is */
	if (!p->ngens || p->gens[p->ngens - 1].n || p->gens[p->ngens - 1].life)
		new_gen(p);
	/* an exec maps everything anew, and each mapping comes as a record */
	g = &p->gens[p->ngens - 1];
	g->complete = true;
	g->epoch = t->epoch;
}

void timeline_exit(struct timeline *t, uint32_t pid)
{
	struct tl_proc *p = find(t, pid);

	if (!p || p->exited)
		return;
	p->exited = true;
	p->exit_epoch = t->epoch;
	p->exit_seq = timeline_exit_mark(t);
	if (t->exit_head > 4096 && t->exit_head * 2 > t->nexits) {
		/* the forgotten half: shift it out */
		memmove(t->exits, t->exits + t->exit_head,
			(t->nexits - t->exit_head) * sizeof(*t->exits));
		t->nexits -= t->exit_head;
		t->exits_base += t->exit_head;
		t->exit_head = 0;
	}
	GROW(t->exits, t->exits_cap, t->nexits + 1);
	t->exits[t->nexits++] = pid;
}

uint64_t timeline_exit_mark(const struct timeline *t)
{
	return t->exits_base + t->nexits;
}

/* Drop the entries of processes with nothing left, once they are half. */
static void compact(struct timeline *t)
{
	size_t n = 0;

	if (t->nforgotten < 1024 || t->nforgotten * 2 < t->nprocs)
		return;
	idxmap_free(&t->index);
	for (size_t i = 0; i < t->nprocs; i++) {
		if (t->procs[i].exited && !t->procs[i].ngens)
			continue;
		t->procs[n] = t->procs[i];
		idxmap_insert(&t->index, hash_u64(t->procs[n].pid), n);
		n++;
	}
	t->nprocs = n;
	t->nforgotten = 0;
	/* the array shrinks with what it holds: churn leaves no high-water mark */
	if (t->procs_cap > 2 * n + 64) {
		t->procs_cap = 2 * n + 64;
		t->procs = xrealloc(t->procs, t->procs_cap * sizeof(*t->procs));
	}
}

size_t timeline_forget(struct timeline *t, uint64_t mark, void (*gone)(void *ctx, uint32_t pid),
		       void *ctx)
{
	size_t n = 0;

	while (t->exit_head < t->nexits && t->exits_base + t->exit_head < mark) {
		uint32_t pid = t->exits[t->exit_head++];
		struct tl_proc *p = find(t, pid);

		/* a pid reused since lives on, or ended again after mark: its
		 * old lifetimes go with its last exit */
		if (!p || !p->exited || !p->ngens || p->exit_seq >= mark)
			continue;
		proc_clear(t, p);
		t->st.forgotten++;
		t->nforgotten++;
		n++;
		if (gone)
			gone(ctx, pid);
	}
	compact(t);
	return n;
}

static int cmp_start(const void *a, const void *b)
{
	const struct proc_map *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

void timeline_add(struct timeline *t, uint32_t pid, struct proc_map *maps, size_t n)
{
	struct tl_proc *p = get(t, pid);
	struct tl_gen *g;
	struct proc_map *out;
	size_t keep = 0;

	if (!n) {
		free(maps);
		return;
	}
	if (!make_room(t, n)) {
		t->st.refused += n;
		proc_maps_free(maps, n);
		if (p->ngens)
			p->gens[p->ngens - 1].complete = false;
		return;
	}
	g = p->ngens ? &p->gens[p->ngens - 1] : new_gen(p);
	out = maps_new(g->n + n);
	/* the old ones the new ones do not cover stay: a dlclose'd library
	 * still names what was sampled in it */
	for (size_t i = 0; i < g->n; i++) {
		struct proc_map *o = &g->maps[i];
		bool overlap = false;

		for (size_t j = 0; j < n && !overlap; j++)
			overlap = o->start < maps[j].end && maps[j].start < o->end;
		if (!overlap)
			out[keep++] = *o;
	}
	for (size_t j = 0; j < n; j++)
		intern_path(t, &maps[j]);
	memcpy(out + keep, maps, n * sizeof(*maps));
	free(maps);
	t->st.maps += keep + n - g->n;
	maps_unref(g->maps);
	g->maps = out;
	g->n = keep + n;
	qsort(g->maps, g->n, sizeof(*g->maps), cmp_start);
}

bool timeline_known(const struct timeline *t, uint32_t pid)
{
	const struct tl_proc *p = find(t, pid);

	for (size_t i = 0; p && i < p->ngens; i++)
		if (p->gens[i].n)
			return true;
	return false;
}

/* Every mapping of g is known: records flow, it began whole, none lost since. */
static bool gen_whole(const struct timeline *t, const struct tl_gen *g)
{
	return t->tracked && g->complete && g->epoch == t->epoch;
}

/* Do a and b put addr at the same place of the same thing? */
static bool same_place(const struct proc_map *a, const struct proc_map *b, uint64_t addr)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind != MAP_FILE)
		return true;
	return a->dev == b->dev && a->ino == b->ino &&
	       addr - a->start + a->offset == addr - b->start + b->offset;
}

/* A fork record comes right after the start time is taken: allow for a
 * preempted fork, in LIFE_TAG units (~1 µs). */
#define LIFE_SLACK	(100 * 1000)

/*
 * The generations [*lo, *hi) of the lifetime whose start time has tag
 * life: the one begun by the first fork stamped at or just after it; for
 * a process older than every fork seen, the generations before the first.
 * Unknown (no tag, or no such fork: a record lost): all of them.
 */
static void lifetime(const struct tl_proc *p, uint32_t life, size_t *lo, size_t *hi)
{
	size_t first = p->ngens;

	*lo = 0;
	*hi = p->ngens;
	if (!life)
		return;
	life = LIFE_BASE(life);
	for (size_t i = 0; i < p->ngens; i++) {
		int32_t d;

		if (!p->gens[i].life)
			continue;
		if (first == p->ngens)
			first = i;
		d = (int32_t)(p->gens[i].life - life);
		if (d >= 0 && d <= LIFE_SLACK) {
			*lo = i;
			for (*hi = i + 1; *hi < p->ngens && !p->gens[*hi].life; ++*hi)
				;
			return;
		}
	}
	/* started long before the first fork seen: the run's first tenant */
	if (first < p->ngens && (int32_t)(p->gens[first].life - life) > LIFE_SLACK)
		*hi = first;
}

const struct proc_map *timeline_find(const struct timeline *t, uint32_t pid, uint32_t life,
				     uint64_t addr, bool *ambiguous)
{
	const struct tl_proc *p = find(t, pid);
	const struct proc_map *found = NULL;
	size_t lo = 0, hi = 0;

	*ambiguous = false;
	if (p)
		lifetime(p, life, &lo, &hi);
	/*
	 * A lifetime begun by its fork record holds the fork's generation,
	 * then one per exec: the sample's exec count names its program.
	 * Found there, no other generation can make it ambiguous; not found
	 * in a generation known whole, it is no code of that program; else
	 * (a record lost) all of them are searched as before.
	 */
	if (p && life && hi > lo && p->gens[lo].life && LIFE_EXECS(life) != LIFE_EXECS_UNKNOWN &&
	    lo + LIFE_EXECS(life) < hi) {
		const struct tl_gen *g = &p->gens[lo + LIFE_EXECS(life)];

		found = proc_maps_find(g->maps, g->n, addr);
		if (found || gen_whole(t, g))
			return found;
	}
	for (size_t i = hi; i-- > lo;) {
		const struct tl_gen *g = &p->gens[i];
		const struct proc_map *m = proc_maps_find(g->maps, g->n, addr);

		if (!m)
			continue;
		if (!found)
			found = m;
		else if (!same_place(found, m, addr))
			*ambiguous = true;
	}
	return found;
}

const struct proc_map *timeline_current(const struct timeline *t, uint32_t pid, size_t *n)
{
	const struct tl_proc *p = find(t, pid);

	if (!p || !p->ngens) {
		*n = 0;
		return NULL;
	}
	*n = p->gens[p->ngens - 1].n;
	return p->gens[p->ngens - 1].maps;
}

void timeline_track(struct timeline *t)
{
	t->tracked = true;
}

void timeline_lost(struct timeline *t)
{
	t->epoch++;
}

void timeline_mark_read(struct timeline *t, uint32_t pid)
{
	struct tl_proc *p = find(t, pid);

	if (p && p->ngens) {
		p->gens[p->ngens - 1].complete = true;
		p->gens[p->ngens - 1].epoch = t->epoch;
	}
}

bool timeline_complete(const struct timeline *t, uint32_t pid)
{
	const struct tl_proc *p = find(t, pid);
	const struct tl_gen *g = p && p->ngens ? &p->gens[p->ngens - 1] : NULL;

	return g && gen_whole(t, g) && !p->exited;
}

bool timeline_gone(const struct timeline *t, uint32_t pid)
{
	const struct tl_proc *p = find(t, pid);

	return p && p->exited && t->tracked && p->exit_epoch == t->epoch;
}

int timeline_exited_before(const struct timeline *t, uint32_t pid, uint64_t mark)
{
	const struct tl_proc *p = find(t, pid);

	if (!p)
		return -1;
	return timeline_gone(t, pid) && p->exit_seq < mark;
}

void timeline_get_stats(const struct timeline *t, struct timeline_stats *st)
{
	*st = t->st;
}
