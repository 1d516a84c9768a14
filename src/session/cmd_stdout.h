/* SPDX-License-Identifier: GPL-2.0 */
/*
 * -- COMMAND and a profile on standard output: the command's standard
 * output goes to standard error, so the profile never carries a line of it.
 */
#ifndef PROFILER_CMD_STDOUT_H
#define PROFILER_CMD_STDOUT_H

#include <stdbool.h>

#include "cli/settings.h"

/* True when a profile of this run is written to standard output. */
bool profile_on_stdout(const struct settings *s);

/*
 * In the forked command, before exec: when the profile is on standard
 * output, point the command's standard output at standard error (and say
 * so once, when our standard output is not a terminal).  Only
 * async-signal-safe calls: the profiler may have threads by then.
 */
void cmd_stdout_apart(const struct settings *s);

#endif /* PROFILER_CMD_STDOUT_H */
