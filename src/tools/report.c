// SPDX-License-Identifier: GPL-2.0
/* profiler report FILE: a saved profile (folded or pprof) in any format. */
#include <string.h>

#include "cli/args.h"
#include "input/input.h"
#include "output/output.h"
#include "tools/tool.h"
#include "util/util.h"

#define SYNOPSIS "report FILE [-f FORMAT] [-o OUT]..."
#define SUMMARY "Read a saved profile (folded stacks, or pprof .pb.gz) and write it in any format"

int tool_write(const struct profile *p, struct settings *s, bool diff)
{
	struct output outs[MAX_OUTPUTS + 1];
	struct write_opts wo;
	int nouts = 0, err;

	if (s->value && profile_find_type(p, s->value) < 0) {
		char names[256] = "";

		for (int t = 0; t < p->ntypes; t++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 t ? " " : "", p->types[t].name);
		pr_err("unknown --value '%s': this profile has: %s", s->value, names);
		return 2;
	}
	if (outputs_open(s, "report", outs, &nouts)) {
		outputs_close(outs, nouts);
		return 1;
	}
	write_opts_init(&wo, s, p);
	if (diff) {
		static const struct writer diff_writers[] = {
			{ "folded", NULL, NULL, write_folded, false },
			{ "svg", NULL, NULL, write_svg, false },
			{ "report", NULL, NULL, write_diff_report, false },
		};

		wo.diff = true;
		wo.type = 1;
		/* the same names, the differential writers */
		for (int i = 0; i < nouts; i++)
			for (size_t k = 0; k < ARRAY_SIZE(diff_writers); k++)
				if (!strcmp(outs[i].w->name, diff_writers[k].name))
					outs[i].w = &diff_writers[k];
		for (int i = 0; i < nouts; i++)
			if (outs[i].w->exts) {
				pr_err("profiler diff writes folded, svg or report, not %s",
				       outs[i].w->name);
				outputs_close(outs, nouts);
				return 2;
			}
	}
	err = outputs_write(p, &wo, outs, nouts, true);
	outputs_close(outs, nouts);
	return err ? 1 : 0;
}

static int report_run(int argc, char **argv)
{
	struct settings s = {};
	const char *file;
	struct profile *p;
	int err, rc;

	err = args_parse_tool(SYNOPSIS, SUMMARY, NULL, argc, argv, &s, &file, 1);
	if (err)
		return err > 0 ? 0 : 2;
	p = profile_read(file);
	if (!p)
		return 1;
	rc = tool_write(p, &s, false);
	profile_free(p);
	return rc;
}

const struct tool report_tool = {
	.name = "report",
	.summary = "write a saved profile (folded, pprof) in another format",
	.run = report_run,
};
