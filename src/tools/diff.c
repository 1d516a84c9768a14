// SPDX-License-Identifier: GPL-2.0
/*
 * profiler diff BASE NEW: two saved profiles as one differential profile,
 * type 0 the base and type 1 the new values of the same stacks (by frame
 * names), written as a differential flame graph, two-column folded stacks
 * or a report of what grew and shrank.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "input/input.h"
#include "output/output.h"
#include "tools/tool.h"
#include "util/util.h"

#define SYNOPSIS "diff BASE NEW [-f report|svg|folded] [-o OUT]..."
#define SUMMARY "Compare two saved profiles (folded or pprof): a differential flame graph\n" \
	"(red grew, blue shrank, normalised when the totals differ), folded stacks\n" \
	"'stack BASE NEW', or a report of the functions that grew and shrank most"

static int pick_type(const struct profile *p, const char *value, const char *path)
{
	int t;

	if (!value)
		return p->default_type;
	t = profile_find_type(p, value);
	if (t < 0)
		pr_err("%s has no sample type '%s'", path, value);
	return t;
}

/* Copy the samples of one side into d, values in column side. */
static void add_side(struct profile *d, const struct profile *p, int type, int side)
{
	uint32_t *map = xcalloc(p->nlocs + 1, sizeof(*map));
	uint32_t *ids = NULL;
	size_t cap = 0, idx;

	for (size_t i = 0; i < p->nlocs; i++) {
		struct location l = p->locs[i];

		l.name = profile_intern(d, l.name ? l.name : "[unknown]");
		l.module = profile_intern(d, l.module);
		l.build_id = profile_intern(d, l.build_id);
		l.file = profile_intern(d, l.file);
		map[i] = profile_add_location(d, &l);
	}
	for (size_t s = 0; s < p->nsamples; s++) {
		const struct sample *smp = &p->samples[s];
		const struct sample_label *lb = sample_label(p, smp);
		const uint32_t *fr = profile_sample_frames(p, s);
		int64_t v[2] = { 0, 0 };

		v[side] = profile_value(p, s, type);
		if (v[side] <= 0)
			continue;
		GROW(ids, cap, smp->nframes + 1);
		for (uint32_t i = 0; i < smp->nframes; i++)
			ids[i] = map[fr[i]];
		idx = profile_add_sample(d, ids, smp->nframes, smp->pid, lb->tid, lb->comm, v);
		/* --group-by cgroup puts the cgroup above the process on both sides */
		if (lb->cgroup)
			profile_set_cgroup(d, idx, lb->cgroup);
	}
	free(ids);
	free(map);
}

static int diff_run(int argc, char **argv)
{
	struct settings s = {};
	const char *files[2];
	struct profile *in[2] = {}, *d = NULL;
	int type[2], err, rc = 1;

	err = args_parse_tool(SYNOPSIS, SUMMARY, "report svg folded", argc, argv, &s, files, 2);
	if (err)
		return err > 0 ? 0 : 2;
	for (int i = 0; i < 2; i++) {
		in[i] = profile_read(files[i]);
		if (!in[i])
			goto out;
		type[i] = pick_type(in[i], s.value, files[i]);
		if (type[i] < 0) {
			rc = 2;
			goto out;
		}
	}
	if (strcmp(in[0]->types[type[0]].unit, in[1]->types[type[1]].unit)) {
		pr_err("%s counts %s and %s counts %s: compare profiles of the same kind (--value)",
		       files[0], in[0]->types[type[0]].unit, files[1], in[1]->types[type[1]].unit);
		rc = 2;
		goto out;
	}
	d = profile_new();
	profile_add_type(d, "base", in[1]->types[type[1]].unit);
	profile_add_type(d, in[1]->types[type[1]].name, in[1]->types[type[1]].unit);
	d->default_type = 1;
	/* a maximum stays one on both sides */
	d->combine[0] = in[0]->combine[type[0]];
	d->combine[1] = in[1]->combine[type[1]];
	d->event = profile_intern(d, in[1]->event);
	d->duration_ns = in[1]->duration_ns;
	add_side(d, in[0], type[0], 0);
	add_side(d, in[1], type[1], 1);
	s.value = NULL;		/* picked above, per side */
	rc = tool_write(d, &s, true);
out:
	profile_free(d);
	profile_free(in[0]);
	profile_free(in[1]);
	return rc;
}

const struct tool diff_tool = {
	.name = "diff",
	.summary = "compare two saved profiles: differential flame graph, folded, report",
	.run = diff_run,
};
