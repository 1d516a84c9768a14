/* SPDX-License-Identifier: GPL-2.0 */
/* profiler record's combined report: one section per collector. */
#ifndef PROFILER_RECORD_REPORT_H
#define PROFILER_RECORD_REPORT_H

#include <stdio.h>

#include "cli/settings.h"
#include "model/profile.h"

/*
 * A summary line per collector, then each collector's report under its
 * name (names[i] made profiles[i]).  0, or -errno.
 */
int record_write_report(FILE *f, struct profile *const *profiles, const char *const *names,
			int n, const struct settings *s);

#endif /* PROFILER_RECORD_REPORT_H */
