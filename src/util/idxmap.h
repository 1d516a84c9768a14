/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A hash index over an array the caller owns: it stores only (hash, index)
 * and asks the caller whether the element at an index equals what is
 * sought.  One open-addressing table serves locations, strings, files and
 * processes without a generic container per type.
 *
 * Compact mode (idxmap_compact) keeps only the index, 4 bytes a slot
 * where the default keeps 12: for the indexes with an entry per process
 * and stack under churn (cpu's counts, the profile's stacks and
 * locations, stack_parts), where the slots were a third of what the
 * entries themselves take.  Its price: eq() is asked at every occupied
 * slot a probe passes, not only where the hashes match, and the table
 * asks the caller for each element's hash again when it grows.
 */
#ifndef PROFILER_IDXMAP_H
#define PROFILER_IDXMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef bool (*idxmap_eq_fn)(const void *ctx, uint32_t idx);
typedef uint64_t (*idxmap_hash_fn)(const void *ctx, uint32_t idx);

struct idxmap {
	uint64_t *hashes;	/* NULL in compact mode */
	uint32_t *slots;	/* index + 1; 0 is an empty slot */
	size_t cap;		/* a power of two */
	size_t len;
	/* compact mode: the hash of the element at an index, asked on growth */
	idxmap_hash_fn hash_of;
	const void *hash_ctx;
};

/* Make an empty m compact; hash_of(ctx, idx) must give the hash that idx
 * was inserted with.  It stays compact through idxmap_free. */
void idxmap_compact(struct idxmap *m, idxmap_hash_fn hash_of, const void *ctx);
/* The index of an element with this hash for which eq() says yes, or -1. */
int64_t idxmap_find(const struct idxmap *m, uint64_t hash, idxmap_eq_fn eq, const void *ctx);
void idxmap_insert(struct idxmap *m, uint64_t hash, uint32_t idx);
/*
 * idxmap_find, and when nothing equals, idxmap_insert of idx in the same
 * probe: returns the index found, or idx.  The element at idx need not
 * exist yet (eq and hash_of are never asked about it).
 */
uint32_t idxmap_find_or_insert(struct idxmap *m, uint64_t hash, idxmap_eq_fn eq, const void *ctx,
			       uint32_t idx);
void idxmap_free(struct idxmap *m);

#endif /* PROFILER_IDXMAP_H */
