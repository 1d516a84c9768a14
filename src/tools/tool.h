/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tools are subcommands that collect nothing: they read saved profiles and
 * write them again (profiler report, profiler diff).  They have their own
 * registry in main.c, next to the collectors'.
 */
#ifndef PROFILER_TOOL_H
#define PROFILER_TOOL_H

#include <stdbool.h>

struct tool {
	const char *name;
	const char *summary;	/* one line for `profiler --help` */
	/* argv[0] is the tool's name; returns the process exit code. */
	int (*run)(int argc, char **argv);
};

struct profile;
struct settings;

/*
 * Check --value against the profile read, then write every output.  diff:
 * p is differential (type 0 base, type 1 new) and goes to the differential
 * writers.  Returns the exit code.
 */
int tool_write(const struct profile *p, struct settings *s, bool diff);

extern const struct tool report_tool;
extern const struct tool diff_tool;

#endif /* PROFILER_TOOL_H */
