/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Symbolized profiles of one collector added up: the agent's window is the
 * sum of its pieces (a ?seconds=N request cuts them), and a long one-shot
 * run the sum of the windows the session folds as it goes.  Locations are
 * shared by what names them (function, module, address in it, source
 * line), so ten pieces of the same code make one set of locations, not
 * ten; and a sample by its stack and labels (pid, tid, comm, cgroup), so
 * a process's stack seen in ten pieces is one sample, its values combined.
 */
#ifndef PROFILER_MODEL_MERGE_H
#define PROFILER_MODEL_MERGE_H

#include "model/profile.h"
#include "util/idxmap.h"

struct merged {
	struct profile *p;	/* NULL until the first piece */
	struct idxmap locs;	/* p's locations by name, module, address, line */
	struct idxmap samples;	/* p's samples by stack and labels */
};

/* Add src (symbolized) into m; the first src gives the types and start. */
void merged_add(struct merged *m, const struct profile *src);
/* The profile, now owned by the caller; m is empty again. */
struct profile *merged_take(struct merged *m);
void merged_free(struct merged *m);

#endif /* PROFILER_MODEL_MERGE_H */
