// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "output/flame.h"
#include "output/output.h"
#include "util/idxmap.h"
#include "util/util.h"

struct build {
	struct flame *fl;
	struct idxmap index;
	uint32_t parent;
	const char *name;
	uint8_t kind;
};

static bool node_eq(const void *ctx, uint32_t idx)
{
	const struct build *b = ctx;
	const struct flame_node *n = &b->fl->nodes[idx];

	return n->parent == b->parent && n->name == b->name && n->kind == b->kind;
}

static uint32_t child(struct build *b, uint32_t parent, const char *name, uint8_t kind)
{
	struct flame *fl = b->fl;
	uint64_t h = hash_u64(((uint64_t)parent << 8 | kind) ^ hash_u64((uintptr_t)name));
	int64_t i;

	b->parent = parent;
	b->name = name;
	b->kind = kind;
	i = idxmap_find(&b->index, h, node_eq, b);
	if (i >= 0)
		return i;
	GROW(fl->nodes, fl->cap, fl->n + 1);
	fl->nodes[fl->n] = (struct flame_node){
		.name = name,
		.parent = parent,
		.depth = fl->nodes[parent].depth + 1,
		.kind = kind,
	};
	if (fl->nodes[fl->n].depth > fl->max_depth)
		fl->max_depth = fl->nodes[fl->n].depth;
	idxmap_insert(&b->index, h, fl->n);
	return fl->n++;
}

static int cmp_kid(const void *a, const void *b, void *arg)
{
	const struct flame *fl = arg;
	const struct flame_node *x = &fl->nodes[*(const uint32_t *)a];
	const struct flame_node *y = &fl->nodes[*(const uint32_t *)b];
	int c = strcmp(x->name, y->name);

	return c ? c : x->kind - y->kind;
}

/* A node's value is its samples' combined as the type says: the sum, or the
 * largest for a maximum (a parent's longest wait is its longest child's). */
static void add(const struct profile *p, int type, int type2, struct flame_node *n, int64_t v0,
		int64_t v1)
{
	n->value[0] = profile_combine(p, type, n->value[0], v0);
	if (type2 >= 0)
		n->value[1] = profile_combine(p, type2, n->value[1], v1);
}

/*
 * The node under which a sample's frames hang: its process name, below
 * its cgroup with --group-by cgroup, or one "comm-PID" node per process
 * with --group-by pid.  Nodes are keyed by name pointer, so the
 * "comm-PID" strings are made once per process and kept by the flame.
 */
struct pid_key {
	const struct flame *fl;
	const char *comm;
	const char *suffix;	/* "-PID" */
};

static bool pid_name_eq(const void *ctx, uint32_t idx)
{
	const struct pid_key *k = ctx;
	const char *s = k->fl->names[idx];
	size_t n = strlen(k->comm);

	return !strncmp(s, k->comm, n) && !strcmp(s + n, k->suffix);
}

static uint32_t process_node(struct build *b, const struct sample *smp,
			     const struct sample_label *lb, int group_by, struct idxmap *pids)
{
	struct flame *fl = b->fl;
	uint32_t parent = 0;
	const char *name = lb->comm;

	if (group_by == GROUP_BY_CGROUP)
		parent = child(b, 0, lb->cgroup ? lb->cgroup : "/[unknown]", FLAME_CGROUP);
	if (group_by == GROUP_BY_PID) {
		uint64_t h = hash_u64(hash_u64((uintptr_t)lb->comm) ^ smp->pid);
		char suffix[16];
		struct pid_key k = { fl, lb->comm, suffix };
		int64_t i;

		snprintf(suffix, sizeof(suffix), "-%u", smp->pid);
		i = idxmap_find(pids, h, pid_name_eq, &k);
		if (i < 0) {
			size_t len = strlen(lb->comm) + strlen(suffix) + 1;

			GROW(fl->names, fl->names_cap, fl->nnames + 1);
			i = fl->nnames++;
			fl->names[i] = xmalloc(len);
			snprintf(fl->names[i], len, "%s%s", lb->comm, suffix);
			idxmap_insert(pids, h, i);
		}
		name = fl->names[i];
	}
	return child(b, parent, name, FLAME_PROCESS);
}

void flame_build(struct flame *fl, const struct profile *p, int type, int type2, int group_by)
{
	struct idxmap pids = {};
	struct build b = { .fl = fl };
	uint32_t *fill;

	*fl = (struct flame){};
	GROW(fl->nodes, fl->cap, 1);
	fl->nodes[0] = (struct flame_node){ .name = "all", .kind = FLAME_PROCESS };
	fl->n = 1;
	for (size_t s = 0; s < p->nsamples; s++) {
		const struct sample *smp = &p->samples[s];
		const uint32_t *fr = profile_sample_frames(p, s);
		int64_t v0 = profile_value(p, s, type);
		int64_t v1 = type2 >= 0 ? profile_value(p, s, type2) : 0;
		uint32_t n = 0;

		if (v0 <= 0 && v1 <= 0)
			continue;
		v0 = MAX(v0, 0);
		v1 = MAX(v1, 0);
		add(p, type, type2, &fl->nodes[0], v0, v1);
		n = process_node(&b, smp, sample_label(p, smp), group_by, &pids);
		if (fl->nodes[n].parent)	/* the cgroup above the process */
			add(p, type, type2, &fl->nodes[fl->nodes[n].parent], v0, v1);
		add(p, type, type2, &fl->nodes[n], v0, v1);
		for (uint32_t i = smp->nframes; i-- > 0;) {
			const struct location *l = &p->locs[fr[i]];

			n = child(&b, n, l->name, l->kind);
			add(p, type, type2, &fl->nodes[n], v0, v1);
		}
	}
	idxmap_free(&b.index);
	idxmap_free(&pids);

	/* children lists: count, offsets, fill, then sort each by name */
	for (size_t i = 1; i < fl->n; i++)
		fl->nodes[fl->nodes[i].parent].nkids++;
	for (size_t i = 0, off = 0; i < fl->n; i++) {
		fl->nodes[i].kids = off;
		off += fl->nodes[i].nkids;
	}
	fl->kids = xcalloc(fl->n, sizeof(*fl->kids));
	fill = xcalloc(fl->n, sizeof(*fill));
	for (size_t i = 1; i < fl->n; i++) {
		struct flame_node *par = &fl->nodes[fl->nodes[i].parent];

		fl->kids[par->kids + fill[fl->nodes[i].parent]++] = i;
	}
	free(fill);
	for (size_t i = 0; i < fl->n; i++)
		if (fl->nodes[i].nkids > 1)
			qsort_r(fl->kids + fl->nodes[i].kids, fl->nodes[i].nkids, sizeof(uint32_t),
				cmp_kid, fl);
}

void flame_free(struct flame *fl)
{
	free(fl->nodes);
	free(fl->kids);
	for (size_t i = 0; i < fl->nnames; i++)
		free(fl->names[i]);
	free(fl->names);
	*fl = (struct flame){};
}
