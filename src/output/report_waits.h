/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The report's tables of why threads waited, for a profile with off-CPU
 * time (a sample type named "offcpu"): by wait reason, the system call or
 * kernel event with the kernel function that slept, and by the program's
 * own call site that blocked.
 */
#ifndef PROFILER_REPORT_WAITS_H
#define PROFILER_REPORT_WAITS_H

#include <stdbool.h>
#include <stdio.h>

#include "output/output.h"

/* Print both tables; false (and nothing printed) when p has no off-CPU time. */
bool report_waits(const struct profile *p, const struct write_opts *o, FILE *f);

#endif /* PROFILER_REPORT_WAITS_H */
