/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A profile as a tree of frames by name, the shape of a flame graph:
 * the root is everything, its children are process names (or "comm-PID",
 * or cgroup paths with the process names below them: --group-by), below them the
 * frames from the outermost caller to the leaf.  Children are sorted by
 * name.  Each node carries the inclusive value of two sample types (the
 * second used by differential graphs), combined as each type says: summed,
 * or the largest for a maximum (profile.combine), which children may then
 * add up to more than.
 */
#ifndef PROFILER_FLAME_H
#define PROFILER_FLAME_H

#include "model/profile.h"

#define FLAME_PROCESS 0xff	/* kind of the process-name nodes */
#define FLAME_CGROUP 0xfe	/* kind of the cgroup nodes above them (--group-by cgroup) */

struct flame_node {
	const char *name;	/* interned in the profile */
	uint32_t parent;
	uint32_t kids;		/* into flame.kids */
	uint32_t nkids;
	uint16_t depth;		/* root 0, process 1, ... */
	uint8_t kind;		/* enum frame_kind or FLAME_PROCESS */
	int64_t value[2];
};

struct flame {
	struct flame_node *nodes;	/* [0] is the root */
	size_t n, cap;
	uint32_t *kids;
	uint16_t max_depth;
	char **names;		/* "comm-PID" names it made itself, freed with it */
	size_t nnames, names_cap;
};

/*
 * Weigh by type (and type2 into value[1], or -1); samples with both <= 0
 * are left out.  group_by (enum group_by in output/output.h) picks the
 * nodes under the root as folded's root frames are picked: the process
 * name, "comm-PID", or the cgroup path above the process name.
 */
void flame_build(struct flame *fl, const struct profile *p, int type, int type2, int group_by);
void flame_free(struct flame *fl);

#endif /* PROFILER_FLAME_H */
