// SPDX-License-Identifier: GPL-2.0
/*
 * Folded stacks, the input of flamegraph.pl: one line per unique stack,
 * "comm;root;...;leaf VALUE", user frames then kernel frames, kernel
 * frames suffixed "_[k]" as stackcollapse-perf.pl --all writes them,
 * inlined ones "_[i]" as its --inline does; with --lines each frame ends
 * " [file.c:LINE]".  A differential profile gets two columns,
 * "stack BASE NEW", as difffolded.pl writes them (0 where a stack is
 * absent on one side).  --group-by puts the cgroup path above the
 * process name ("/system.slice/x.service;comm;...", the path's leading
 * '/' tells readers it is one), or writes "comm-PID" as
 * stackcollapse-perf.pl --pid does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/output.h"
#include "util/util.h"

struct line {
	char *text;
	int64_t value, base;
};

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct line *)a)->text, ((const struct line *)b)->text);
}

/* A root frame's text as folded lines keep it: no spaces, no ';'. */
static void put_root(FILE *m, const char *name)
{
	for (const char *c = name; *c; c++)
		fputc(*c == ' ' ? '_' : *c == ';' ? ':' : *c, m);
}

static char *stack_text(const struct profile *p, size_t s, int group_by)
{
	const struct sample *smp = &p->samples[s];
	const uint32_t *fr = profile_sample_frames(p, s);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return NULL;
	/* a cgroup path starts with '/', which is how readers know it */
	if (group_by == GROUP_BY_CGROUP) {
		put_root(m, smp->cgroup ? smp->cgroup : "/[unknown]");
		fputc(';', m);
	}
	/* process names keep no spaces, as stackcollapse-perf.pl does */
	put_root(m, smp->comm);
	if (group_by == GROUP_BY_PID)
		fprintf(m, "-%u", smp->pid);
	for (uint32_t i = smp->nframes; i-- > 0;) {
		const struct location *l = &p->locs[fr[i]];

		fputc(';', m);
		fput_frame(m, l->name);
		if (l->file && l->kind != FRAME_PYTHON) {	/* --lines: "name [file.c:42]" */
			const char *base = strrchr(l->file, '/');

			fprintf(m, " [%s:%u]", base ? base + 1 : l->file, l->line);
		}
		if (l->kind == FRAME_KERNEL)
			fputs("_[k]", m);
		else if (l->kind == FRAME_INLINE)	/* as stackcollapse-perf.pl --inline */
			fputs("_[i]", m);
		else if (l->kind == FRAME_PYTHON)	/* "function (file.py:line)_[p]" */
			fputs("_[p]", m);
	}
	fclose(m);
	return buf;
}

int write_folded(const struct profile *p, const struct write_opts *o, FILE *f)
{
	struct line *lines = xcalloc(p->nsamples, sizeof(*lines));
	size_t n = 0;

	for (size_t s = 0; s < p->nsamples; s++) {
		int64_t v = MAX(profile_value(p, s, o->type), 0);
		int64_t b = o->diff ? MAX(profile_value(p, s, 0), 0) : 0;

		if (v <= 0 && b <= 0)
			continue;
		lines[n].text = stack_text(p, s, o->group_by);
		if (!lines[n].text)
			continue;
		lines[n].base = b;
		lines[n++].value = v;
	}
	/* Different addresses in the same functions fold into one line. */
	qsort(lines, n, sizeof(*lines), cmp_line);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		int64_t v = lines[i].value, b = lines[i].base;

		while (j < n && !strcmp(lines[j].text, lines[i].text)) {
			b = profile_combine(p, 0, b, lines[j].base);
			v = profile_combine(p, o->type, v, lines[j++].value);
		}
		if (o->diff)
			fprintf(f, "%s %lld %lld\n", lines[i].text, (long long)b, (long long)v);
		else
			fprintf(f, "%s %lld\n", lines[i].text, (long long)v);
		i = j;
	}
	for (size_t i = 0; i < n; i++)
		free(lines[i].text);
	free(lines);
	return ferror(f) ? -EIO : 0;
}
