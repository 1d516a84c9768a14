// SPDX-License-Identifier: GPL-2.0
/*
 * Folded stacks, by flamegraph.pl's rules: one "frame;frame;...;leaf COUNT"
 * per line, root first; the count is the last space-separated field;
 * blank lines are skipped.  The first frame is taken as the process name,
 * as our folded writer and stackcollapse-perf.pl write it, unless it
 * starts with '/': then it is the cgroup (--group-by cgroup) and the
 * process name follows.  Frames
 * suffixed _[k] are kernel frames, _[j] JIT and _[i] inlined.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "input/input.h"
#include "util/idxmap.h"
#include "util/util.h"

struct frames {
	struct profile *p;
	struct idxmap index;
	const char *name;
	uint8_t kind;
};

static bool frame_eq(const void *ctx, uint32_t idx)
{
	const struct frames *fr = ctx;
	const struct location *l = &fr->p->locs[idx];

	return l->name == fr->name && l->kind == fr->kind;
}

/* One location per (name, kind). */
static uint32_t frame_loc(struct frames *fr, const char *text, size_t len)
{
	static const struct { const char *suffix; uint8_t kind; } kinds[] = {
		{ "_[k]", FRAME_KERNEL }, { "_[j]", FRAME_JIT }, { "_[i]", FRAME_INLINE },
		{ "_[p]", FRAME_PYTHON },
	};
	struct location l = { .kind = FRAME_USER };
	char *name;
	uint64_t h;
	int64_t i;

	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++)
		if (len > 4 && !memcmp(text + len - 4, kinds[k].suffix, 4)) {
			l.kind = kinds[k].kind;
			len -= 4;
		}
	name = strndup(text, len);
	fr->name = profile_intern(fr->p, name);
	free(name);
	fr->kind = l.kind;
	h = hash_u64((uintptr_t)fr->name ^ l.kind);
	i = idxmap_find(&fr->index, h, frame_eq, fr);
	if (i >= 0)
		return i;
	l.name = fr->name;
	/* the format names no module: the kernel's is the kernel, others are not known */
	l.module = l.kind == FRAME_KERNEL ? profile_intern(fr->p, "[kernel.kallsyms]") : NULL;
	i = profile_add_location(fr->p, &l);
	idxmap_insert(&fr->index, h, i);
	return i;
}

struct profile *read_folded(const char *data, size_t len, const char *name)
{
	struct profile *p = profile_new();
	struct frames fr = { .p = p };
	uint32_t *ids = NULL;
	size_t ids_cap = 0, lineno = 0;
	const char *end = data + len;
	char buf[512];

	profile_add_type(p, "samples", "count");
	snprintf(buf, sizeof(buf), "folded stacks from %s", name);
	p->event = profile_intern(p, buf);
	p->no_pids = true;
	for (const char *line = data; line < end;) {
		const char *eol = memchr(line, '\n', end - line);
		const char *sp, *comm_end, *c;
		uint32_t n = 0;
		int64_t value;
		char num[24], *comm, *cgroup;
		size_t smp;

		if (!eol)
			eol = end;
		lineno++;
		sp = eol;
		while (sp > line && (sp[-1] == '\r' || sp[-1] == ' '))
			sp--;
		if (sp == line) {
			line = eol + 1;
			continue;
		}
		c = sp;
		while (c > line && c[-1] != ' ')
			c--;
		if (c == line || sp - c >= (long)sizeof(num)) {
			pr_err("%s:%zu: not a folded stack line: expected 'frame;...;frame COUNT'",
			       name, lineno);
			goto fail;
		}
		memcpy(num, c, sp - c);
		num[sp - c] = '\0';
		if (parse_u64(num, 0, INT64_MAX, (uint64_t *)&value)) {
			pr_err("%s:%zu: '%s' is not a count: expected 'frame;...;frame COUNT'", name,
			       lineno, num);
			goto fail;
		}
		sp = c - 1;	/* the space before the count */
		/* "/cgroup/path;comm;...": --group-by cgroup's root frame */
		cgroup = NULL;
		if (line[0] == '/' && (c = memchr(line, ';', sp - line))) {
			cgroup = strndup(line, c - line);
			line = c + 1;
		}
		comm_end = memchr(line, ';', sp - line);
		if (!comm_end)
			comm_end = sp;
		comm = strndup(line, comm_end - line);
		for (const char *f = comm_end; f < sp;) {
			const char *fe;

			f++;	/* ';' */
			fe = memchr(f, ';', sp - f);
			if (!fe)
				fe = sp;
			GROW(ids, ids_cap, n + 1);
			ids[n++] = frame_loc(&fr, f, fe - f);
			f = fe;
		}
		/* stored leaf first */
		for (uint32_t i = 0; i < n / 2; i++) {
			uint32_t t = ids[i];

			ids[i] = ids[n - 1 - i];
			ids[n - 1 - i] = t;
		}
		smp = profile_add_sample(p, ids, n, 0, 0, comm, &value);
		if (cgroup)
			profile_set_cgroup(p, smp, cgroup);
		free(cgroup);
		free(comm);
		line = eol + 1;
	}
	free(ids);
	idxmap_free(&fr.index);
	return p;
fail:
	free(ids);
	idxmap_free(&fr.index);
	profile_free(p);
	return NULL;
}
