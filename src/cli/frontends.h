/* SPDX-License-Identifier: GPL-2.0 */
/* Front-ends over the session: how main.c runs a subcommand. */
#ifndef PROFILER_FRONTENDS_H
#define PROFILER_FRONTENDS_H

#include "cli/settings.h"
#include "collectors/collector.h"

/* profiler COLLECTOR: one collector, its profile to -o or stdout.  The exit code. */
int oneshot_run(const struct collector *col, struct settings *set);
/* profiler record: argv[0] is "record".  The exit code. */
int record_main(int argc, char **argv);
/* profiler agent: argv[0] is "agent".  The exit code. */
int agent_main(int argc, char **argv);

/* record's collectors in its report's order: bit i of --what is the i-th. */
#define RECORD_NCOLS 5
extern const struct collector *const record_cols[RECORD_NCOLS];
/* --what's default (all, without mem for -a and -t), then each chosen collector's checks. */
int record_validate_what(struct settings *s);
/* profiler top: argv[0] is "top".  The exit code. */
int top_main(int argc, char **argv);

#endif /* PROFILER_FRONTENDS_H */
