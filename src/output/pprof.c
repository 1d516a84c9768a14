// SPDX-License-Identifier: GPL-2.0
/*
 * pprof's profile.proto, gzip-compressed, as `go tool pprof` reads it:
 * every sample type with its unit (multi-value profiles keep them all),
 * period, time, duration, one mapping per module with its build-id, one
 * function per (name, file), one location per profile location, and
 * labels pid, tid, comm, cgroup and container_id (when the cgroup path
 * holds a container runtime's id).  Losses go into comments, and so does every
 * sample type that is a maximum ("aggregate max: max_delay"), which pprof
 * has no field for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "output/output.h"
#include "util/container_id.h"
#include "util/idxmap.h"
#include "util/protobuf.h"
#include "util/util.h"

/* profile.proto field numbers */
enum {
	PROF_SAMPLE_TYPE = 1, PROF_SAMPLE, PROF_MAPPING, PROF_LOCATION, PROF_FUNCTION,
	PROF_STRING_TABLE, PROF_TIME_NANOS = 9, PROF_DURATION_NANOS, PROF_PERIOD_TYPE,
	PROF_PERIOD, PROF_COMMENT, PROF_DEFAULT_SAMPLE_TYPE,
};

/* A table of distinct keys (strings, or tuples of string ids) to ids from 1. */
struct id_table {
	const char **strs;	/* strings: id - 0; tuples: unused */
	uint64_t *keys;		/* tuples: 3 words per id */
	size_t n, cap, kcap;
	struct idxmap index;
	const char *want;
	const uint64_t *want_key;
	char **owned;		/* strings made for the table, freed with it */
	size_t nowned, owned_cap;
};

static bool str_eq(const void *ctx, uint32_t idx)
{
	const struct id_table *t = ctx;

	return !strcmp(t->strs[idx], t->want);
}

/* The string table: index 0 is "". */
static int64_t str_id(struct id_table *t, const char *s)
{
	uint64_t h;
	int64_t i;

	if (!s)
		s = "";
	h = hash_bytes(s, strlen(s), 1);
	t->want = s;
	i = idxmap_find(&t->index, h, str_eq, t);
	if (i >= 0)
		return i;
	GROW(t->strs, t->cap, t->n + 1);
	t->strs[t->n] = s;
	idxmap_insert(&t->index, h, t->n);
	return t->n++;
}

static bool key_eq(const void *ctx, uint32_t idx)
{
	const struct id_table *t = ctx;

	return !memcmp(t->keys + 3 * idx, t->want_key, 3 * sizeof(uint64_t));
}

/* The id (from 1) of a tuple; *is_new when it was just added. */
static uint64_t key_id(struct id_table *t, uint64_t a, uint64_t b, uint64_t c, bool *is_new)
{
	uint64_t k[3] = { a, b, c };
	uint64_t h = hash_bytes(k, sizeof(k), 2);
	int64_t i;

	t->want_key = k;
	i = idxmap_find(&t->index, h, key_eq, t);
	*is_new = i < 0;
	if (i >= 0)
		return i + 1;
	GROW(t->keys, t->kcap, 3 * (t->n + 1));
	memcpy(t->keys + 3 * t->n, k, sizeof(k));
	idxmap_insert(&t->index, h, t->n);
	return ++t->n;
}

static void table_free(struct id_table *t)
{
	for (size_t i = 0; i < t->nowned; i++)
		free(t->owned[i]);
	free(t->owned);
	free(t->strs);
	free(t->keys);
	idxmap_free(&t->index);
}

static void value_type(struct pb_buf *out, struct pb_buf *tmp, uint32_t field,
		       struct id_table *strs, const char *type, const char *unit)
{
	pb_reset(tmp);
	pb_uint(tmp, 1, str_id(strs, type));
	pb_uint(tmp, 2, str_id(strs, unit));
	pb_message(out, field, tmp);
}

static void label(struct pb_buf *out, struct pb_buf *tmp, struct id_table *strs, const char *key,
		  const char *str, int64_t num)
{
	pb_reset(tmp);
	pb_uint(tmp, 1, str_id(strs, key));
	if (str)
		pb_uint(tmp, 2, str_id(strs, str));
	else
		pb_uint(tmp, 3, (uint64_t)num);
	pb_message(out, 3, tmp);
}

/*
 * The message is gzipped as it is made, a megabyte at a time: under churn
 * (200K samples at 2 minutes) the whole encoded profile was some 20-30
 * MiB alive at once before.  zlib's output does not depend on how its
 * input is cut (no flush until the end): the same bytes as in one piece.
 */
#define GZIP_CHUNK (1 << 20)

struct gz_out {
	z_stream z;
	FILE *f;
	int err;
};

static int gz_open(struct gz_out *g, FILE *f)
{
	*g = (struct gz_out){ .f = f };
	if (deflateInit2(&g->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	return 0;
}

/* Compress what b holds and empty it; with finish, end the stream. */
static void gz_feed(struct gz_out *g, struct pb_buf *b, bool finish)
{
	unsigned char chunk[65536];
	int flush = finish ? Z_FINISH : Z_NO_FLUSH, zr;

	g->z.next_in = b->data;
	g->z.avail_in = b->len;
	do {
		g->z.next_out = chunk;
		g->z.avail_out = sizeof(chunk);
		zr = deflate(&g->z, flush);
		if (zr == Z_STREAM_ERROR) {
			g->err = -EIO;
			break;
		}
		if (fwrite(chunk, 1, sizeof(chunk) - g->z.avail_out, g->f) !=
		    sizeof(chunk) - g->z.avail_out) {
			g->err = -EIO;
			break;
		}
	} while (finish ? zr != Z_STREAM_END : g->z.avail_out == 0);
	pb_reset(b);
}

/* One module as a candidate for pprof's first mapping, "the main binary". */
struct mod_rank {
	int64_t mod, bid;
	const char *name;
	bool kernel, files, lines;
	uint64_t weight;	/* of the samples with a frame in it */
	size_t last;		/* the last sample counted, + 1 */
	size_t order;		/* first appearance */
};

/* The file name only: "/usr/lib/x86_64-linux-gnu/libc.so.6" -> "libc.so.6" */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* 0: an executable; 1: a shared library; 2: a pseudo-module ([vdso], JIT) */
static int mod_class(const struct mod_rank *m)
{
	const char *b = base_name(m->name);

	if (m->kernel)
		return 3;
	if (b[0] == '[' || !b[0])
		return 2;
	return strstr(b, ".so") ? 1 : 0;
}

static int cmp_mod_rank(const void *a, const void *b)
{
	const struct mod_rank *x = a, *y = b;
	int cx = mod_class(x), cy = mod_class(y);

	if (cx != cy)
		return cx - cy;
	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Write the mappings, the main binary first: pprof takes the first mapping
 * for it (its "File:" line, the binary -symbolize looks at).  That is the
 * executable with the most weight behind it, not whatever module happened
 * to come first (a [vdso] frame, or libc, which is in every stack).
 * Returns the mapping id of each location (0 for those not used), malloc'd.
 */
static uint64_t *write_mappings(const struct profile *p, const bool *used, struct pb_buf *out,
				struct pb_buf *tmp, struct id_table *strs)
{
	struct id_table ids = {};
	struct mod_rank *mods = NULL;
	size_t nmods = 0, cap = 0;
	uint32_t *loc_mod = xcalloc(p->nlocs + 1, sizeof(*loc_mod));
	uint64_t *map_of, *loc_map;
	bool is_new;

	for (size_t i = 0; i < p->nlocs; i++) {
		const struct location *l = &p->locs[i];
		const char *name = l->module ? l->module : "[unknown]";
		int64_t mod, bid;
		uint64_t id;

		if (!used[i])
			continue;
		mod = str_id(strs, name);
		bid = str_id(strs, l->build_id);
		id = key_id(&ids, mod, bid, 0, &is_new);
		if (is_new) {
			GROW(mods, cap, nmods + 1);
			mods[nmods] = (struct mod_rank){ .mod = mod, .bid = bid, .name = name,
							 .kernel = l->kind == FRAME_KERNEL,
							 .order = nmods };
			nmods++;
		}
		mods[id - 1].files |= l->file != NULL;
		mods[id - 1].lines |= l->line != 0;
		loc_mod[i] = id;
	}
	for (size_t s = 0; s < p->nsamples; s++) {
		const uint32_t *fr = profile_sample_frames(p, s);
		int64_t v = profile_value(p, s, p->default_type);
		uint64_t w = v < 0 ? (uint64_t)-v : (uint64_t)v;

		for (uint32_t k = 0; k < p->samples[s].nframes; k++) {
			struct mod_rank *m = &mods[loc_mod[fr[k]] - 1];

			if (m->last != s + 1) {
				m->last = s + 1;
				m->weight += w;
			}
		}
	}
	if (nmods)
		qsort(mods, nmods, sizeof(*mods), cmp_mod_rank);
	/* mapping ids follow the ranking: module (by first appearance) -> id */
	map_of = xcalloc(nmods + 1, sizeof(*map_of));
	for (size_t i = 0; i < nmods; i++) {
		map_of[mods[i].order] = i + 1;
		pb_reset(tmp);
		pb_uint(tmp, 1, i + 1);
		pb_uint(tmp, 5, mods[i].mod);
		if (mods[i].bid)
			pb_uint(tmp, 6, mods[i].bid);
		pb_uint(tmp, 7, 1);	/* has_functions */
		pb_uint(tmp, 8, mods[i].files);
		pb_uint(tmp, 9, mods[i].lines);
		pb_message(out, PROF_MAPPING, tmp);
	}
	loc_map = xcalloc(p->nlocs + 1, sizeof(*loc_map));
	for (size_t i = 0; i < p->nlocs; i++)
		if (used[i])
			loc_map[i] = map_of[loc_mod[i] - 1];
	free(map_of);
	free(loc_mod);
	free(mods);
	table_free(&ids);
	return loc_map;
}

/*
 * Mappings, functions and the locations the samples use, gzipped a chunk
 * at a time like the samples: a 10-minute churn profile has 380,000
 * locations, whose messages were all alive at once before.
 */
static void write_locations(const struct profile *p, struct gz_out *gz, struct pb_buf *out,
			    struct pb_buf *tmp, struct pb_buf *line, struct id_table *strs)
{
	struct id_table funcs = {};
	bool *used = xcalloc(p->nlocs + 1, sizeof(*used));
	uint64_t *loc_map;
	bool is_new;

	for (size_t i = 0; i < p->nframes; i++)
		used[p->frames[i]] = true;
	loc_map = write_mappings(p, used, out, tmp, strs);
	for (size_t i = 0; i < p->nlocs; i++) {
		const struct location *l = &p->locs[i];
		int64_t name, file;
		uint64_t fn_id;

		if (!used[i])
			continue;
		if (l->kind == FRAME_PYTHON && l->name) {
			/* the function alone: file and line have fields of their own */
			const char *paren = strrchr(l->name, '(');
			size_t len = paren && paren > l->name ? (size_t)(paren - l->name - 1) : strlen(l->name);
			/* str_id keeps the pointer: the table owns the copy */
			GROW(strs->owned, strs->owned_cap, strs->nowned + 1);
			strs->owned[strs->nowned] = strndup(l->name, len);
			name = str_id(strs, strs->owned[strs->nowned++]);
		} else {
			name = str_id(strs, l->name ? l->name : "[unknown]");
		}
		file = str_id(strs, l->file);
		fn_id = key_id(&funcs, name, file, 0, &is_new);
		if (is_new) {
			pb_reset(tmp);
			pb_uint(tmp, 1, fn_id);
			pb_uint(tmp, 2, name);
			pb_uint(tmp, 3, name);
			if (file)
				pb_uint(tmp, 4, file);
			pb_message(out, PROF_FUNCTION, tmp);
		}
		pb_reset(line);
		pb_uint(line, 1, fn_id);
		if (l->line)
			pb_uint(line, 2, l->line);
		pb_reset(tmp);
		pb_uint(tmp, 1, i + 1);
		pb_uint(tmp, 2, loc_map[i]);
		pb_uint(tmp, 3, l->kind == FRAME_KERNEL || !l->module_addr ? l->addr : l->module_addr);
		pb_message(tmp, 4, line);
		pb_message(out, PROF_LOCATION, tmp);
		if (out->len >= GZIP_CHUNK)
			gz_feed(gz, out, false);
	}
	free(used);
	free(loc_map);
	table_free(&funcs);
}

int write_pprof(const struct profile *p, const struct write_opts *o, FILE *f)
{
	struct pb_buf out = {}, tmp = {}, sub = {}, packed = {};
	struct id_table strs = {};
	struct gz_out gz;
	char **losses;
	char combine_max[PROFILE_MAX_TYPES][128];
	const char *last_cgroup = NULL, *last_id = NULL;
	int err = gz_open(&gz, f);

	if (err)
		return err;
	losses = xcalloc(p->nlosses + 1, sizeof(*losses));
	/* pprof has no field for it: a comment the reader understands */
	for (int t = 0; t < p->ntypes; t++)
		snprintf(combine_max[t], sizeof(combine_max[t]), "%s%s", PPROF_MAX_COMMENT,
			 p->types[t].name);

	str_id(&strs, "");
	for (int t = 0; t < p->ntypes; t++)
		value_type(&out, &tmp, PROF_SAMPLE_TYPE, &strs, p->types[t].name, p->types[t].unit);
	for (size_t s = 0; s < p->nsamples; s++) {
		const struct sample *smp = &p->samples[s];
		const uint32_t *fr = profile_sample_frames(p, s);

		pb_reset(&tmp);
		pb_reset(&packed);
		for (uint32_t i = 0; i < smp->nframes; i++)
			pb_varint(&packed, fr[i] + 1);	/* leaf first, as pprof wants */
		pb_message(&tmp, 1, &packed);
		pb_reset(&packed);
		for (int t = 0; t < p->ntypes; t++)
			pb_varint(&packed, (uint64_t)profile_value(p, s, t));
		pb_message(&tmp, 2, &packed);
		label(&tmp, &sub, &strs, "pid", NULL, smp->pid);
		if (sample_label(p, smp)->tid)
			label(&tmp, &sub, &strs, "tid", NULL, sample_label(p, smp)->tid);
		if (sample_label(p, smp)->comm && *sample_label(p, smp)->comm)
			label(&tmp, &sub, &strs, "comm", sample_label(p, smp)->comm, 0);
		if (sample_label(p, smp)->cgroup) {
			label(&tmp, &sub, &strs, "cgroup", sample_label(p, smp)->cgroup, 0);
			/* the table keeps pointers: the id is kept in it too */
			if (sample_label(p, smp)->cgroup != last_cgroup) {
				char id[CONTAINER_ID_LEN + 1];

				last_cgroup = sample_label(p, smp)->cgroup;
				last_id = NULL;
				if (container_id(sample_label(p, smp)->cgroup, id)) {
					GROW(strs.owned, strs.owned_cap, strs.nowned + 1);
					last_id = strs.owned[strs.nowned++] = xstrdup(id);
				}
			}
			if (last_id)
				label(&tmp, &sub, &strs, "container_id", last_id, 0);
		}
		pb_message(&out, PROF_SAMPLE, &tmp);
		if (out.len >= GZIP_CHUNK)
			gz_feed(&gz, &out, false);
	}
	write_locations(p, &gz, &out, &tmp, &sub, &strs);
	if (p->start_time_ns)
		pb_uint(&out, PROF_TIME_NANOS, p->start_time_ns);
	if (p->duration_ns)
		pb_uint(&out, PROF_DURATION_NANOS, p->duration_ns);
	if (p->period_type.name && *p->period_type.name)
		value_type(&out, &tmp, PROF_PERIOD_TYPE, &strs, p->period_type.name,
			   p->period_type.unit);
	if (p->period)
		pb_uint(&out, PROF_PERIOD, (uint64_t)p->period);
	if (p->event)
		pb_uint(&out, PROF_COMMENT, str_id(&strs, p->event));
	for (size_t i = 0; i < p->nlosses; i++) {
		const struct loss *l = &p->losses[i];

		if (asprintf(&losses[i], "lost: %llu %s%s%s", (unsigned long long)l->count, l->what,
			     l->hint ? ": " : "", l->hint ? l->hint : "") < 0)
			losses[i] = xstrdup("lost: some samples");
		pb_uint(&out, PROF_COMMENT, str_id(&strs, losses[i]));
	}
	for (int t = 0; t < p->ntypes; t++)
		if (p->combine[t] == COMBINE_MAX)
			pb_uint(&out, PROF_COMMENT, str_id(&strs, combine_max[t]));
	if (p->ntypes)
		pb_uint(&out, PROF_DEFAULT_SAMPLE_TYPE, str_id(&strs, p->types[o->type].name));
	for (size_t i = 0; i < strs.n; i++) {
		pb_string(&out, PROF_STRING_TABLE, strs.strs[i]);
		if (out.len >= GZIP_CHUNK)
			gz_feed(&gz, &out, false);
	}
	gz_feed(&gz, &out, true);
	deflateEnd(&gz.z);
	err = gz.err;
	pb_free(&out);
	pb_free(&tmp);
	pb_free(&sub);
	pb_free(&packed);
	table_free(&strs);
	for (size_t i = 0; i < p->nlosses; i++)
		free(losses[i]);
	free(losses);
	return err ? err : ferror(f) ? -EIO : 0;
}
