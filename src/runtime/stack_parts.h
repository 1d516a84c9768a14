/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stacks of many samples, read in one pass over both stacks maps and
 * turned into locations as they come, instead of keeping every stack's
 * frames until the samples are made.  Under process churn nearly every
 * process has stack ids of its own (its libraries at other addresses),
 * while their frames, once keyed by file, are the same few lists: a
 * 10-minute run's whole stacks map held as frames was the largest thing
 * alive at its end (docs/performance.md).
 *
 * Use: want every (stack id, kind, process) the samples name, read, then
 * add each sample's stacks in any order; a stack the pass did not meet is
 * looked up alone, and one found nowhere is a "[lost ... stack]" frame,
 * as session_add_stack makes it.  First frames are interrupted
 * instructions (first_is_ip), as the cpu collector's are.
 */
#ifndef PROFILER_STACK_PARTS_H
#define PROFILER_STACK_PARTS_H

#include <stdint.h>

#include "model/profile.h"
#include "runtime/runtime.h"

struct stack_parts;

struct stack_parts *stack_parts_new(const struct stack_maps *sm);
/* A sample will add stack id of kind for (pid, life). */
void stack_parts_want(struct stack_parts *sp, uint64_t id, enum frame_kind kind, uint32_t pid,
		      uint32_t life);
/*
 * One pass over both maps: the stacks wanted become locations of p.  But
 * when the maps hold far more than is wanted, each wanted stack is looked
 * up alone: a long run's windows want a few thousand of its hundreds of
 * thousands of stacks.  *entries is what the maps held as far as the
 * caller knows (0: unknown), updated: as many as a pass met, or more by
 * the stacks wanted now (the maps are never emptied).
 */
void stack_parts_read(struct stack_parts *sp, struct profile *p, size_t *entries);
/* Append stack id's locations to ids[*n] (at most 2 * MAX_STACK_DEPTH in
 * all); a user stack's named from the program of lifetime tag life, as
 * wanted (session_add_stack). */
void stack_parts_add(struct stack_parts *sp, struct profile *p, uint64_t id, enum frame_kind kind,
		     uint32_t pid, uint32_t life, uint32_t *ids, uint32_t *n);
void stack_parts_free(struct stack_parts *sp);

#endif /* PROFILER_STACK_PARTS_H */
