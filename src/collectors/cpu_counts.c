// SPDX-License-Identifier: GPL-2.0
/*
 * The cpu collector's counts maps, drained while the profile runs
 * (cpu_counts.h).  Before, one map held every (process, stacks) key of the
 * run and, once full, lost every sample of a new key: 704,630 samples in
 * a 10-minute system-wide run under process churn (docs/performance.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "collectors/cpu_counts.h"
#include "runtime/runtime.h"
#include "util/idxmap.h"
#include "util/util.h"

#define BATCH 4096

struct cpu_counts {
	int sel_fd;
	int fds[2];
	int filling;			/* index into fds of the map BPF fills */
	uint32_t max_entries;
	const volatile __u64 *added;	/* keys BPF inserted, both maps */
	uint64_t added_at_swap;		/* *added when the filling map was empty */

	/* what came since the last take, one entry per key */
	struct cpu_key *keys;
	uint64_t *counts;
	size_t n, cap;
	/* compact: 4 bytes a slot (a 10-minute churn run counts 742,000
	 * keys, 24 MiB of idxmap's default 12-byte slots) */
	struct idxmap index;
	/* the last take's, kept until the next */
	struct cpu_key *out_keys;
	uint64_t *out_counts;

	struct cpu_key *bk;		/* one batch */
	uint64_t *bv;
	uint64_t swaps, moved;
};

static int point_at(struct cpu_counts *c, int i)
{
	uint32_t zero = 0;

	/* a map-in-map update returns once no program runs with the old map */
	if (bpf_map_update_elem(c->sel_fd, &zero, &c->fds[i], BPF_ANY))
		return -errno;
	c->filling = i;
	return 0;
}

static uint64_t key_hash(const struct cpu_key *k)
{
	return hash_bytes(k, sizeof(*k), 0);
}

static uint64_t hash_of(const void *ctx, uint32_t idx)
{
	return key_hash(&((const struct cpu_counts *)ctx)->keys[idx]);
}

struct key_ctx {
	const struct cpu_counts *c;
	const struct cpu_key *k;
};

static bool key_eq(const void *ctx, uint32_t idx)
{
	const struct key_ctx *kc = ctx;

	return !memcmp(&kc->c->keys[idx], kc->k, sizeof(*kc->k));
}

struct cpu_counts *cpu_counts_new(int sel_fd, const int fds[2], uint32_t max_entries,
				  const volatile __u64 *added)
{
	struct cpu_counts *c = xcalloc(1, sizeof(*c));
	int err;

	c->sel_fd = sel_fd;
	c->fds[0] = fds[0];
	c->fds[1] = fds[1];
	c->max_entries = max_entries;
	c->added = added;
	c->bk = xmalloc(BATCH * sizeof(*c->bk));
	c->bv = xmalloc(BATCH * sizeof(*c->bv));
	idxmap_compact(&c->index, hash_of, c);
	err = point_at(c, 0);
	if (err) {
		cpu_counts_free(c);
		errno = -err;
		return NULL;
	}
	return c;
}

static void add(struct cpu_counts *c, const struct cpu_key *k, uint64_t count)
{
	struct key_ctx kc = { c, k };
	uint32_t i = idxmap_find_or_insert(&c->index, key_hash(k), key_eq, &kc, c->n);

	if (i != c->n) {
		c->counts[i] += count;
		return;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 4096;
		c->keys = xrealloc(c->keys, c->cap * sizeof(*c->keys));
		c->counts = xrealloc(c->counts, c->cap * sizeof(*c->counts));
	}
	c->keys[c->n] = *k;
	c->counts[c->n++] = count;
}

/* Empty map fd, which no program writes any more, into the table. */
static void move_all(struct cpu_counts *c, int fd)
{
	struct cpu_key key, next;
	uint64_t token = 0, v;
	bool first = true, have = false;

	if (map_batch_refused())
		goto one_by_one;
	for (;;) {
		uint32_t n = BATCH;
		int err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &token, &token, c->bk,
							  c->bv, &n, NULL);

		if (err && errno != ENOENT) {
			if (first)
				goto one_by_one;
			break;
		}
		first = false;
		for (uint32_t i = 0; i < n; i++)
			add(c, &c->bk[i], c->bv[i]);
		c->moved += n;
		if (err)
			return;	/* ENOENT: that was the last batch */
	}
one_by_one:
	/* a kernel without batch operations on hash maps, or one that failed midway */
	while (!bpf_map_get_next_key(fd, have ? &key : NULL, &next)) {
		key = next;
		have = true;
		if (!bpf_map_lookup_elem(fd, &key, &v) && !bpf_map_delete_elem(fd, &key)) {
			add(c, &key, v);
			c->moved++;
			have = false;	/* deleted: start over from the first key */
		}
	}
}

/* Swap the maps and move what the old one holds into the table. */
static int drain(struct cpu_counts *c)
{
	int old = c->filling, err;

	err = point_at(c, !old);
	if (err) {
		pr_debug("cpu: cannot swap the counts maps: %s", strerror(-err));
		return err;
	}
	c->added_at_swap = *c->added;
	c->swaps++;
	move_all(c, c->fds[old]);
	return 0;
}

void cpu_counts_tick(struct cpu_counts *c)
{
	/* inserts since the swap: into the map being filled (a few into the
	 * old one just before it, so this errs towards draining early) */
	if (c && *c->added - c->added_at_swap >= c->max_entries / 2)
		drain(c);
}

size_t cpu_counts_take(struct cpu_counts *c, const struct cpu_key **keys,
		       const uint64_t **counts)
{
	size_t n;

	/* the map being filled, and the other for what a failed swap left */
	if (drain(c))
		move_all(c, c->fds[c->filling]);
	move_all(c, c->fds[!c->filling]);
	free(c->out_keys);
	free(c->out_counts);
	c->out_keys = c->keys;
	c->out_counts = c->counts;
	n = c->n;
	c->keys = NULL;
	c->counts = NULL;
	c->n = c->cap = 0;
	idxmap_free(&c->index);
	*keys = c->out_keys;
	*counts = c->out_counts;
	return n;
}

void cpu_counts_release(struct cpu_counts *c)
{
	free(c->out_keys);
	free(c->out_counts);
	c->out_keys = NULL;
	c->out_counts = NULL;
}

void cpu_counts_trim(struct cpu_counts *c, size_t n, const struct cpu_key **keys,
		     const uint64_t **counts)
{
	/* a block mapped alone shrinks in place, its tail given back */
	c->out_keys = xrealloc(c->out_keys, MAX(n, 1) * sizeof(*c->out_keys));
	c->out_counts = xrealloc(c->out_counts, MAX(n, 1) * sizeof(*c->out_counts));
	*keys = c->out_keys;
	*counts = c->out_counts;
}

void cpu_counts_stats(const struct cpu_counts *c, uint64_t *swaps, uint64_t *moved)
{
	*swaps = c ? c->swaps : 0;
	*moved = c ? c->moved : 0;
}

void cpu_counts_free(struct cpu_counts *c)
{
	if (!c)
		return;
	free(c->keys);
	free(c->counts);
	free(c->out_keys);
	free(c->out_counts);
	idxmap_free(&c->index);
	free(c->bk);
	free(c->bv);
	free(c);
}
