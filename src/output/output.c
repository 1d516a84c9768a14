// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "output/output.h"
#include "util/util.h"

/* One line per format: the only place that lists them. */
static const struct writer writers[] = {
	{ "folded", ".folded .collapsed .stacks", "folded stacks for flamegraph.pl", write_folded, false },
	{ "report", ".txt .report", "human-readable summary: top functions and stacks", write_report, true },
	{ "svg", ".svg", "interactive flame graph for a browser", write_svg, false },
	{ "pprof", ".pb.gz .pprof .pb", "gzipped profile.proto for go tool pprof", write_pprof, false },
	{ "json", ".json", "stacks, frames and values as JSON (docs/formats.md)", write_json, false },
};

const struct writer *writer_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(writers); i++)
		if (!strcmp(writers[i].name, name))
			return &writers[i];
	return NULL;
}

const struct writer *writer_for_path(const char *path)
{
	size_t plen = strlen(path);

	for (size_t i = 0; i < ARRAY_SIZE(writers); i++) {
		const char *e = writers[i].exts;

		while (*e) {
			size_t len = strcspn(e, " ");

			if (plen > len && !strncmp(path + plen - len, e, len))
				return &writers[i];
			e += len;
			e += strspn(e, " ");
		}
	}
	return NULL;
}

const char *writer_names(void)
{
	return "folded, report, svg, pprof, json";
}

void write_opts_init(struct write_opts *o, const struct settings *s, const struct profile *p)
{
	*o = (struct write_opts){
		.type = p->default_type,
		.top = s->top ? s->top : 20,
		.title = s->title,
		.inverted = s->inverted,
		.width = s->width ? s->width : 1200,
		.minwidth = s->minwidth > 0 ? s->minwidth : 0.1,
		.no_advice = s->no_advice,
		.group_by = s->group_by,
	};
	if (s->value) {
		int t = profile_find_type(p, s->value);

		if (t >= 0)
			o->type = t;	/* collectors check --value against their list earlier */
	}
}

int outputs_open(const struct settings *s, const char *default_fmt, struct output *outs,
		 int *nouts)
{
	const char *fmt = s->format ? s->format : default_fmt;
	int n = 0;

	if (!s->noutputs) {
		outs[0] = (struct output){ .w = writer_find(fmt), .f = stdout };
		*nouts = 1;
		return 0;
	}
	for (int i = 0; i < s->noutputs; i++) {
		const char *path = s->outputs[i];
		const struct writer *w = NULL;

		if (s->format)
			w = writer_find(s->format);
		else if (strcmp(path, "-"))
			w = writer_for_path(path);
		if (!w)
			w = writer_find(fmt);
		outs[n] = (struct output){ .path = path, .w = w, .f = stdout };
		if (strcmp(path, "-")) {
			int err = afile_open(&outs[n].af, path);

			if (err) {
				pr_err("cannot write %s: %s", path, afile_strerror(err));
				*nouts = n;
				return err;
			}
			outs[n].f = outs[n].af.f;
		} else {
			outs[n].path = NULL;
		}
		n++;
	}
	*nouts = n;
	return 0;
}

int outputs_write(const struct profile *p, const struct write_opts *o, struct output *outs,
		  int nouts, bool last)
{
	int err = 0;

	for (int i = 0; i < nouts; i++) {
		int e = outs[i].w->write(p, o, outs[i].f);

		if (!outs[i].path) {
			if (!e && fflush(outs[i].f))
				e = -errno;
		} else {
			/* the writers see EIO from ferror(); the file knows the cause */
			int pe = afile_publish(&outs[i].af, last);

			if (pe || outs[i].af.err)
				e = pe ? pe : outs[i].af.err;
		}
		if (e) {
			pr_err("writing %s: %s", outs[i].path ? outs[i].path : "standard output",
			       afile_strerror(e));
			err = e;
		}
	}
	return err;
}

void outputs_close(struct output *outs, int nouts)
{
	for (int i = 0; i < nouts; i++)
		if (outs[i].path)
			afile_close(&outs[i].af);
}

void fput_frame(FILE *f, const char *name)
{
	for (const char *c = name; *c; c++) {
		if (*c == ';')
			fputc(':', f);
		else if (*c == '\n' || *c == '\r')
			fputc(' ', f);
		else
			fputc(*c, f);
	}
}
