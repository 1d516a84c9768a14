/* SPDX-License-Identifier: GPL-2.0 */
/* Writers run into a string, for the unit tests that read their output. */
#ifndef PROFILER_WRITE_HELPER_H
#define PROFILER_WRITE_HELPER_H

#include "testutil.h"
#include "output/output.h"

typedef int (*writer_fn)(const struct profile *, const struct write_opts *, FILE *);

static inline struct write_opts test_opts(int type)
{
	return (struct write_opts){ .type = type, .top = 10, .width = 1200, .minwidth = 0.1 };
}

/* The writer's whole output, malloc'd; the test fails if the writer does. */
static inline char *write_to_string(writer_fn w, const struct profile *p,
				    const struct write_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(w(p, o, f), 0);
	fclose(f);
	return buf;
}

/* The same with the default options and one sample type. */
static inline char *run(writer_fn w, const struct profile *p, int type)
{
	struct write_opts o = test_opts(type);

	return write_to_string(w, p, &o);
}

#endif /* PROFILER_WRITE_HELPER_H */
