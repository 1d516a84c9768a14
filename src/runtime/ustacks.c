// SPDX-License-Identifier: GPL-2.0
/* User stacks turned into file words at drain time (ustacks.h). */
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "model/profile.h"
#include "runtime/runtime.h"
#include "runtime/ustacks.h"
#include "symbol/symbolizer.h"
#include "util/idxmap.h"
#include "util/util.h"

/* Addresses from here on are no user code (47-bit user space): garbage of
 * a broken frame chain, kept as this one word so none looks like a file word. */
#define NO_CODE		(1ULL << 47)

/*
 * The BPF stacks read in one drain, by id: their copy in the kernel is
 * deleted once read, and another process may name the same id (the same
 * addresses: a binary without ASLR), a sample counted during the drain too.
 */
struct seen {
	uint64_t *ids;
	uint32_t *first;
	uint16_t *nr;
	size_t n, cap;
	uint64_t *words;
	size_t nwords, words_cap;
	struct idxmap index;
};

struct ustacks {
	struct symbolizer *sz;
	uint64_t *words;
	size_t nwords, words_cap;
	uint32_t *first;
	uint16_t *nr;
	size_t n, cap;
	struct idxmap index;
	struct seen cur, prev;	/* the stacks read in this drain and the last */
	uint64_t buf[MAX_STACK_DEPTH];
	uint64_t pinned;
};

struct ustacks *ustacks_new(struct symbolizer *sz)
{
	struct ustacks *u = xcalloc(1, sizeof(*u));

	u->sz = sz;
	return u;
}

static void seen_free(struct seen *s)
{
	free(s->ids);
	free(s->first);
	free(s->nr);
	free(s->words);
	idxmap_free(&s->index);
	memset(s, 0, sizeof(*s));
}

void ustacks_free(struct ustacks *u)
{
	if (!u)
		return;
	free(u->words);
	free(u->first);
	free(u->nr);
	idxmap_free(&u->index);
	seen_free(&u->cur);
	seen_free(&u->prev);
	free(u);
}

void ustacks_drain_begin(struct ustacks *u)
{
	seen_free(&u->prev);
	u->prev = u->cur;
	memset(&u->cur, 0, sizeof(u->cur));
}

struct seen_key {
	const struct seen *s;
	uint64_t id;
};

static bool seen_eq(const void *ctx, uint32_t idx)
{
	const struct seen_key *k = ctx;

	return k->s->ids[idx] == k->id;
}

/* The frames of id as read in this drain or the last, into buf. */
static bool seen_find(const struct seen *s, uint64_t id, uint64_t *buf)
{
	struct seen_key k = { s, id };
	int64_t i = idxmap_find(&s->index, hash_u64(id), seen_eq, &k);

	if (i < 0)
		return false;
	memcpy(buf, s->words + s->first[i], s->nr[i] * sizeof(*buf));
	return true;
}

static void seen_add(struct seen *s, uint64_t id, const uint64_t *w, uint32_t n)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->ids = xrealloc(s->ids, s->cap * sizeof(*s->ids));
		s->first = xrealloc(s->first, s->cap * sizeof(*s->first));
		s->nr = xrealloc(s->nr, s->cap * sizeof(*s->nr));
	}
	GROW(s->words, s->words_cap, s->nwords + n);
	memcpy(s->words + s->nwords, w, n * sizeof(*w));
	s->ids[s->n] = id;
	s->first[s->n] = s->nwords;
	s->nr[s->n] = n;
	s->nwords += n;
	idxmap_insert(&s->index, hash_u64(id), s->n++);
}

struct words_key {
	const struct ustacks *u;
	const uint64_t *w;
	uint32_t n;
};

static bool words_eq(const void *ctx, uint32_t idx)
{
	const struct words_key *k = ctx;

	return k->u->nr[idx] == k->n &&
	       !memcmp(k->u->words + k->u->first[idx], k->w, k->n * sizeof(*k->w));
}

/* The kept id of these words, stored on first sight. */
static uint64_t intern(struct ustacks *u, const uint64_t *w, uint32_t n)
{
	uint64_t h = hash_bytes(w, n * sizeof(*w), 0);
	struct words_key k = { u, w, n };
	int64_t i = idxmap_find(&u->index, h, words_eq, &k);

	if (i >= 0)
		return (uint64_t)i + 2;
	if (u->n == u->cap) {
		u->cap = u->cap ? 2 * u->cap : 1024;
		u->first = xrealloc(u->first, u->cap * sizeof(*u->first));
		u->nr = xrealloc(u->nr, u->cap * sizeof(*u->nr));
	}
	GROW(u->words, u->words_cap, u->nwords + n);
	memcpy(u->words + u->nwords, w, n * sizeof(*w));
	u->first[u->n] = u->nwords;
	u->nr[u->n] = n;
	u->nwords += n;
	idxmap_insert(&u->index, h, u->n);
	return (uint64_t)u->n++ + 2;
}

/* One code address of (pid, life) as a file word; false: kept as it is. */
static bool file_word(struct ustacks *u, uint32_t pid, uint32_t life, uint64_t *a)
{
	uint32_t file;
	uint64_t off;

	if (*a >= NO_CODE) {
		*a = NO_CODE;
		return false;
	}
	if (!symbolizer_file_of(u->sz, pid, life, *a, &file, &off) || file > PROFILE_FILE_MAX ||
	    off > PROFILE_FILE_OFFSET)
		return false;
	*a = PROFILE_FILE_WORD | (uint64_t)file << PROFILE_FILE_SHIFT | off;
	return true;
}

uint64_t ustacks_keep(struct ustacks *u, const struct stack_maps *sm, uint32_t pid, uint32_t life,
		      uint64_t id)
{
	uint32_t n = 0;
	bool all = true;

	if (!(id & STACK_ID_VALID_BIT))
		return id;
	memset(u->buf, 0, sizeof(u->buf));
	if (!seen_find(&u->cur, id, u->buf)) {
		if (!seen_find(&u->prev, id, u->buf) &&
		    bpf_map_lookup_elem(sm->fd, &id, u->buf) &&
		    bpf_map_lookup_elem(sm->spill_fd, &id, u->buf))
			return id;
		while (n < MAX_STACK_DEPTH && u->buf[n])
			n++;
		seen_add(&u->cur, id, u->buf, n);
		/*
		 * Read: the kernel's copy can go.  A sample counted since the
		 * drain began may still name it: it is in cur, then prev, until
		 * the next drain is done; a sample after the delete stores it again.
		 */
		bpf_map_delete_elem(sm->fd, &id);
		bpf_map_delete_elem(sm->spill_fd, &id);
	}
	for (n = 0; n < MAX_STACK_DEPTH && u->buf[n]; n++) {
		uint64_t w = u->buf[n], a;

		if (profile_is_python_word(w))
			continue;	/* named from its code object: no mapping needed */
		if (w & LEAF_RA_MARK) {
			a = w & LEAF_RA_ADDR_MASK;
			all &= file_word(u, pid, life, &a);
			u->buf[n] = (w & ~LEAF_RA_ADDR_MASK) | a;
		} else {
			all &= file_word(u, pid, life, &u->buf[n]);
		}
	}
	if (!all) {
		/* some frame is named by its address at the window's end */
		symbolizer_pin(u->sz, pid);
		u->pinned++;
	}
	return intern(u, u->buf, n);
}

uint32_t ustacks_read(const struct ustacks *u, uint64_t id, uint64_t *ips)
{
	uint64_t i = id - 2;
	uint32_t n;

	if (!u || !ustacks_is_kept(id) || i >= u->n)
		return 0;
	n = u->nr[i];
	memcpy(ips, u->words + u->first[i], n * sizeof(*ips));
	if (n < MAX_STACK_DEPTH)
		ips[n] = 0;
	return n;
}

void ustacks_stats(const struct ustacks *u, uint64_t *stacks, uint64_t *words, uint64_t *pinned)
{
	*stacks = u ? u->n : 0;
	*words = u ? u->nwords : 0;
	*pinned = u ? u->pinned : 0;
}
