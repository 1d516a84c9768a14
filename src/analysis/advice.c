// SPDX-License-Identifier: GPL-2.0
/*
 * The rules engine: every rule over every profile of a run, findings
 * ranked, and the "Recommendations" section a report ends with.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/rules.h"
#include "util/util.h"

typedef void (*rule_fn)(const struct profile *p, struct advice *a);

static const rule_fn rules[] = {
	rule_cpu, rule_mem, rule_faults, rule_locks, rule_offcpu, rule_fsync, rule_io,
	rule_quality,
};

char *strf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s) {
		pr_err("out of memory");
		exit(1);
	}
	return s;
}

void advice_add(struct advice *a, const char *rule, bool warning, double figure, double threshold,
		char *title, char *evidence, char *next)
{
	GROW(a->v, a->cap, a->n + 1);
	a->v[a->n++] = (struct finding){ rule, warning, figure, threshold, title, evidence, next };
}

static double impact(const struct finding *f)
{
	return f->threshold > 0 ? f->figure / f->threshold : f->figure;
}

/*
 * Findings before warnings; then how many times its threshold each figure
 * is, which puts rules of different units on one scale (the thresholds
 * are each where a figure starts to be worth a look); then by name, so
 * that equal findings keep one order.
 */
static int cmp_finding(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	double ix = impact(x), iy = impact(y);

	if (x->warning != y->warning)
		return x->warning ? 1 : -1;
	if (ix != iy)
		return ix < iy ? 1 : -1;
	return strcmp(x->title, y->title);
}

int advice_run(struct profile *const *profiles, int n, struct advice *out)
{
	if (out)
		*out = (struct advice){};
	if (!out || n < 0 || (n && !profiles)) {
		pr_err("advice_run: bad arguments (%d profiles at %p, output %p)", n,
		       (const void *)profiles, (void *)out);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		if (!profiles[i])
			continue;
		for (size_t r = 0; r < ARRAY_SIZE(rules); r++)
			rules[r](profiles[i], out);
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_finding);
	return (int)out->n;
}

static void write_one(FILE *f, const struct finding *x, const char *mark)
{
	fprintf(f, "\n%s [%s] %s\n", mark, x->rule, x->title);
	fprintf(f, "     evidence: %s\n", x->evidence);
	fprintf(f, "     next:     %s\n", x->next);
}

void advice_write(FILE *f, const struct advice *a)
{
	size_t nfind = 0, k = 0;
	char mark[16];

	for (size_t i = 0; i < a->n; i++)
		nfind += !a->v[i].warning;
	if (!nfind)
		fprintf(f, "\nRecommendations: none (no rule's threshold was crossed; "
			"docs/advice.md lists them)\n");
	else
		fprintf(f, "\nRecommendations (%zu, ranked by impact: how far each figure is past "
			"its threshold):\n", nfind);
	for (size_t i = 0; i < a->n; i++) {
		if (a->v[i].warning)
			continue;
		snprintf(mark, sizeof(mark), "%3zu.", ++k);
		write_one(f, &a->v[i], mark);
	}
	if (a->n == nfind)
		return;
	fprintf(f, "\nWarnings about this profile (%zu):\n", a->n - nfind);
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].warning)
			write_one(f, &a->v[i], "   !");
}

void advice_free(struct advice *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].title);
		free(a->v[i].evidence);
		free(a->v[i].next);
	}
	free(a->v);
	*a = (struct advice){};
}

void advice_section(const struct profile *p, FILE *f)
{
	/* the rules only read: the cast is for advice_run's array of a run's profiles */
	struct profile *one = (struct profile *)p;
	struct advice a;

	if (advice_run(&one, 1, &a) >= 0)
		advice_write(f, &a);
	advice_free(&a);
}

void advice_warn_lines(const struct profile *p, const char *who, FILE *f)
{
	struct profile *one = (struct profile *)p;	/* the rules only read */
	struct advice a;

	if (advice_run(&one, 1, &a) > 0)
		for (size_t i = 0; i < a.n; i++)
			/* the summary has counted the losses already */
			if (a.v[i].warning && strcmp(a.v[i].rule, "quality-lost"))
				fprintf(f, "profiler %s: %s: %s\n", who, a.v[i].title, a.v[i].next);
	advice_free(&a);
}
