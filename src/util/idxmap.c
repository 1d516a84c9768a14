// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "util/idxmap.h"
#include "util/util.h"

int64_t idxmap_find(const struct idxmap *m, uint64_t hash, idxmap_eq_fn eq, const void *ctx)
{
	size_t mask, i;

	if (!m->cap)
		return -1;
	mask = m->cap - 1;
	for (i = hash & mask; m->slots[i]; i = (i + 1) & mask) {
		if (m->hashes[i] == hash && eq(ctx, m->slots[i] - 1))
			return m->slots[i] - 1;
	}
	return -1;
}

static void put(struct idxmap *m, uint64_t hash, uint32_t idx)
{
	size_t mask = m->cap - 1, i;

	for (i = hash & mask; m->slots[i]; i = (i + 1) & mask)
		;
	m->hashes[i] = hash;
	m->slots[i] = idx + 1;
}

void idxmap_insert(struct idxmap *m, uint64_t hash, uint32_t idx)
{
	/* keep the load under 1/2 so probes stay short */
	if ((m->len + 1) * 2 > m->cap) {
		struct idxmap old = *m;

		m->cap = old.cap ? old.cap * 2 : 64;
		m->hashes = xcalloc(m->cap, sizeof(*m->hashes));
		m->slots = xcalloc(m->cap, sizeof(*m->slots));
		for (size_t i = 0; i < old.cap; i++)
			if (old.slots[i])
				put(m, old.hashes[i], old.slots[i] - 1);
		free(old.hashes);
		free(old.slots);
	}
	put(m, hash, idx);
	m->len++;
}

void idxmap_free(struct idxmap *m)
{
	free(m->hashes);
	free(m->slots);
	m->hashes = NULL;
	m->slots = NULL;
	m->cap = m->len = 0;
}
