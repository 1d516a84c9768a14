/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writers turn a symbolized profile into a format.  They see only the
 * profile: sample types, stacks, values and labels, never the collector.
 */
#ifndef PROFILER_OUTPUT_H
#define PROFILER_OUTPUT_H

#include <stdio.h>

#include "core/profile.h"

struct write_opts {
	int type;		/* which sample type to weigh by */
	int top;		/* report: rows per table */
};

struct writer {
	const char *name;
	const char *exts;	/* file name endings that select it, space separated */
	const char *help;
	int (*write)(const struct profile *p, const struct write_opts *o, FILE *f);
};

const struct writer *writer_find(const char *name);
/* The writer a file name's ending selects, or NULL. */
const struct writer *writer_for_path(const char *path);
/* "folded, report" for messages and --help. */
const char *writer_names(void);

/* Shared by writers: a value in its unit, for humans ("1.25 s", "4.0 MiB", "1,234"). */
const char *fmt_value(char *buf, size_t size, const char *unit, double v);
/* A frame's name with ';' and newlines replaced, as folded lines need. */
void fput_frame(FILE *f, const char *name);

int write_folded(const struct profile *p, const struct write_opts *o, FILE *f);
int write_report(const struct profile *p, const struct write_opts *o, FILE *f);

#endif /* PROFILER_OUTPUT_H */
