/* SPDX-License-Identifier: GPL-2.0 */
/* Everything the command line sets: the one settings struct. */
#ifndef PROFILER_SETTINGS_H
#define PROFILER_SETTINGS_H

#include <stdbool.h>

#define MAX_OUTPUTS 8

struct settings {
	/* targets: at most one of pids, tids, cmd; none means system-wide */
	int *pids;
	int npids;
	int *tids;
	int ntids;
	bool system_wide;
	char **cmd;		/* argv after "--" */

	double duration;	/* seconds; 0: until Ctrl-C or the targets exit */
	const char *format;	/* -f; NULL: the collector's default */
	const char *outputs[MAX_OUTPUTS];
	int noutputs;
	const char *value;	/* --value: the sample type to weigh by */
	int top;		/* report rows */
	int verbose;
	bool quiet;
	/* svg output: --title, --inverted, --width, --minwidth */
	const char *title;
	bool inverted;
	int width;		/* 0: 1200 */
	double minwidth;	/* pixels; 0: 0.1 */

	/* profiler cpu */
	int freq;		/* Hz */
	int *cpus;		/* -C; NULL: every online CPU */
	int ncpus;
	bool user_only;
	bool kernel_only;
	bool idle;
	unsigned int max_stacks;	/* 0: sized from the expected samples */
};

#endif /* PROFILER_SETTINGS_H */
