/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Readers of saved profiles, for `profiler report` and `profiler diff`:
 * folded stacks (as flamegraph.pl reads them) and pprof's profile.proto,
 * gzip-compressed or not.  What they return is a symbolized profile, the
 * same the writers get from a live run.
 */
#ifndef PROFILER_INPUT_H
#define PROFILER_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "model/profile.h"

/* Read a file of either format, told apart by content.  NULL after a
 * one-line message naming the file and what is wrong with it. */
struct profile *profile_read(const char *path);
/* The same on a whole file in memory (gzip told apart too); name is for
 * messages. */
struct profile *profile_parse(const char *data, size_t len, const char *name);

/* The readers, on the whole file in memory; name is for messages. */
struct profile *read_folded(const char *data, size_t len, const char *name);
struct profile *read_pprof(const uint8_t *data, size_t len, const char *name);

#endif /* PROFILER_INPUT_H */
