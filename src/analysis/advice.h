/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Recommendations: rules over profiles that say what to look at first.
 * A rule reads only what the profile model carries (sample types and
 * their units, frames, FRAME_GROUP frames, histograms, tables, losses),
 * never which collector made a profile, so one run of several collectors
 * and a saved profile read back are judged alike.
 *
 * Every finding carries the figure it measured, the threshold that
 * figure crossed, the culprit (function, stack, lock, disk, thread) and
 * one next step.  No figure past a threshold, no finding.  The rules and
 * their thresholds are listed in docs/advice.md.
 */
#ifndef PROFILER_ADVICE_H
#define PROFILER_ADVICE_H

#include <stdbool.h>
#include <stdio.h>

#include "model/profile.h"

struct finding {
	const char *rule;	/* its name in docs/advice.md: "cpu-self", ... */
	bool warning;		/* about the profile itself, not the program */
	double figure;		/* what was measured, in the threshold's terms */
	double threshold;	/* what it crossed */
	char *title;		/* the culprit and the figure, one line */
	char *evidence;		/* the numbers behind it */
	char *next;		/* one concrete next step */
};

struct advice {
	struct finding *v;
	size_t n, cap;
};

/*
 * Every rule over every profile of one run (n of them, any collectors;
 * only read, never changed),
 * findings ranked by impact: figure / threshold, largest first, warnings
 * about the profiles after the findings.  Returns the number of findings
 * and warnings, or -EINVAL for a bad argument.  out is reset first; free
 * it with advice_free() even when nothing was found.
 */
int advice_run(struct profile *const *profiles, int n, struct advice *out);

/* The "Recommendations" section: findings first, then warnings. */
void advice_write(FILE *f, const struct advice *a);

void advice_free(struct advice *a);

/* advice_run() over one profile and advice_write() to f: a report's section. */
void advice_section(const struct profile *p, FILE *f);

/*
 * The warnings about p itself (frames without a name, stacks cut short;
 * not losses, which the summary line counts), one line each on f as
 * "profiler WHO: TITLE: NEXT": for outputs with no Recommendations
 * section, so that a folded file of [JIT code: no perf map] frames
 * comes with the flag that names them.
 */
void advice_warn_lines(const struct profile *p, const char *who, FILE *f);

#endif /* PROFILER_ADVICE_H */
