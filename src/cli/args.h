/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PROFILER_ARGS_H
#define PROFILER_ARGS_H

#include <stdio.h>

#include "cli/settings.h"
#include "collectors/collector.h"

/* 0 to run; 1 when help was printed; -EINVAL after printing what is wrong. */
int args_parse(const struct collector *col, int argc, char **argv, struct settings *s);
void args_usage(const struct collector *col, FILE *f);
void settings_free(struct settings *s);
/* --max-stacks N, shared by the collectors that keep stacks in the kernel. */
int parse_max_stacks(struct settings *s, const char *arg);
/* --what LIST (record, agent): names of cols into a mask, bit i for cols[i]. */
int parse_what(const struct collector *const *cols, int n, const char *arg, unsigned int *mask);
/* Each chosen collector's validate(): 0, or the first error. */
int validate_what(const struct collector *const *cols, int n, unsigned int mask, struct settings *s);

/*
 * For tools that read saved profiles (profiler report, profiler diff):
 * the output options and exactly nfiles file names into files.  formats:
 * the -f choices, space separated.  Same returns as args_parse.
 */
int args_parse_tool(const char *synopsis, const char *summary, const char *formats, int argc,
		    char **argv, struct settings *s, const char **files, int nfiles);
void args_tool_usage(const char *synopsis, const char *summary, const char *formats, FILE *f);

#endif /* PROFILER_ARGS_H */
