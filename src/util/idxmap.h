/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A hash index over an array the caller owns: it stores only (hash, index)
 * and asks the caller whether the element at an index equals what is
 * sought.  One open-addressing table serves locations, strings, files and
 * processes without a generic container per type.
 */
#ifndef PROFILER_IDXMAP_H
#define PROFILER_IDXMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idxmap {
	uint64_t *hashes;
	uint32_t *slots;	/* index + 1; 0 is an empty slot */
	size_t cap;		/* a power of two */
	size_t len;
};

typedef bool (*idxmap_eq_fn)(const void *ctx, uint32_t idx);

/* The index of an element with this hash for which eq() says yes, or -1. */
int64_t idxmap_find(const struct idxmap *m, uint64_t hash, idxmap_eq_fn eq, const void *ctx);
void idxmap_insert(struct idxmap *m, uint64_t hash, uint32_t idx);
void idxmap_free(struct idxmap *m);

#endif /* PROFILER_IDXMAP_H */
