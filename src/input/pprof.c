// SPDX-License-Identifier: GPL-2.0
/*
 * pprof's profile.proto into a profile: sample types, samples with their
 * labels (pid, tid, comm, cgroup), mappings, locations with their lines (inlined
 * functions become FRAME_INLINE frames), functions, period, time and
 * duration.  Comments "lost: N what: hint" come back as losses, "aggregate
 * max: TYPE" as a maximum type, the first other comment as the event.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "input/input.h"
#include "util/idxmap.h"
#include "util/protobuf.h"
#include "util/util.h"

struct pp_func {
	uint64_t id, name, file;
};

struct pp_map {
	uint64_t id, file, build_id;
};

struct pp_loc {
	uint64_t id;
	uint32_t first, n;	/* our locations, leaf first */
};

struct pp {
	const char *name;
	struct profile *p;
	char **strs;
	size_t nstrs, strs_cap;
	struct pp_func *funcs;
	size_t nfuncs, funcs_cap;
	struct pp_map *maps;
	size_t nmaps, maps_cap;
	struct pp_loc *locs;
	size_t nlocs, locs_cap;
	struct idxmap func_index, map_index, loc_index;
	uint64_t want;
};

static const char *str(const struct pp *pp, uint64_t i)
{
	return i < pp->nstrs ? pp->strs[i] : "";
}

#define ID_EQ(fn, arr)								\
static bool fn(const void *ctx, uint32_t idx)					\
{										\
	const struct pp *pp = ctx;						\
										\
	return pp->arr[idx].id == pp->want;					\
}
ID_EQ(func_eq, funcs)
ID_EQ(map_eq, maps)
ID_EQ(loc_eq, locs)

static int64_t find(struct pp *pp, struct idxmap *m, idxmap_eq_fn eq, uint64_t id)
{
	pp->want = id;
	return idxmap_find(m, hash_u64(id), eq, pp);
}

static void read_function(struct pp *pp, struct pb_reader r)
{
	uint64_t v[6] = {};	/* 1 id, 2 name, 3 system_name, 4 filename, 5 start_line */

	pb_read_scalars(r, v, ARRAY_SIZE(v));
	GROW(pp->funcs, pp->funcs_cap, pp->nfuncs + 1);
	pp->funcs[pp->nfuncs] = (struct pp_func){ .id = v[1], .name = v[2], .file = v[4] };
	idxmap_insert(&pp->func_index, hash_u64(v[1]), pp->nfuncs++);
}

static void read_mapping(struct pp *pp, struct pb_reader r)
{
	uint64_t v[7] = {};	/* 1 id, 2-4 start, limit, offset, 5 filename, 6 build_id */

	pb_read_scalars(r, v, ARRAY_SIZE(v));
	GROW(pp->maps, pp->maps_cap, pp->nmaps + 1);
	pp->maps[pp->nmaps] = (struct pp_map){ .id = v[1], .file = v[5], .build_id = v[6] };
	idxmap_insert(&pp->map_index, hash_u64(v[1]), pp->nmaps++);
}

static uint8_t module_kind(const char *module, uint64_t addr)
{
	if (!strcmp(module, "[kernel.kallsyms]") || addr >= 0xffff800000000000ULL)
		return FRAME_KERNEL;
	if (!strncmp(module, "[anon", 5) || !strncmp(module, "/tmp/perf-", 10))
		return FRAME_JIT;
	if (!strcmp(module, "[python]"))
		return FRAME_PYTHON;
	return FRAME_USER;
}

/* A location and its lines: lines[0] is the innermost (inlined) function. */
static void read_location(struct pp *pp, struct pb_reader r)
{
	struct profile *p = pp->p;
	struct pp_loc pl = {};
	uint64_t map_id = 0, addr = 0, fn_ids[64], lines[64];
	uint32_t nlines = 0, field;
	const struct pp_map *m = NULL;
	struct location l = {};
	int64_t mi;
	int wire;

	while (pb_next(&r, &field, &wire)) {
		if (field == 4 && wire == PB_LEN) {
			uint64_t v[3] = {};	/* Line: 1 function_id, 2 line */

			pb_read_scalars(pb_read_len(&r), v, ARRAY_SIZE(v));
			if (nlines < ARRAY_SIZE(fn_ids)) {
				fn_ids[nlines] = v[1];
				lines[nlines++] = v[2];
			}
			continue;
		}
		if (wire != PB_VARINT) {
			pb_skip(&r, wire);
			continue;
		}
		uint64_t v = pb_read_varint(&r);

		if (field == 1)
			pl.id = v;
		else if (field == 2)
			map_id = v;
		else if (field == 3)
			addr = v;
	}
	mi = map_id ? find(pp, &pp->map_index, map_eq, map_id) : -1;
	if (mi >= 0)
		m = &pp->maps[mi];
	l.addr = addr;
	l.module_addr = addr;
	l.module = profile_intern(p, m && *str(pp, m->file) ? str(pp, m->file) : "[unknown]");
	l.build_id = m && m->build_id ? profile_intern(p, str(pp, m->build_id)) : NULL;
	l.kind = module_kind(l.module, addr);
	pl.first = p->nlocs;
	if (!nlines) {
		char buf[512];
		const char *base = strrchr(l.module, '/');

		snprintf(buf, sizeof(buf), "%s+0x%llx", base ? base + 1 : l.module,
			 (unsigned long long)addr);
		l.name = profile_intern(p, buf);
		profile_add_location(p, &l);
	}
	for (uint32_t i = 0; i < nlines; i++) {
		int64_t fi = find(pp, &pp->func_index, func_eq, fn_ids[i]);
		struct location li = l;

		li.name = profile_intern(p, fi >= 0 && *str(pp, pp->funcs[fi].name) ?
					 str(pp, pp->funcs[fi].name) : "[unknown]");
		li.file = fi >= 0 && pp->funcs[fi].file ? profile_intern(p, str(pp, pp->funcs[fi].file)) :
			  NULL;
		li.line = lines[i];
		if (i + 1 < nlines)
			li.kind = FRAME_INLINE;
		if (li.kind == FRAME_PYTHON && li.file)
			li.name = python_frame_name(p, li.name, li.file, li.line);
		profile_add_location(p, &li);
	}
	pl.n = p->nlocs - pl.first;
	GROW(pp->locs, pp->locs_cap, pp->nlocs + 1);
	pp->locs[pp->nlocs] = pl;
	idxmap_insert(&pp->loc_index, hash_u64(pl.id), pp->nlocs++);
}

static int read_sample(struct pp *pp, struct pb_reader r)
{
	struct profile *p = pp->p;
	uint64_t *locs = NULL, *vals = NULL;
	size_t nl = 0, lcap = 0, nv = 0, vcap = 0;
	uint32_t *ids = NULL, n = 0, pid = 0, tid = 0, field;
	size_t ids_cap = 0, idx;
	const char *comm = "", *cgroup = NULL;
	int64_t values[PROFILE_MAX_TYPES] = {};
	int wire, err = 0;

	while (pb_next(&r, &field, &wire)) {
		if (field == 1) {
			pb_read_ints(&r, wire, &locs, &nl, &lcap);
		} else if (field == 2) {
			pb_read_ints(&r, wire, &vals, &nv, &vcap);
		} else if (field == 3 && wire == PB_LEN) {
			uint64_t v[4] = {};	/* Label: 1 key, 2 str, 3 num */
			const char *key;

			pb_read_scalars(pb_read_len(&r), v, ARRAY_SIZE(v));
			key = str(pp, v[1]);
			if (!strcmp(key, "pid"))
				pid = v[3];
			else if (!strcmp(key, "tid"))
				tid = v[3];
			else if (!strcmp(key, "comm"))
				comm = str(pp, v[2]);
			else if (!strcmp(key, "cgroup"))
				cgroup = str(pp, v[2]);
		} else {
			pb_skip(&r, wire);
		}
	}
	if ((int)nv != p->ntypes) {
		pr_err("%s: a sample has %zu values for %d sample types: the file is damaged",
		       pp->name, nv, p->ntypes);
		err = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < nl; i++) {
		int64_t li = find(pp, &pp->loc_index, loc_eq, locs[i]);

		if (li < 0) {
			pr_err("%s: a sample refers to location %llu, which is not in the file",
			       pp->name, (unsigned long long)locs[i]);
			err = -EINVAL;
			goto out;
		}
		GROW(ids, ids_cap, n + pp->locs[li].n);
		for (uint32_t k = 0; k < pp->locs[li].n; k++)
			ids[n++] = pp->locs[li].first + k;
	}
	for (size_t i = 0; i < nv; i++)
		values[i] = (int64_t)vals[i];
	idx = profile_add_sample(p, ids, n, pid, tid, comm, values);
	if (cgroup)
		profile_set_cgroup(p, idx, cgroup);
out:
	free(locs);
	free(vals);
	free(ids);
	return err;
}

static void read_value_type(struct pp *pp, struct pb_reader r, uint64_t *type, uint64_t *unit)
{
	uint64_t v[3] = {};	/* 1 type, 2 unit */

	pb_read_scalars(r, v, ARRAY_SIZE(v));
	*type = v[1];
	*unit = v[2];
}

static void read_comment(struct pp *pp, const char *c)
{
	unsigned long long count;
	int used = 0;

	if (!strncmp(c, PPROF_MAX_COMMENT, strlen(PPROF_MAX_COMMENT))) {
		int t = profile_find_type(pp->p, c + strlen(PPROF_MAX_COMMENT));

		if (t >= 0)
			pp->p->combine[t] = COMBINE_MAX;
	} else if (sscanf(c, "lost: %llu %n", &count, &used) == 1 && used) {
		const char *what = c + used, *hint = strstr(what, ": ");
		char *w = hint ? strndup(what, hint - what) : strdup(what);

		profile_add_loss(pp->p, w, count, hint ? hint + 2 : NULL);
		free(w);
	} else if (!pp->p->event) {
		pp->p->event = profile_intern(pp->p, c);
	}
}

static void pp_free(struct pp *pp)
{
	for (size_t i = 0; i < pp->nstrs; i++)
		free(pp->strs[i]);
	free(pp->strs);
	free(pp->funcs);
	free(pp->maps);
	free(pp->locs);
	idxmap_free(&pp->func_index);
	idxmap_free(&pp->map_index);
	idxmap_free(&pp->loc_index);
}

struct profile *read_pprof(const uint8_t *data, size_t len, const char *name)
{
	struct pb_reader r = { data, data + len, false }, top;
	struct pp pp = { .name = name, .p = profile_new() };
	struct profile *p = pp.p;
	uint64_t default_type = 0, *comments = NULL;
	size_t ncomments = 0, ccap = 0;
	uint32_t field;
	int wire;

	/* first the string table, which every other field refers to */
	top = r;
	while (pb_next(&r, &field, &wire)) {
		if (field == 6 && wire == PB_LEN) {
			struct pb_reader s = pb_read_len(&r);

			GROW(pp.strs, pp.strs_cap, pp.nstrs + 1);
			pp.strs[pp.nstrs++] = strndup((const char *)s.p, s.end - s.p);
		} else {
			pb_skip(&r, wire);
		}
	}
	if (r.bad || !pp.nstrs || *pp.strs[0]) {
		pr_err("%s: not a pprof profile (profile.proto): damaged or another format", name);
		goto fail;
	}
	/* then the tables samples refer to, then the rest */
	for (int pass = 0; pass < 3; pass++) {
		/* samples are read against the types: none, nothing to read them by */
		if (pass == 2 && !p->ntypes) {
			pr_err("%s: a pprof profile without sample types: nothing to show", name);
			goto fail;
		}
		r = top;
		while (pb_next(&r, &field, &wire)) {
			if (wire != PB_LEN) {
				uint64_t v = wire == PB_VARINT ? pb_read_varint(&r) : 0;

				if (wire != PB_VARINT)
					pb_skip(&r, wire);
				else if (pass == 2 && field == 9)
					p->start_time_ns = v;
				else if (pass == 2 && field == 10)
					p->duration_ns = v;
				else if (pass == 2 && field == 12)
					p->period = (int64_t)v;
				else if (pass == 2 && field == 13) {
					GROW(comments, ccap, ncomments + 1);
					comments[ncomments++] = v;
				} else if (pass == 2 && field == 14)
					default_type = v;
				continue;
			}
			struct pb_reader sub = pb_read_len(&r);

			if (pass == 0 && field == 3) {
				read_mapping(&pp, sub);
			} else if (pass == 0 && field == 5) {
				read_function(&pp, sub);
			} else if (pass == 0 && field == 1) {
				uint64_t t = 0, u = 0;

				read_value_type(&pp, sub, &t, &u);
				if (profile_add_type(p, str(&pp, t), str(&pp, u)) < 0) {
					pr_err("%s: more than %d sample types: not supported", name,
					       PROFILE_MAX_TYPES);
					goto fail;
				}
			} else if (pass == 1 && field == 4) {
				read_location(&pp, sub);
			} else if (pass == 2 && field == 2) {
				if (read_sample(&pp, sub))
					goto fail;
			} else if (pass == 2 && field == 11) {
				uint64_t t = 0, u = 0;

				read_value_type(&pp, sub, &t, &u);
				p->period_type.name = profile_intern(p, str(&pp, t));
				p->period_type.unit = profile_intern(p, str(&pp, u));
			}
		}
	}
	p->default_type = p->ntypes - 1;	/* pprof's rule without default_sample_type */
	if (default_type) {
		int t = profile_find_type(p, str(&pp, default_type));

		if (t >= 0)
			p->default_type = t;
	}
	for (size_t i = 0; i < ncomments; i++)
		read_comment(&pp, str(&pp, comments[i]));
	free(comments);
	pp_free(&pp);
	return p;
fail:
	free(comments);
	pp_free(&pp);
	profile_free(p);
	return NULL;
}
