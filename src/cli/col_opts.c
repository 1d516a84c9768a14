// SPDX-License-Identifier: GPL-2.0
/*
 * --NAME-OPTION for record and agent (see col_opts.h).  io's --interval
 * is left out: --window cuts every collector.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/col_opts.h"
#include "util/util.h"

/* Not offered: io -i (--window instead), and the hidden raw-tp switch (help only). */
static bool left_out(const char *name, bool help)
{
	return !strcmp(name, "interval") || (help && !strcmp(name, "raw-tp"));
}

struct option *col_opts_longopts(const struct collector *const *cols, int n,
				 const struct option *own, char **names)
{
	size_t nopt = 0, nown = 0, len = 0;
	struct option *o;
	char *at;

	while (own[nown].name)
		nown++;
	for (int i = 0; i < n; i++)
		for (const struct option *p = cols[i]->longopts; p && p->name; p++) {
			nopt++;
			len += strlen(cols[i]->name) + strlen(p->name) + 2;
		}
	o = xcalloc(nown + nopt + 1, sizeof(*o));
	at = *names = xmalloc(len + 1);
	memcpy(o, own, nown * sizeof(*o));
	nopt = nown;
	for (int i = 0; i < n; i++) {
		int j = 0;

		for (const struct option *p = cols[i]->longopts; p && p->name; p++, j++) {
			if (left_out(p->name, false))
				continue;
			o[nopt++] = (struct option){ at, p->has_arg, NULL, COL_OPTS_BASE + 256 * i + j };
			at += sprintf(at, "%s-%s", cols[i]->name, p->name) + 1;
		}
	}
	return o;
}

int col_opts_parse(const struct collector *const *cols, int n, struct settings *s, int opt,
		   const char *arg)
{
	int i = (opt - COL_OPTS_BASE) / 256, j = (opt - COL_OPTS_BASE) % 256;

	if (opt < COL_OPTS_BASE || i >= n || !cols[i]->parse)
		return -EINVAL;
	return cols[i]->parse(s, cols[i]->longopts[j].val, arg);
}

int col_opts_usage(const struct collector *const *cols, int n, char *buf, size_t size, int at)
{
	at += snprintf(buf + at, size - at,
		       "Each collector's own options, as --NAME-OPTION (see profiler NAME --help):\n");
	for (int i = 0; i < n && at < (int)size; i++) {
		at += snprintf(buf + at, size - at, " ");
		for (const struct option *p = cols[i]->longopts; p && p->name && at < (int)size; p++)
			if (!left_out(p->name, true))
				at += snprintf(buf + at, size - at, " --%s-%s%s", cols[i]->name,
					       p->name, p->has_arg ? " X" : "");
		at += snprintf(buf + at, size - at, "\n");
	}
	return MIN(at, (int)size - 1);
}
