/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Windows over counters the kernel only adds to.  A collector reads its
 * maps whole at every window and hands over, per key, how much each
 * counter grew since its last read: the kernel's maps are never drained,
 * so no increment made while a window is cut can fall between a read and
 * a delete, and the windows add up to the last read exactly.  Memory is
 * one entry per key ever seen (bounded by the BPF map's size), not per
 * window.
 */
#ifndef PROFILER_DELTAS_H
#define PROFILER_DELTAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct deltas;

/* Keys of key_size bytes, each with nvals counters. */
struct deltas *deltas_new(size_t key_size, unsigned int nvals);
/*
 * For counters read with an estimated part that a later read may find
 * smaller (offcpu adds the waits still going on, and a wait that ends
 * between the reads of two maps is in neither): a value below the last
 * read is held at it instead of counting from zero.  Its window gets
 * nothing and the next gets the growth from the held value, so the
 * windows still add up to the last read.
 */
void deltas_hold(struct deltas *d);
/*
 * vals holds key's counters as read now.  Unless whole, they are replaced
 * by their growth since the last call for key, and remembered; with whole
 * (the whole run at the end) they are left as they are.  A counter that
 * went down (a map entry deleted and made again) counts from zero.
 * Returns whether any of the values handed back is non-zero.
 */
bool deltas_take(struct deltas *d, const void *key, uint64_t *vals, bool whole);
/*
 * Sums instead of differences, for counters a collector drains from the
 * kernel (the kernel keeps no total): key's values grow by vals.
 */
void deltas_add(struct deltas *d, const void *key, const uint64_t *vals);
/*
 * Drop the entries whose key gone() says yes to (their process exited: no
 * counter of theirs grows again).  Returns how many went.
 */
size_t deltas_forget(struct deltas *d, bool (*gone)(void *ctx, const void *key), void *ctx);
/* Entry i < deltas_size(d): its key, and its values in *vals. */
const void *deltas_entry(const struct deltas *d, size_t i, const uint64_t **vals);
/* Entries remembered: what the windows cost in memory. */
size_t deltas_size(const struct deltas *d);
void deltas_free(struct deltas *d);

#endif /* PROFILER_DELTAS_H */
