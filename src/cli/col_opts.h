/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --NAME-OPTION: each collector's own long options under its name, for
 * the front-ends that run several at once (record, agent): profiler
 * offcpu --min-block 5ms is profiler record --offcpu-min-block 5ms.
 */
#ifndef PROFILER_COL_OPTS_H
#define PROFILER_COL_OPTS_H

#include <getopt.h>
#include <stddef.h>

#include "cli/settings.h"
#include "collectors/collector.h"

/* collector i's long option j is --NAME-OPTION, numbered COL_OPTS_BASE + 256 * i + j */
#define COL_OPTS_BASE 4096

/*
 * The front-end's own options (own, {0} terminated) followed by every
 * collector's prefixed ones, {0} terminated; *names holds their strings.
 * Free both.
 */
struct option *col_opts_longopts(const struct collector *const *cols, int n,
				 const struct option *own, char **names);
/* opt, one of those numbers, parsed by its collector; -EINVAL for another. */
int col_opts_parse(const struct collector *const *cols, int n, struct settings *s, int opt,
		   const char *arg);
/* Their help, appended at buf + at (a line per collector); the new length. */
int col_opts_usage(const struct collector *const *cols, int n, char *buf, size_t size, int at);

#endif /* PROFILER_COL_OPTS_H */
