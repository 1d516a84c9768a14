// SPDX-License-Identifier: GPL-2.0
/*
 * A long one-shot run folded as it goes: cut into windows of FOLD_NS, each
 * named and added into the run's profile by name (model/merge.h), its
 * exited processes then forgotten.  The sink sees one window, the whole
 * run, as before.
 *
 * Why: a run of one window keeps every (process, stack) key raw, and every
 * exited process's mappings, until its end, so its memory grows with the
 * processes a machine starts (61 MiB after 10 minutes of 100 a second on
 * a quiet machine, 113-119 MiB after 5 on a loaded one); folded, 34 MiB
 * (docs/performance.md), and the end's naming is the last window's only.
 */
#include <stdlib.h>

#include "session/run.h"
#include "util/util.h"

/*
 * The agent's window: 10 s of 100 new processes a second is 1,000
 * processes' mappings kept, and a cut costs 22-38 ms (under that churn).
 */
#define FOLD_NS (10 * 1000000000ULL)

void run_fold_start(struct run *r)
{
	const struct session_sink *k = r->sink;
	const char *env = getenv("PROFILER_FOLD_MS");
	uint64_t ms = FOLD_NS / 1000000;

	/* a front-end's own windows, a whole run after them, a live screen */
	if (r->window_ns || r->o->whole_run || r->o->cut_fd > 0 || k->keep || k->want_whole ||
	    k->wanted)
		return;
	for (int i = 0; i < r->ncols; i++)
		if (!r->failed[i] && !r->cols[i].col->windows_add_up)
			return;
	/* a test's way to cut several windows in a run of seconds */
	if (env && parse_u64(env, 1, 3600 * 1000, &ms))
		pr_warn("ignoring PROFILER_FOLD_MS=%s: not a number of milliseconds from 1 to 3600000",
			env);
	r->folding = true;
	r->window_ns = ms * 1000000;
}

bool run_fold(struct run *r, struct profile **ps, struct session_window *w)
{
	if (!r->folding)
		return true;
	for (int i = 0; i < r->ncols; i++) {
		if (!ps[i])
			continue;
		merged_add(&r->folded[i], ps[i]);
		profile_free(ps[i]);
		ps[i] = w->last ? merged_take(&r->folded[i]) : NULL;
	}
	if (!w->last)
		return false;
	/* the sink sees one window: the whole run */
	w->index = 0;
	w->from_ns = r->rt.start_ns;
	return true;
}

void run_fold_free(struct run *r)
{
	for (int i = 0; i < r->ncols; i++)
		merged_free(&r->folded[i]);
}
