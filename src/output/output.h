/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writers turn a symbolized profile into a format.  They see only the
 * profile: sample types, stacks, values and labels, never the collector.
 */
#ifndef PROFILER_OUTPUT_H
#define PROFILER_OUTPUT_H

#include <stdio.h>

#include "cli/settings.h"
#include "model/profile.h"
#include "output/atomic_file.h"
#include "util/util.h"	/* fmt_value, which writers share */

/* folded's root frame and svg's nodes under "all" (--group-by) */
enum group_by {
	GROUP_BY_COMM,		/* the process name, as stackcollapse-perf.pl */
	GROUP_BY_PID,		/* "comm-PID", as its --pid */
	GROUP_BY_CGROUP,	/* the cgroup path, then the process name */
};

struct write_opts {
	int type;		/* which sample type to weigh by */
	int top;		/* report: rows per table */
	/* svg */
	const char *title;	/* NULL: from the profile */
	bool inverted;		/* icicle: roots at the top */
	int width;		/* pixels */
	double minwidth;	/* pixels: narrower frames are merged */
	/*
	 * A differential profile: type 0 is the base, type 1 the new profile
	 * (o->type).  folded writes both columns, svg colours by the change,
	 * report lists what grew and shrank.
	 */
	bool diff;
	bool no_advice;		/* report: no Recommendations section */
	int group_by;		/* folded and svg: enum group_by */
};

struct writer {
	const char *name;
	const char *exts;	/* file name endings that select it, space separated */
	const char *help;
	int (*write)(const struct profile *p, const struct write_opts *o, FILE *f);
	bool advises;	/* it writes the Recommendations and the warnings itself */
};

const struct writer *writer_find(const char *name);
/* The writer a file name's ending selects, or NULL. */
const struct writer *writer_for_path(const char *path);
/* "folded, report" for messages and --help. */
const char *writer_names(void);

/* A frame's name with ';' and newlines replaced, as folded lines need. */
void fput_frame(FILE *f, const char *name);

int write_folded(const struct profile *p, const struct write_opts *o, FILE *f);
int write_report(const struct profile *p, const struct write_opts *o, FILE *f);
int write_svg(const struct profile *p, const struct write_opts *o, FILE *f);
int write_pprof(const struct profile *p, const struct write_opts *o, FILE *f);
int write_json(const struct profile *p, const struct write_opts *o, FILE *f);
/* The diff report: functions whose share grew and shrank most. */
int write_diff_report(const struct profile *p, const struct write_opts *o, FILE *f);

/* Write options from the command line, for profile p. */
void write_opts_init(struct write_opts *o, const struct settings *s, const struct profile *p);

/*
 * The -o files of a run (or standard output), with the writer each gets:
 * -f, else the file name's ending, else default_fmt.  Opened before a
 * profile is taken, so that a bad path fails at once; an existing file is
 * not touched until its replacement is complete (atomic_file.h).
 */
struct output {
	const char *path;	/* NULL: stdout */
	const struct writer *w;
	FILE *f;
	struct atomic_file af;	/* path's, when it is not "-" */
};
int outputs_open(const struct settings *s, const char *default_fmt, struct output *outs,
		 int *nouts);
/*
 * Write p to every output.  last: the files are complete and replace
 * their targets; else (-i) what is written so far is published and the
 * next report is appended.  An error is reported on stderr, naming the
 * file and its cause.
 */
int outputs_write(const struct profile *p, const struct write_opts *o, struct output *outs,
		  int nouts, bool last);
/* Close them; a file not completely written leaves its target as it was. */
void outputs_close(struct output *outs, int nouts);

#endif /* PROFILER_OUTPUT_H */
