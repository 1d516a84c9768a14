/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Symbolized profiles of one collector added up: a ?seconds=N request
 * cuts the agent's windows into pieces, and a window (or a request) is the
 * sum of its pieces.  Locations are shared by what names them (function,
 * module, address in it, source line), so ten pieces of the same code make
 * one set of locations, not ten.
 */
#ifndef PROFILER_AGENT_MERGE_H
#define PROFILER_AGENT_MERGE_H

#include "model/profile.h"
#include "util/idxmap.h"

struct merged {
	struct profile *p;	/* NULL until the first piece */
	struct idxmap locs;	/* p's locations by name, module, address, line */
};

/* Add src (symbolized) into m; the first src gives the types and start. */
void merged_add(struct merged *m, const struct profile *src);
/* The profile, now owned by the caller; m is empty again. */
struct profile *merged_take(struct merged *m);
void merged_free(struct merged *m);

#endif /* PROFILER_AGENT_MERGE_H */
