// SPDX-License-Identifier: GPL-2.0
/*
 * profiler record's combined report: what each collector measured, in one
 * line each, the recommendations over all the profiles (src/analysis/),
 * then each collector's own report without its own recommendations.
 */
#include <errno.h>
#include <string.h>

#include "analysis/advice.h"
#include "output/output.h"
#include "session/record_report.h"
#include "util/util.h"

static void summary_line(FILE *f, const struct profile *p, const char *name)
{
	const struct sample_type *t = &p->types[p->default_type];
	char b1[64], b2[64];
	uint64_t lost = 0;

	for (size_t i = 0; i < p->nlosses; i++)
		lost += p->losses[i].count;
	fprintf(f, "  %-8s %14s %-14s %10s stacks%s%s\n", name,
		fmt_value(b1, sizeof(b1), t->unit, profile_total(p, p->default_type)),
		strcmp(t->unit, "count") ? t->name : t->name,
		fmt_count(b2, sizeof(b2), p->nsamples), lost ? ", losses: " : "",
		lost ? fmt_count(b1, sizeof(b1), lost) : "");
}

int record_write_report(FILE *f, struct profile *const *profiles, const char *const *names,
			int n, const struct settings *s)
{
	struct write_opts wo;
	int err = 0;

	fprintf(f, "profiler record: %d collector%s, %.2f s\n", n, n == 1 ? "" : "s",
		n ? profiles[0]->duration_ns / 1e9 : 0.0);
	for (int i = 0; i < n; i++)
		summary_line(f, profiles[i], names[i]);
	/* one set of findings over every signal, ranked together: a section
	 * per collector would repeat the run-wide ones */
	if (!s->no_advice) {
		struct advice a = {};

		if (advice_run(profiles, n, &a) >= 0)
			advice_write(f, &a);
		advice_free(&a);
	}
	for (int i = 0; i < n && !err; i++) {
		fprintf(f, "\n==== %s ====\n", names[i]);
		write_opts_init(&wo, s, profiles[i]);
		wo.no_advice = true;
		err = write_report(profiles[i], &wo, f);
	}
	if (!err && ferror(f))
		err = -EIO;
	return err;
}
