// SPDX-License-Identifier: GPL-2.0
/*
 * The one-shot subcommands (profiler cpu, offcpu, ...): a session of one
 * collector whose windows (one at the end; io -i: one per interval) go to
 * the -o files or standard output.
 */
#include "analysis/advice.h"
#include "cli/frontends.h"
#include "output/output.h"
#include "session/session.h"

struct oneshot {
	const struct settings *set;
	const struct collector *col;
	struct output outs[MAX_OUTPUTS + 1];
	int nouts;
};

static int oneshot_window(void *ctx, struct profile *const *profiles, int n,
			  const struct session_window *w)
{
	struct oneshot *os = ctx;
	struct write_opts wo;
	bool advised = false;

	(void)n;
	write_opts_init(&wo, os->set, profiles[0]);
	/* a folded file or a flame graph does not say that its frames lack
	 * names, or why: stderr does, once, for the whole run */
	if (w->last && !os->set->quiet) {
		for (int i = 0; i < os->nouts; i++)
			advised |= os->outs[i].w->advises;
		if (!advised)
			advice_warn_lines(profiles[0], os->col->name, stderr);
	}
	return outputs_write(profiles[0], &wo, os->outs, os->nouts, w->last);
}

int oneshot_run(const struct collector *col, struct settings *set)
{
	struct oneshot os = { .set = set, .col = col };
	struct session_sink sink = { .ctx = &os, .window = oneshot_window };
	struct session_opts o = {};
	int rc;

	/* before profiling: a path that cannot be written fails at once */
	if (outputs_open(set, col->default_format, os.outs, &os.nouts))
		return 1;
	rc = session_run(&col, 1, set, &o, &sink);
	outputs_close(os.outs, os.nouts);	/* a failed run leaves the old files as they were */
	return rc;
}
