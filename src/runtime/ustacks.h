/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User stacks read while their process's mappings are known: when a
 * collector drains its counts (cpu), each user stack id of (pid, life) is
 * read from the stacks maps and its frames turned into file words
 * (model/profile.h: a file and an offset in it), kept once however many
 * processes ran it, under a small id of its own.  The BPF copy is then
 * deleted: the kernel's map and the stacks read at a window's end hold
 * only what came since.  So what a long run keeps grows with its unique
 * stacks, not with its processes, and an exited process's mappings can be
 * forgotten once its samples are drained.
 *
 * A frame that is in no file (JIT code, an address outside every mapping)
 * stays an address; its process is pinned in the symbolizer until the
 * stack is named.
 */
#ifndef PROFILER_USTACKS_H
#define PROFILER_USTACKS_H

#include <stdbool.h>
#include <stdint.h>

#include "common.h"

struct ustacks;
struct symbolizer;
struct stack_maps;

struct ustacks *ustacks_new(struct symbolizer *sz);
void ustacks_free(struct ustacks *u);

/* A drain begins: translations of the one before stay, older ones go. */
void ustacks_drain_begin(struct ustacks *u);

/*
 * The kept id for user stack id of (pid, life), read from sm; id itself
 * when it is no real stack or cannot be read (then stack_read finds it,
 * or calls it lost, as before).
 */
uint64_t ustacks_keep(struct ustacks *u, const struct stack_maps *sm, uint32_t pid, uint32_t life,
		      uint64_t id);

/* Kept ids are small and never have STACK_ID_VALID_BIT (a BPF id has it). */
static inline bool ustacks_is_kept(uint64_t id)
{
	return id > STACK_ID_LOST && !(id & STACK_ID_VALID_BIT);
}

/* The words of kept id into ips (MAX_STACK_DEPTH); how many, 0: unknown. */
uint32_t ustacks_read(const struct ustacks *u, uint64_t id, uint64_t *ips);

/* For -v: stacks kept, their words, processes pinned by address frames. */
void ustacks_stats(const struct ustacks *u, uint64_t *stacks, uint64_t *words, uint64_t *pinned);

#endif /* PROFILER_USTACKS_H */
