// SPDX-License-Identifier: GPL-2.0
/*
 * CPU rules, over any profile with a "cpu" type in nanoseconds (cpu,
 * wall): a function that runs much of the CPU by itself, a call path that
 * holds most of it, and time in the kernel with the system calls behind it.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/rules.h"
#include "util/idxmap.h"
#include "util/util.h"

struct cpu {
	const struct profile *p;
	int t;			/* the cpu type */
	int64_t total;
	int64_t nsamples;	/* -1: the profile does not say */
};

/* How many samples stand behind v nanoseconds of CPU, or -1. */
static int64_t samples_of(const struct cpu *c, int64_t v)
{
	if (c->nsamples < 0 || !c->total)
		return -1;
	return (int64_t)((double)v * c->nsamples / c->total + 0.5);
}

static const char *cpu_figure(const struct cpu *c, int64_t v, char *buf, size_t size)
{
	int64_t n = samples_of(c, v);
	char b1[32], b2[32];

	if (n < 0)
		snprintf(buf, size, "%.3f s of %.3f s CPU", v / 1e9, c->total / 1e9);
	else
		snprintf(buf, size, "%s of %s samples (%.3f s of %.3f s CPU)",
			 fmt_count(b1, sizeof(b1), n), fmt_count(b2, sizeof(b2), c->nsamples),
			 v / 1e9, c->total / 1e9);
	return buf;
}

/* The frame after the leaf (its caller) in sample s, or NULL. */
static const struct location *caller_of(const struct profile *p, size_t s)
{
	const struct sample *smp = &p->samples[s];
	bool leaf = false;

	for (uint32_t i = 0; i < smp->nframes; i++) {
		const struct location *l = &p->locs[p->frames[smp->first + i]];

		if (l->kind == FRAME_GROUP)
			continue;
		if (leaf)
			return l;
		leaf = true;
	}
	return NULL;
}

static void self_rule(const struct cpu *c, struct tally *self, struct advice *a)
{
	const struct profile *p = c->p;

	for (size_t s = 0; s < p->nsamples; s++) {
		const struct location *l = leaf_frame(p, s);
		int64_t v = profile_value(p, s, c->t);

		/* kernel leaves are cpu-kernel's, by the system call behind them */
		if (l && v > 0 && l->kind != FRAME_KERNEL)
			tally_add(self, l->name, l->module, s, (int64_t[4]){ v });
	}
	tally_sort(self, 0);
	for (size_t i = 0; i < self->n && i < CPU_MAX_FUNCS; i++) {
		const struct tally_row *r = &self->rows[i];
		const struct location *l = leaf_frame(p, r->sample), *up = caller_of(p, r->sample);
		const struct location *own = own_frame(p, r->sample);
		double share = (double)r->v[0] / c->total;
		char fb[512], cb[512], nb[128];
		char *next;

		if (share < CPU_SELF_SHARE)
			break;
		frame_label(fb, sizeof(fb), l);
		if (frame_is_system(l) && own && own != l) {
			next = strf("%s is a library's: the time is in how often %s calls it; "
				    "call it less often there, or with more work per call",
				    l->name, frame_label(cb, sizeof(cb), own));
		} else {
			next = strf("rerun with --lines to see which source lines of %s take the "
				    "time, then make that code cheaper or call %s less often%s%s",
				    l->name, l->name, up ? " from " : "",
				    up ? up->name : "");
		}
		advice_add(a, "cpu-self", false, share, CPU_SELF_SHARE,
			   strf("%s runs %.1f%% of the CPU time itself", fb, 100 * share),
			   strf("%s with it as the leaf, threshold %.0f%%; mostly called from %s",
				cpu_figure(c, r->v[0], nb, sizeof(nb)), 100 * CPU_SELF_SHARE,
				up ? frame_label(cb, sizeof(cb), up) : "nowhere (a root)"),
			   next);
	}
}

/*
 * The frame at depth d from the root of sample s (0: the root), or NULL.
 * Kernel frames end the path: time in them is cpu-kernel's, by system call.
 */
static const struct location *at_depth(const struct profile *p, size_t s, uint32_t d)
{
	const struct sample *smp = &p->samples[s];
	const struct location *l;

	if (d >= smp->nframes)
		return NULL;
	l = &p->locs[p->frames[smp->first + smp->nframes - 1 - d]];
	return l->kind == FRAME_KERNEL ? NULL : l;
}

/*
 * From the roots down, follow the heaviest frame while it holds at least
 * CPU_PATH_SHARE of the CPU: where that stops, the work divides.
 */
static void path_rule(const struct cpu *c, const struct tally *self, struct advice *a)
{
	const struct profile *p = c->p;
	size_t *act = xmalloc((p->nsamples + 1) * sizeof(*act)), nact = 0;
	const struct location *path[32];
	struct tally kids = {};
	uint32_t d = 0;
	int64_t pathv = c->total, selfv = 0;
	char fb[512], kb[3][512], nb[128], tail[1024], *split;
	int off = 0;

	for (size_t s = 0; s < p->nsamples; s++)
		if (profile_value(p, s, c->t) > 0)
			act[nact++] = s;
	for (;; d++) {
		size_t keep = 0;

		tally_free(&kids);
		selfv = 0;
		for (size_t i = 0; i < nact; i++) {
			const struct location *l = at_depth(p, act[i], d);
			int64_t v = profile_value(p, act[i], c->t);

			if (l)
				tally_add(&kids, l->name, l->module, act[i], (int64_t[4]){ v });
			else
				selfv += v;
		}
		tally_sort(&kids, 0);
		if (!kids.n || kids.rows[0].v[0] < CPU_PATH_SHARE * c->total)
			break;
		path[d % ARRAY_SIZE(path)] = at_depth(p, kids.rows[0].sample, d);
		pathv = kids.rows[0].v[0];
		for (size_t i = 0; i < nact; i++) {
			const struct location *l = at_depth(p, act[i], d);

			if (l && l->name == path[d % ARRAY_SIZE(path)]->name &&
			    l->module == path[d % ARRAY_SIZE(path)]->module)
				act[keep++] = act[i];
		}
		nact = keep;
	}
	/* d frames on the path; kids are the last one's callees, selfv its own */
	if (d && (double)pathv / c->total < CPU_PATH_WHOLE) {
		const struct location *end = path[(d - 1) % ARRAY_SIZE(path)];

		for (size_t i = 0; i < self->n; i++)
			if (self->rows[i].k1 == end->name && self->rows[i].k2 == end->module &&
			    self->rows[i].v[0] >= CPU_SELF_SHARE * c->total)
				goto out;	/* cpu-self says it */
		/* the last three frames of the path are what a reader looks for */
		if (d > 3)
			off = snprintf(tail, sizeof(tail), "... > ");
		for (uint32_t k = d > 3 ? d - 3 : 0; k < d && off < (int)sizeof(tail); k++)
			off += snprintf(tail + off, sizeof(tail) - off, "%s%s",
					path[k % ARRAY_SIZE(path)]->name, k + 1 < d ? " > " : "");
		for (int k = 0; k < 3; k++)
			kb[k][0] = '\0';
		for (size_t k = 0; k < kids.n && k < 3; k++)
			snprintf(kb[k], sizeof(kb[k]), ", %s %.1f%%",
				 at_depth(p, kids.rows[k].sample, d)->name,
				 share_pct(kids.rows[k].v[0], c->total));
		split = strf("%s itself %.1f%%%s%s%s", end->name, share_pct(selfv, c->total),
			     kb[0], kb[1], kb[2]);
		advice_add(a, "cpu-path", false, (double)pathv / c->total, CPU_PATH_SHARE,
			   strf("the call path %s holds %.1f%% of the CPU time",
				tail, share_pct(pathv, c->total)),
			   strf("%s under %s, threshold %.0f%% (no single function past %.0f%% by "
				"itself); it divides: %s", cpu_figure(c, pathv, nb, sizeof(nb)),
				frame_label(fb, sizeof(fb), end), 100 * CPU_PATH_SHARE,
				100 * CPU_SELF_SHARE, split),
			   strf("%s is where the time divides: work down its callees in that order "
				"(the flame graph, -f svg, shows them under it), or call %s less often",
				end->name, end->name));
		free(split);
	}
out:
	tally_free(&kids);
	free(act);
}

struct cause {
	char name[64];
	int64_t v, best;
	size_t sample;
};

/*
 * What each distinct stack came to (a cause's index), found once: samples
 * of one stack share its frames (sample.first), and under churn thousands
 * of processes' samples have the same few stacks.  Walking each sample's
 * kernel frames by name was 2.5% of a 30 s churn run's CPU, at its end.
 */
struct stack_memo {
	struct idxmap index;
	struct memo_row {
		uint32_t first, what;
	} *rows;
	size_t n, cap;
};

struct memo_key {
	const struct stack_memo *m;
	uint32_t first;
};

static bool memo_eq(const void *ctx, uint32_t idx)
{
	const struct memo_key *k = ctx;

	return k->m->rows[idx].first == k->first;
}

/* What sample's stack came to, or -1 when it is new. */
static int64_t memo_find(const struct stack_memo *m, const struct profile *p, size_t sample)
{
	struct memo_key k = { m, p->samples[sample].first };
	int64_t i = idxmap_find(&m->index, hash_u64(k.first), memo_eq, &k);

	return i < 0 ? -1 : (int64_t)m->rows[i].what;
}

static void memo_add(struct stack_memo *m, const struct profile *p, size_t sample, uint32_t what)
{
	GROW(m->rows, m->cap, m->n + 1);
	m->rows[m->n] = (struct memo_row){ p->samples[sample].first, what };
	idxmap_insert(&m->index, hash_u64(m->rows[m->n].first), (uint32_t)m->n);
	m->n++;
}

static void memo_free(struct stack_memo *m)
{
	idxmap_free(&m->index);
	free(m->rows);
}

/* A system library's function and the system call it was seen making. */
struct wrapper_call {
	const char *wrapper;	/* interned in the profile */
	char call[64];
};

/*
 * A sample in the call's entry or exit work has no kernel frame that
 * names the call, only the libc function that made it (__libc_pwrite);
 * another sample of the same function inside the call names it
 * (pwrite64).  Those pairs, so both count as one cause.
 */
static size_t wrapper_calls(const struct profile *p, int t, struct wrapper_call **out)
{
	struct wrapper_call *w = NULL;
	struct stack_memo seen = {};
	size_t n = 0, cap = 0;
	char buf[64];

	for (size_t s = 0; s < p->nsamples; s++) {
		const struct location *l = leaf_frame(p, s);
		const char *wrapper, *why;
		size_t i;

		if (!l || l->kind != FRAME_KERNEL || profile_value(p, s, t) <= 0 ||
		    memo_find(&seen, p, s) >= 0)
			continue;
		memo_add(&seen, p, s, 0);
		if (!(wrapper = syscall_wrapper(p, s)))
			continue;
		why = kernel_cause(p, s, buf, sizeof(buf));
		if (why != buf || !strcmp(why, wrapper) || !strcmp(why, "system call entry/exit"))
			continue;	/* not a call named by the kernel's frames */
		for (i = 0; i < n && w[i].wrapper != wrapper; i++)
			;
		if (i < n)
			continue;	/* the first seen stands */
		GROW(w, cap, n + 1);
		w[n].wrapper = wrapper;
		snprintf(w[n++].call, sizeof(w->call), "%s", why);
	}
	memo_free(&seen);
	*out = w;
	return n;
}

static void kernel_rule(const struct cpu *c, struct advice *a)
{
	const struct profile *p = c->p;
	struct cause *cs = NULL;
	size_t n = 0, cap = 0;
	int64_t kern = 0;
	char buf[64], lb[512], kb[512], nb[128], list[3][96], *next;
	const struct location *own;
	struct wrapper_call *wc;
	struct stack_memo memo = {};
	size_t nwc = wrapper_calls(p, c->t, &wc);
	double share;

	for (size_t s = 0; s < p->nsamples; s++) {
		const struct location *l = leaf_frame(p, s);
		int64_t v = profile_value(p, s, c->t), known;
		const char *why, *wrapper;
		size_t i;

		if (!l || l->kind != FRAME_KERNEL || v <= 0)
			continue;
		kern += v;
		if ((known = memo_find(&memo, p, s)) >= 0) {
			i = (size_t)known;
		} else {
			why = kernel_cause(p, s, buf, sizeof(buf));
			wrapper = syscall_wrapper(p, s);
			for (i = 0; wrapper && i < nwc; i++)
				if (wc[i].wrapper == wrapper && !strcmp(why, wrapper))
					why = wc[i].call;
			for (i = 0; i < n && strcmp(cs[i].name, why); i++)
				;
			if (i == n) {
				GROW(cs, cap, n + 1);
				cs[n] = (struct cause){ .best = -1 };
				snprintf(cs[n++].name, sizeof(cs->name), "%s", why);
			}
			memo_add(&memo, p, s, (uint32_t)i);
		}
		cs[i].v += v;
		if (v > cs[i].best) {
			cs[i].best = v;
			cs[i].sample = s;
		}
	}
	share = c->total ? (double)kern / c->total : 0;
	if (share < CPU_KERNEL_SHARE || !n)
		goto out;
	/* the three heaviest causes, largest first */
	for (size_t i = 0; i < n && i < 3; i++) {
		size_t m = i;

		for (size_t j = i + 1; j < n; j++)
			if (cs[j].v > cs[m].v)
				m = j;
		struct cause tmp = cs[i];
		cs[i] = cs[m];
		cs[m] = tmp;
	}
	for (size_t i = 0; i < 3; i++)
		list[i][0] = '\0';
	for (size_t i = 0; i < n && i < 3; i++)
		snprintf(list[i], sizeof(list[i]), "%s%s %.1f%%", i ? ", " : "", cs[i].name,
			 share_pct(cs[i].v, kern));
	own = own_frame(p, cs[0].sample);
	if (!strcmp(cs[0].name, "page faults"))
		next = strf("run profiler mem --faults on it: it names the code that touches "
			    "new pages%s%s", own ? ", here from " : "",
			    own ? frame_label(lb, sizeof(lb), own) : "");
	else if (!strcmp(cs[0].name, "interrupts"))
		next = strf("the kernel is handling interrupts on these CPUs, not the program's "
			    "calls: /proc/interrupts shows which device; move its IRQs to other CPUs");
	else if (!strcmp(cs[0].name, "kernel threads"))
		next = strf("kernel threads take it, not a program's calls: its heaviest stack "
			    "ends in %s; see what queues that work (writeback, RCU, network)",
			    frame_label(lb, sizeof(lb), leaf_frame(p, cs[0].sample)));
	else if (!strcmp(cs[0].name, "other kernel work"))
		next = strf("it is behind no one system call: its heaviest stack ends in %s%s%s; "
			    "the flame graph (-f svg) shows the kernel frames above it",
			    frame_label(kb, sizeof(kb), leaf_frame(p, cs[0].sample)),
			    own ? ", for " : "", own ? frame_label(lb, sizeof(lb), own) : "");
	else
		next = strf("make fewer %s calls%s%s: bigger buffers, batching, or keeping "
			    "the answer instead of asking again", cs[0].name,
			    own ? " from " : "", own ? frame_label(lb, sizeof(lb), own) : "");
	advice_add(a, "cpu-kernel", false, share, CPU_KERNEL_SHARE,
		   strf("%.1f%% of the CPU time is in the kernel, most for %s", 100 * share,
			cs[0].name),
		   strf("%s in kernel code, threshold %.0f%%; by cause: %s%s%s",
			cpu_figure(c, kern, nb, sizeof(nb)), 100 * CPU_KERNEL_SHARE, list[0], list[1], list[2]),
		   next);
out:
	memo_free(&memo);
	free(cs);
	free(wc);
}

void rule_cpu(const struct profile *p, struct advice *a)
{
	struct cpu c = { .p = p, .t = type_index(p, "cpu", "nanoseconds"), .nsamples = -1 };
	struct tally self = {};
	int st;

	if (c.t < 0 || (c.total = profile_total(p, c.t)) <= 0)
		return;
	st = type_index(p, "samples", "count");
	if (st >= 0)
		c.nsamples = profile_total(p, st);
	else if (p->period > 0 && !strcmp(p->period_type.unit, "nanoseconds"))
		c.nsamples = c.total / p->period;
	if (c.nsamples >= 0 && c.nsamples < CPU_MIN_SAMPLES) {
		advice_add(a, "cpu-few-samples", true, (double)c.nsamples, CPU_MIN_SAMPLES,
			   strf("only %lld CPU samples: no CPU finding is drawn from so few",
				(long long)c.nsamples),
			   strf("%lld samples, fewer than %d: a 20%% share of so few is uncertain "
				"by 9 points or more (sqrt(0.2 x 0.8 / n))", (long long)c.nsamples,
				CPU_MIN_SAMPLES),
			   strf("profile for longer (-d) or at a higher rate (-F) to get at least "
				"%d samples", CPU_MIN_SAMPLES));
		return;
	}
	self_rule(&c, &self, a);
	path_rule(&c, &self, a);
	kernel_rule(&c, a);
	tally_free(&self);
}
