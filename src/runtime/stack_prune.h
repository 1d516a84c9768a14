/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user stacks of processes that have exited, deleted from a stacks
 * map once read.  The map is keyed by content, and a process's user
 * stacks are its own (its libraries at addresses of its own), so under
 * churn nearly every process adds stacks no later sample names again:
 * kept, they held 2.4 MiB a second of the kernel's memory under `churn
 * 100` (4 KiB values in 8 KiB slab objects), for as long as the run.
 *
 * Use: at each read, note the user stack of each sample with its process,
 * then, once the samples are made, run: stacks noted only for processes
 * gone by then are deleted.  A stack noted for two processes (a fork that
 * shares its parent's addresses, a non-PIE program) is kept: the other
 * may sample it again.  What stays noted is one entry per user stack of a
 * live process, as the map itself holds.
 */
#ifndef PROFILER_STACK_PRUNE_H
#define PROFILER_STACK_PRUNE_H

#include <stddef.h>
#include <stdint.h>

struct stack_prune;

/*
 * Whether pid is gone: 1 its exit came before the samples were taken (all
 * of its samples are read), 0 it lives or may have counted since, -1
 * nothing is known of it and no such process exists now.
 */
typedef int (*stack_prune_gone_fn)(void *ctx, uint32_t pid);

struct stack_prune *stack_prune_new(void);
/* A sample of process pid named user stack id (a real id: STACK_ID_VALID_BIT). */
void stack_prune_note(struct stack_prune *pr, uint64_t id, uint32_t pid);
/*
 * Delete from map fd (deep_fd: those of STACK_ID_DEEP_BIT) the stacks
 * noted only for processes gone (1), or unknown and not running (-1) at
 * this run and the one before: one read of slack for a sample counted as
 * its process exited.  Returns how many were deleted.
 */
size_t stack_prune_run(struct stack_prune *pr, int fd, int deep_fd, stack_prune_gone_fn gone,
		       void *ctx);
/* Stacks noted and not deleted yet. */
size_t stack_prune_size(const struct stack_prune *pr);
void stack_prune_free(struct stack_prune *pr);

#endif /* PROFILER_STACK_PRUNE_H */
