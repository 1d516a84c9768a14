// SPDX-License-Identifier: GPL-2.0
/* Per-key growth of kernel counters between two reads (deltas.h). */
#include <stdlib.h>
#include <string.h>

#include "runtime/deltas.h"
#include "util/idxmap.h"
#include "util/util.h"

struct deltas {
	size_t key_size;
	unsigned int nvals;
	unsigned char *keys;	/* n keys of key_size bytes */
	uint64_t *last;		/* n x nvals: the values at the last read */
	size_t n, cap;
	struct idxmap index;
	const void *sought;	/* for key_eq */
	bool hold;		/* a value never goes down (deltas_hold) */
};

struct deltas *deltas_new(size_t key_size, unsigned int nvals)
{
	struct deltas *d = xcalloc(1, sizeof(*d));

	d->key_size = key_size;
	d->nvals = nvals;
	return d;
}

void deltas_hold(struct deltas *d)
{
	d->hold = true;
}

static bool key_eq(const void *ctx, uint32_t idx)
{
	const struct deltas *d = ctx;

	return !memcmp(d->keys + (size_t)idx * d->key_size, d->sought, d->key_size);
}

static uint64_t *entry(struct deltas *d, const void *key)
{
	uint64_t h = hash_bytes(key, d->key_size, 0);
	int64_t i;

	d->sought = key;
	i = idxmap_find(&d->index, h, key_eq, d);
	if (i >= 0)
		return d->last + (size_t)i * d->nvals;
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 256;
		d->keys = xrealloc(d->keys, d->cap * d->key_size);
		d->last = xrealloc(d->last, d->cap * d->nvals * sizeof(*d->last));
	}
	memcpy(d->keys + d->n * d->key_size, key, d->key_size);
	memset(d->last + d->n * d->nvals, 0, d->nvals * sizeof(*d->last));
	idxmap_insert(&d->index, h, d->n);
	return d->last + d->n++ * d->nvals;
}

bool deltas_take(struct deltas *d, const void *key, uint64_t *vals, bool whole)
{
	uint64_t *last;
	bool any = false;

	if (whole) {
		for (unsigned int i = 0; i < d->nvals; i++)
			any |= vals[i] != 0;
		return any;
	}
	last = entry(d, key);
	for (unsigned int i = 0; i < d->nvals; i++) {
		uint64_t now = vals[i];

		if (now < last[i] && d->hold) {
			vals[i] = 0;
			continue;
		}
		vals[i] = now >= last[i] ? now - last[i] : now;
		last[i] = now;
		any |= vals[i] != 0;
	}
	return any;
}

void deltas_add(struct deltas *d, const void *key, const uint64_t *vals)
{
	uint64_t *sum = entry(d, key);

	for (unsigned int i = 0; i < d->nvals; i++)
		sum[i] += vals[i];
}

size_t deltas_forget(struct deltas *d, bool (*gone)(void *ctx, const void *key), void *ctx)
{
	size_t kept = 0;

	if (!d)
		return 0;
	for (size_t i = 0; i < d->n; i++) {
		if (gone(ctx, d->keys + i * d->key_size))
			continue;
		if (kept != i) {
			memcpy(d->keys + kept * d->key_size, d->keys + i * d->key_size, d->key_size);
			memcpy(d->last + kept * d->nvals, d->last + i * d->nvals,
			       d->nvals * sizeof(*d->last));
		}
		kept++;
	}
	if (kept == d->n)
		return 0;
	/* the survivors moved: index them again */
	idxmap_free(&d->index);
	for (size_t i = 0; i < kept; i++)
		idxmap_insert(&d->index, hash_bytes(d->keys + i * d->key_size, d->key_size, 0), i);
	kept = d->n - kept;
	d->n -= kept;
	return kept;
}

const void *deltas_entry(const struct deltas *d, size_t i, const uint64_t **vals)
{
	*vals = d->last + i * d->nvals;
	return d->keys + i * d->key_size;
}

size_t deltas_size(const struct deltas *d)
{
	return d ? d->n : 0;
}

void deltas_free(struct deltas *d)
{
	if (!d)
		return;
	free(d->keys);
	free(d->last);
	idxmap_free(&d->index);
	free(d);
}
