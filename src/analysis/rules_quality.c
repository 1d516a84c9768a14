// SPDX-License-Identifier: GPL-2.0
/*
 * The profile's own quality, as warnings: events lost, frames without a
 * name, stacks cut short.  Each weighs the profile's default type.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/rules.h"
#include "util/util.h"

static void losses(const struct profile *p, struct advice *a)
{
	uint64_t lost = 0;
	size_t worst = 0;
	int ct = -1;
	double events, share;
	char b1[32], b2[32], list[512], pct[32];
	int off = 0;

	for (size_t i = 0; i < p->nlosses; i++) {
		lost += p->losses[i].count;
		if (p->losses[i].count > p->losses[worst].count)
			worst = i;
	}
	if (!lost)
		return;
	/* what the losses compare with: the first count type, else any loss counts */
	for (int t = 0; t < p->ntypes && ct < 0; t++)
		if (!strcmp(p->types[t].unit, "count") && p->combine[t] == COMBINE_SUM)
			ct = t;
	events = ct >= 0 ? (double)profile_total(p, ct) : 0;
	share = (double)lost / (events + (double)lost);
	if (ct >= 0 && share < QUALITY_LOST_SHARE)
		return;
	list[0] = pct[0] = '\0';
	if (ct >= 0)
		snprintf(pct, sizeof(pct), ", %.1f%% of all", 100 * share);
	for (size_t i = 0; i < p->nlosses && off < (int)sizeof(list); i++)
		if (p->losses[i].count)
			off += snprintf(list + off, sizeof(list) - off, "%s%s %s", off ? "; " : "",
					fmt_count(b1, sizeof(b1), p->losses[i].count),
					p->losses[i].what);
	advice_add(a, "quality-lost", true, ct >= 0 ? share : 1, ct >= 0 ? QUALITY_LOST_SHARE : 1,
		   strf("the profile lost or cut %s events%s: figures above may be low by as much",
			fmt_count(b1, sizeof(b1), lost), pct),
		   ct >= 0 ? strf("%s (threshold %.0f%% of the %s %s)", list,
				  100 * QUALITY_LOST_SHARE, fmt_count(b2, sizeof(b2), (uint64_t)events),
				  p->types[ct].name)
			   : strf("%s (threshold: any, as the profile counts no events to compare "
				  "with)", list),
		   strf("%s", p->losses[worst].hint ? p->losses[worst].hint
			: "profile for less time, or fewer processes (-p instead of -a)"));
}

/* The share of the default type's weight in samples where pred holds for
 * some frame (leaf only: leaf_only), and the module most of it is in. */
static double weigh(const struct profile *p, bool (*pred)(const struct location *),
		    bool leaf_only, const struct location **where)
{
	struct tally mods = {};
	int t = p->default_type;
	int64_t total = 0, hit = 0;
	/*
	 * pred's answer per location, asked once: under churn the run's
	 * profile has a sample per (process, stack), tens of thousands
	 * sharing a few thousand locations: the string tests for each frame
	 * of each were 18 of our 2,066 samples in 32 s of churn, now 5.
	 * 0: not asked yet.
	 */
	uint8_t *said = xcalloc(p->nlocs + 1, 1);

	*where = NULL;
	for (size_t s = 0; s < p->nsamples; s++) {
		const struct sample *smp = &p->samples[s];
		int64_t v = profile_value(p, s, t);

		if (v <= 0)
			continue;
		total += v;
		for (uint32_t i = 0; i < smp->nframes; i++) {
			uint32_t id = p->frames[smp->first + i];
			const struct location *l = &p->locs[id];

			if (l->kind == FRAME_GROUP)
				continue;
			if (!said[id])
				said[id] = pred(l) ? 2 : 1;
			if (said[id] == 2) {
				hit += v;
				/* the row's "sample" holds a location: one of the module */
				tally_add(&mods, l->module, NULL, id, (int64_t[4]){ v });
				break;
			}
			if (leaf_only)
				break;
		}
	}
	tally_sort(&mods, 0);
	if (mods.n)
		*where = &p->locs[mods.rows[0].sample];
	tally_free(&mods);
	free(said);
	return total > 0 ? (double)hit / total : 0;
}

static void unnamed(const struct profile *p, struct advice *a)
{
	const struct location *l;
	double share = weigh(p, frame_unnamed, true, &l);
	const char *m;
	char *next;

	if (share < QUALITY_UNNAMED_SHARE || !l)
		return;
	m = l->module ? l->module : "[unknown]";
	if (m[0] == '/')
		next = strf("%s has no symbols for these addresses: install its debug file (on "
			    "Debian its -dbgsym package) or rebuild it with -g, then profile again", m);
	/* a profile read back from folded text has no modules, but a JIT's
	 * frame keeps its name there */
	else if (!strcmp(m, "[anon]") || !strcmp(l->name, JIT_UNNAMED))
		next = strf("code in anonymous memory (a JIT): make the runtime write "
			    "/tmp/perf-PID.map (node --perf-basic-prof, for example)");
	else
		next = strf("the processes exited or changed their mappings before they were "
			    "read: profile them with -p or -- COMMAND from the start");
	advice_add(a, "quality-unnamed", true, share, QUALITY_UNNAMED_SHARE,
		   strf("%.1f%% of the %s has an unnamed leaf frame", 100 * share,
			p->types[p->default_type].name),
		   strf("leaf frames such as %s in %s (threshold %.0f%%)", l->name, m,
			100 * QUALITY_UNNAMED_SHARE),
		   next);
}

static void truncated(const struct profile *p, struct advice *a)
{
	const struct location *l;
	double share = weigh(p, frame_lost, false, &l);

	if (share < QUALITY_TRUNCATED_SHARE || !l)
		return;
	advice_add(a, "quality-truncated", true, share, QUALITY_TRUNCATED_SHARE,
		   strf("%.1f%% of the %s has stacks cut short", 100 * share,
			p->types[p->default_type].name),
		   strf("stacks ending in %s (threshold %.0f%%)", l->name,
			100 * QUALITY_TRUNCATED_SHARE),
		   strf("%s", strstr(l->name, "frame pointer")
			? "code built without frame pointers and without unwind tables: rebuild "
			  "it with -fno-omit-frame-pointer, or keep its .eh_frame"
			: "the kernel could not walk these stacks: --stats shows whether the "
			  "unwind tables or the stacks map ran out of room; raise what ran out"));
}

void rule_quality(const struct profile *p, struct advice *a)
{
	if (p->ntypes <= 0 || p->default_type < 0 || p->default_type >= p->ntypes)
		return;
	losses(p, a);
	unnamed(p, a);
	truncated(p, a);
}
