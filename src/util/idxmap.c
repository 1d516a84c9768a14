// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "util/idxmap.h"
#include "util/util.h"

void idxmap_compact(struct idxmap *m, idxmap_hash_fn hash_of, const void *ctx)
{
	m->hash_of = hash_of;
	m->hash_ctx = ctx;
}

/* The slot holding an element equal by eq, or the empty slot that ends the probe. */
static size_t probe(const struct idxmap *m, uint64_t hash, idxmap_eq_fn eq, const void *ctx)
{
	size_t mask = m->cap - 1, i;

	for (i = hash & mask; m->slots[i]; i = (i + 1) & mask) {
		if ((!m->hashes || m->hashes[i] == hash) && eq(ctx, m->slots[i] - 1))
			break;
	}
	return i;
}

int64_t idxmap_find(const struct idxmap *m, uint64_t hash, idxmap_eq_fn eq, const void *ctx)
{
	size_t i;

	if (!m->cap)
		return -1;
	i = probe(m, hash, eq, ctx);
	return m->slots[i] ? (int64_t)m->slots[i] - 1 : -1;
}

static void put_at(struct idxmap *m, size_t i, uint64_t hash, uint32_t idx)
{
	if (m->hashes)
		m->hashes[i] = hash;
	m->slots[i] = idx + 1;
}

static void put(struct idxmap *m, uint64_t hash, uint32_t idx)
{
	size_t mask = m->cap - 1, i;

	for (i = hash & mask; m->slots[i]; i = (i + 1) & mask)
		;
	put_at(m, i, hash, idx);
}

/* Room for one more: keep the load under 1/2 so probes stay short. */
static void reserve(struct idxmap *m)
{
	struct idxmap old = *m;

	if ((m->len + 1) * 2 <= m->cap)
		return;
	m->cap = old.cap ? old.cap * 2 : 64;
	m->hashes = m->hash_of ? NULL : xcalloc(m->cap, sizeof(*m->hashes));
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < old.cap; i++) {
		uint32_t idx = old.slots[i] - 1;

		if (old.slots[i])
			put(m, old.hashes ? old.hashes[i] : m->hash_of(m->hash_ctx, idx), idx);
	}
	free(old.hashes);
	free(old.slots);
}

void idxmap_insert(struct idxmap *m, uint64_t hash, uint32_t idx)
{
	reserve(m);
	put(m, hash, idx);
	m->len++;
}

uint32_t idxmap_find_or_insert(struct idxmap *m, uint64_t hash, idxmap_eq_fn eq, const void *ctx,
			       uint32_t idx)
{
	size_t i;

	reserve(m);
	i = probe(m, hash, eq, ctx);
	if (m->slots[i])
		return m->slots[i] - 1;
	put_at(m, i, hash, idx);
	m->len++;
	return idx;
}

void idxmap_free(struct idxmap *m)
{
	free(m->hashes);
	free(m->slots);
	m->hashes = NULL;
	m->slots = NULL;
	m->cap = m->len = 0;
}
