/* SPDX-License-Identifier: GPL-2.0 */
/* The report's "Top cgroups" table: every sample type per cgroup (v2). */
#ifndef PROFILER_REPORT_CGROUPS_H
#define PROFILER_REPORT_CGROUPS_H

#include <stdbool.h>
#include <stdio.h>

#include "output/output.h"

/* Print it; false (and nothing printed) when no sample carries a cgroup. */
bool report_cgroups(const struct profile *p, const struct write_opts *o, FILE *f);

#endif /* PROFILER_REPORT_CGROUPS_H */
