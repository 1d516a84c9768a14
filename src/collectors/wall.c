// SPDX-License-Identifier: GPL-2.0
/*
 * profiler wall: latency as the user feels it.  The cpu collector's
 * sampler and the offcpu collector's sched_switch program run side by side
 * and their profiles are merged into one, in one unit: nanoseconds.  An
 * on-CPU sample weighs one sampling period (1/HZ s), an off-CPU period
 * its measured length, so a flame graph shows compute and waiting at the
 * same scale.
 *
 * Both collectors are used whole, through their struct collector: each
 * keeps its own state, swapped into session->priv around each call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "common.h"
#include "collectors/collector.h"
#include "runtime/runtime.h"
#include "util/util.h"

static const struct collector *const parts[] = { &cpu_collector, &offcpu_collector };
#define NPARTS ARRAY_SIZE(parts)

/* Columns of the merged profile; part i fills column i + 1. */
static const char *const columns[] = { "wall", "cpu", "offcpu" };
/* What each part's profile calls the nanoseconds it measured. */
static const char *const part_type[] = { "cpu", "offcpu" };

struct wall_state {
	void *priv[NPARTS];
};

static const struct option wall_longopts[] = {
	{ "freq", required_argument, NULL, 'F' },
	{ "state", required_argument, NULL, 1101 },	/* offcpu's option numbers */
	{ "min-block", required_argument, NULL, 1102 },
	{ "max-block", required_argument, NULL, 1103 },
	{ "max-stacks", required_argument, NULL, 1104 },
	{ NULL, 0, NULL, 0 },
};

static int wall_parse(struct settings *s, int opt, const char *arg)
{
	return opt == 'F' ? cpu_collector.parse(s, opt, arg) : offcpu_collector.parse(s, opt, arg);
}

static int wall_validate(struct settings *s)
{
	/* Wall-clock time: waiting for a CPU is part of it. */
	if (!s->offcpu_state)
		s->offcpu_state = "all";
	for (size_t i = 0; i < NPARTS; i++) {
		int err = parts[i]->validate(s);

		if (err)
			return err;
	}
	return 0;
}

/* Run a part's hook with its own state in session->priv. */
#define WITH_PART(ss, w, i, call)			\
	do {						\
		(ss)->priv = (w)->priv[i];		\
		call;					\
		(w)->priv[i] = (ss)->priv;		\
		(ss)->priv = (w);			\
	} while (0)

static int wall_start(struct session *ss)
{
	struct wall_state *w = xcalloc(1, sizeof(*w));
	int err = 0;

	ss->priv = w;
	for (size_t i = 0; i < NPARTS && !err; i++)
		WITH_PART(ss, w, i, err = parts[i]->start(ss));
	return err;
}

static void wall_stop(struct session *ss)
{
	struct wall_state *w = ss->priv;

	if (!w)
		return;
	for (size_t i = 0; i < NPARTS; i++)
		WITH_PART(ss, w, i, parts[i]->stop(ss));
}

static void wall_tick(struct session *ss)
{
	struct wall_state *w = ss->priv;

	for (size_t i = 0; i < NPARTS; i++)
		if (parts[i]->tick)
			WITH_PART(ss, w, i, parts[i]->tick(ss));
}

/* Append src's samples to dst: src column "from" becomes dst columns 0 and col. */
static void merge(struct profile *dst, const struct profile *src, int from, int col)
{
	uint32_t ids[2 * MAX_STACK_DEPTH + 2];

	for (size_t s = 0; s < src->nsamples; s++) {
		const struct sample *smp = &src->samples[s];
		const uint32_t *fr = profile_sample_frames(src, s);
		int64_t vals[ARRAY_SIZE(columns)] = {};
		uint32_t n = 0;

		for (uint32_t i = 0; i < smp->nframes && n < ARRAY_SIZE(ids); i++) {
			const struct location *l = &src->locs[fr[i]];
			uint32_t id;

			id = profile_location_life(dst, l->kind, l->pid, l->life, l->addr, l->is_return);

			/* markers ([lost user stack]) are named by the collector already */
			if (l->name && !dst->locs[id].name) {
				dst->locs[id].name = profile_intern(dst, l->name);
				dst->locs[id].module = profile_intern(dst, l->module);
			}
			ids[n++] = id;
		}
		vals[0] = vals[col] = profile_value(src, s, from);
		profile_add_sample(dst, ids, n, smp->pid, sample_label(src, smp)->tid,
				   sample_label(src, smp)->comm, vals);
	}
	for (size_t i = 0; i < src->nlosses; i++)
		profile_add_loss(dst, src->losses[i].what, src->losses[i].count, src->losses[i].hint);
	/* offcpu's threads blocked at the start */
	for (size_t i = 0; i < src->ntables; i++) {
		const struct table *t = &src->tables[i];
		size_t k = profile_add_table(dst, t->title, t->ncols, t->cols);

		for (size_t r = 0; r < t->nrows; r++)
			profile_table_row(dst, k, (const char *const *)&t->cells[r * t->ncols]);
	}
}

static int wall_collect(struct session *ss, struct profile *p)
{
	struct wall_state *w = ss->priv;
	char event[256];
	int err = 0;

	for (size_t i = 0; i < ARRAY_SIZE(columns); i++)
		profile_add_type(p, columns[i], "nanoseconds");
	p->default_type = 0;
	snprintf(event, sizeof(event), "wall-clock time: cpu-clock samples at %d Hz (1/%d s each) "
		 "+ off-CPU time from sched_switch (%s)", ss->set->freq, ss->set->freq,
		 strcmp(ss->set->offcpu_state, "all") ? "blocking only" : "preemption too");
	p->event = profile_intern(p, event);
	p->traced_stacks = true;	/* its off-CPU part's */

	for (size_t i = 0; i < NPARTS && !err; i++) {
		struct profile *part = profile_new();

		WITH_PART(ss, w, i, err = parts[i]->collect(ss, part));
		if (!err)
			merge(p, part, profile_find_type(part, part_type[i]), i + 1);
		profile_free(part);
	}
	return err;
}

static void wall_destroy(struct session *ss)
{
	struct wall_state *w = ss->priv;

	if (!w)
		return;
	for (size_t i = 0; i < NPARTS; i++)
		WITH_PART(ss, w, i, parts[i]->destroy(ss));
	free(w);
	ss->priv = NULL;
}

const struct collector wall_collector = {
	.name = "wall",
	.summary = "wall-clock time: on-CPU samples and off-CPU time in one profile",
	.usage =
		"  -F, --freq HZ          on-CPU samples per second per CPU (default 99);\n"
		"                         each weighs 1/HZ s\n"
		"      --state STATE      off-CPU time counted: all (default: blocking and\n"
		"                         waiting for a CPU after preemption) or blocked\n"
		"      --min-block US     count only off-CPU periods of at least US microseconds\n"
		"      --max-block US     count only off-CPU periods of at most US microseconds\n"
		"      --max-stacks N     room for N unique stacks in the kernel, per part\n"
		"Values are nanoseconds of wall-clock time per stack.\n"
		"With -p/-t, threads blocked since before the run count from its start.\n"
		"The report (-f report) ranks the off-CPU part's wait reasons and blocking\n"
		"call sites, as offcpu's does.\n"
		"Sample types (--value): wall (on + off CPU, default), cpu (on-CPU only),\n"
		"offcpu (off-CPU only); all in nanoseconds\n",
	.default_format = "folded",
	.value_names = "wall cpu offcpu",
	.no_samples = "no target thread ran or waited: check the PID with 'ps -T -p PID', "
		"or try a longer -d",
	.shortopts = "F:",
	.longopts = wall_longopts,
	.parse = wall_parse,
	.validate = wall_validate,
	.start = wall_start,
	.stop = wall_stop,
	.tick = wall_tick,
	.collect = wall_collect,
	.destroy = wall_destroy,
};
