// SPDX-License-Identifier: GPL-2.0
/*
 * Memory rules: the allocation rate and its top sites, outstanding memory
 * a site keeps (a likely leak), and where page faults concentrate.  Over
 * the types alloc_objects, alloc_space, inuse_objects, inuse_space,
 * inuse_age and faults, whoever made them.  A site is the program's own
 * function that called the allocator (own_frame), so that two stacks
 * through one function are one site.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/rules.h"
#include "util/util.h"

enum { A_N, A_B, I_N, I_B };	/* tally columns */

struct mem {
	const struct profile *p;
	int t[4];		/* alloc_objects, alloc_space, inuse_objects, inuse_space */
	int age;		/* inuse_age, or -1 */
	struct tally sites;
};

static const char *bytes(char *buf, size_t size, double v)
{
	return fmt_value(buf, size, "bytes", v);
}

/* The oldest outstanding object of a site: the largest inuse_age of its stacks. */
static int64_t site_age(const struct mem *m, const struct tally_row *r)
{
	const struct profile *p = m->p;
	int64_t age = 0;

	for (size_t s = 0; s < p->nsamples && m->age >= 0; s++) {
		const struct location *l = own_frame(p, s);

		if (l && l->name == r->k1 && l->module == r->k2)
			age = MAX(age, profile_value(p, s, m->age));
	}
	return age;
}

static void rate_rule(struct mem *m, struct advice *a, double secs)
{
	const struct profile *p = m->p;
	double objs = profile_total(p, m->t[A_N]), by = profile_total(p, m->t[A_B]);
	double ro = objs / secs, rb = by / secs;
	bool by_objects = ro / ALLOC_RATE_OBJECTS >= rb / ALLOC_RATE_BYTES;
	int col = by_objects ? A_N : A_B;
	double total = by_objects ? objs : by;
	char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32], fb[512], list[3][600];
	char *title, *ev, *next;
	const struct tally_row *top;
	double avg, kept;

	if (ro < ALLOC_RATE_OBJECTS && rb < ALLOC_RATE_BYTES)
		return;
	tally_sort(&m->sites, col);
	if (!m->sites.n)
		return;
	for (size_t i = 0; i < 3; i++)
		list[i][0] = '\0';
	for (size_t i = 0; i < m->sites.n && i < 3; i++) {
		const struct tally_row *r = &m->sites.rows[i];

		snprintf(list[i], sizeof(list[i]), "%s%s %s %s (%.1f%%, %s each)", i ? "; " : "",
			 frame_label(fb, sizeof(fb), own_frame(p, r->sample)),
			 fmt_count(b1, sizeof(b1), r->v[A_N]), by_objects ? "objects" : "bytes",
			 share_pct(r->v[col], total), bytes(b2, sizeof(b2),
			 r->v[A_N] ? (double)r->v[A_B] / r->v[A_N] : 0));
		if (!by_objects)	/* say the bytes, not their count */
			snprintf(list[i], sizeof(list[i]), "%s%s %s (%.1f%%, %s objects)",
				 i ? "; " : "", frame_label(fb, sizeof(fb), own_frame(p, r->sample)),
				 bytes(b2, sizeof(b2), r->v[A_B]), share_pct(r->v[col], total),
				 fmt_count(b1, sizeof(b1), r->v[A_N]));
	}
	top = &m->sites.rows[0];
	avg = top->v[A_N] ? (double)top->v[A_B] / top->v[A_N] : 0;
	kept = top->v[A_N] ? (double)top->v[I_N] / top->v[A_N] : 0;
	frame_label(fb, sizeof(fb), own_frame(p, top->sample));
	if (by_objects)
		title = strf("%s allocations a second, %.1f%% of them from %s",
			     fmt_count(b1, sizeof(b1), (uint64_t)ro), share_pct(top->v[A_N], objs), fb);
	else
		title = strf("%s/s allocated, %.1f%% of it by %s", bytes(b1, sizeof(b1), rb),
			     share_pct(top->v[A_B], by), fb);
	ev = strf("%s objects, %s in %.2f s: %s objects/s (threshold %s) and %s/s (threshold %s); "
		  "top sites: %s%s%s", fmt_count(b1, sizeof(b1), (uint64_t)objs),
		  bytes(b2, sizeof(b2), by), secs, fmt_count(b3, sizeof(b3), (uint64_t)ro),
		  fmt_count(b4, sizeof(b4), (uint64_t)ALLOC_RATE_OBJECTS), bytes(b5, sizeof(b5), rb),
		  bytes(b6, sizeof(b6), ALLOC_RATE_BYTES), list[0], list[1], list[2]);
	if (kept < 0.10)
		next = strf("%s frees %.0f%% of what it allocates (%s each): reuse one buffer or a "
			    "pool across calls instead of a malloc and a free each time%s",
			    (const char *)top->k1, 100 * (1 - kept), bytes(b1, sizeof(b1), avg),
			    avg <= 256 ? ", or keep objects this small on the stack" : "");
	else
		next = strf("%s keeps %.0f%% of what it allocates, %s at a time: allocate them in "
			    "bulk (one array, or an arena) instead of one by one",
			    (const char *)top->k1, 100 * kept, bytes(b1, sizeof(b1), avg));
	advice_add(a, "mem-alloc-rate", false, by_objects ? ro : rb,
		   by_objects ? ALLOC_RATE_OBJECTS : ALLOC_RATE_BYTES, title, ev, next);
}

static void leak_rule(struct mem *m, struct advice *a)
{
	const struct profile *p = m->p;
	char b1[32], b2[32], b3[32], fb[512], cb[512], extra[160];
	char *title, *ev, *next;

	tally_sort(&m->sites, I_B);
	for (size_t i = 0; i < m->sites.n; i++) {
		const struct tally_row *r = &m->sites.rows[i];
		double kept = r->v[A_N] ? (double)r->v[I_N] / r->v[A_N] : 0;
		const struct location *site = own_frame(p, r->sample);
		int64_t age = site_age(m, r);
		const struct sample *smp = &p->samples[r->sample];
		const struct location *up = NULL;

		if (r->v[I_B] < LEAK_MIN_BYTES)
			break;	/* sorted: the rest hold less */
		if (r->v[I_N] < LEAK_MIN_OBJECTS || kept < LEAK_KEPT_SHARE)
			continue;
		/* who called the site: where its objects' owner lives */
		for (uint32_t k = 0; k + 1 < smp->nframes && !up; k++)
			if (&p->locs[p->frames[smp->first + k]] == site)
				up = &p->locs[p->frames[smp->first + k + 1]];
		frame_label(fb, sizeof(fb), site);
		extra[0] = '\0';
		if (age > 0)
			snprintf(extra, sizeof(extra), "; the oldest has lived %.2f s", age / 1e9);
		title = strf("%s holds %s in %s objects it never freed: a likely leak", fb,
			     bytes(b1, sizeof(b1), r->v[I_B]), fmt_count(b2, sizeof(b2), r->v[I_N]));
		ev = strf("%s outstanding at the end (threshold %s), %.1f%% of the %s objects it "
			  "allocated still live (threshold %.0f%%, at least %d objects)%s",
			  bytes(b1, sizeof(b1), r->v[I_B]), bytes(b3, sizeof(b3), LEAK_MIN_BYTES),
			  100 * kept, fmt_count(b2, sizeof(b2), r->v[A_N]), 100 * LEAK_KEPT_SHARE,
			  LEAK_MIN_OBJECTS, extra);
		next = strf("find where the objects %s allocates should be freed%s%s: the owner "
			    "that drops them; run again for twice as long: a leak holds about twice "
			    "as much", site->name, up ? ", starting in its caller " : "",
			    up ? frame_label(cb, sizeof(cb), up) : "");
		advice_add(a, "mem-leak", false, (double)r->v[I_B], LEAK_MIN_BYTES, title, ev, next);
	}
}

static void alloc_rules(const struct profile *p, struct advice *a)
{
	struct mem m = { .p = p };
	static const char *const names[] = { "alloc_objects", "alloc_space", "inuse_objects",
					     "inuse_space" };
	static const char *const units[] = { "count", "bytes", "count", "bytes" };
	double secs = profile_secs(p);

	for (int k = 0; k < 4; k++)
		if ((m.t[k] = type_index(p, names[k], units[k])) < 0)
			return;
	m.age = type_index(p, "inuse_age", "nanoseconds");
	for (size_t s = 0; s < p->nsamples; s++) {
		const struct location *l = own_frame(p, s);

		if (l)
			tally_add(&m.sites, l->name, l->module, s, (int64_t[4]){
				profile_value(p, s, m.t[0]), profile_value(p, s, m.t[1]),
				profile_value(p, s, m.t[2]), profile_value(p, s, m.t[3]) });
	}
	if (secs > 0)
		rate_rule(&m, a, secs);
	leak_rule(&m, a);
	tally_free(&m.sites);
}

void rule_mem(const struct profile *p, struct advice *a)
{
	alloc_rules(p, a);
}

void rule_faults(const struct profile *p, struct advice *a)
{
	int t = type_index(p, "faults", "count");
	struct tally where = {};
	int64_t total;
	char fb[512], cb[512], b1[32], b2[32], b3[32], extra[64];
	char *title, *ev, *next;
	double secs = profile_secs(p);

	if (t < 0 || (total = profile_total(p, t)) < FAULT_MIN_COUNT)
		return;
	for (size_t s = 0; s < p->nsamples; s++) {
		const struct location *l = leaf_frame(p, s);

		if (l)
			tally_add(&where, l->name, l->module, s,
				  (int64_t[4]){ profile_value(p, s, t) });
	}
	tally_sort(&where, 0);
	for (size_t i = 0; i < where.n && i < CPU_MAX_FUNCS; i++) {
		const struct tally_row *r = &where.rows[i];
		const struct location *l = leaf_frame(p, r->sample), *own = own_frame(p, r->sample);
		double share = (double)r->v[0] / total;
		bool alloc = frame_is_system(l) && strstr(l->name, "alloc");

		if (share < FAULT_SITE_SHARE)
			break;
		frame_label(fb, sizeof(fb), l);
		if (own && own != l)
			frame_label(cb, sizeof(cb), own);
		else
			cb[0] = '\0';
		extra[0] = '\0';
		if (secs > 0)
			snprintf(extra, sizeof(extra), ", %s faults/s",
				 fmt_count(b3, sizeof(b3), (uint64_t)(total / secs)));
		title = strf("%s takes %.1f%% of the page faults%s%s", fb, 100 * share,
			     cb[0] ? ", for " : "", cb);
		ev = strf("%s of %s faults%s%s%s (threshold %.0f%% of at least %s)",
			  fmt_count(b1, sizeof(b1), r->v[0]), fmt_count(b2, sizeof(b2), total), extra,
			  cb[0] ? ", called from " : "", cb, 100 * FAULT_SITE_SHARE,
			  fmt_count(b3, sizeof(b3), FAULT_MIN_COUNT));
		if (alloc)
			next = strf("the allocator is touching fresh heap pages%s%s: reuse freed "
				    "memory instead of growing the heap (mallopt's M_TRIM_THRESHOLD "
				    "and M_MMAP_THRESHOLD keep it), or allocate once up front",
				    cb[0] ? " for " : "", cb);
		else
			next = strf("%s touches pages for the first time: reuse its buffers instead "
				    "of new ones, or populate them once in advance (MAP_POPULATE, "
				    "madvise MADV_POPULATE_WRITE)", l->name);
		advice_add(a, "mem-faults", false, share, FAULT_SITE_SHARE, title, ev, next);
	}
	tally_free(&where);
}
