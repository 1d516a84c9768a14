// SPDX-License-Identifier: GPL-2.0
/*
 * JSON for scripts, the schema in docs/formats.md: sample types, a frame
 * table (name, module, kind, file, line, build-id) and stacks of frame
 * indices from root to leaf, with one value per sample type.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/output.h"
#include "util/container_id.h"
#include "util/util.h"

static void jstr(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static const char *const kinds[] = { "user", "kernel", "jit", "inline", "group", "python" };

int write_json(const struct profile *p, const struct write_opts *o, FILE *f)
{
	fputs("{\n  \"format\": \"profiler-json\",\n  \"version\": 1,\n  \"event\": ", f);
	jstr(f, p->event);
	fputs(",\n  \"sample_types\": [", f);
	for (int t = 0; t < p->ntypes; t++) {
		fprintf(f, "%s{\"name\": ", t ? ", " : "");
		jstr(f, p->types[t].name);
		fputs(", \"unit\": ", f);
		jstr(f, p->types[t].unit);
		if (p->combine[t] == COMBINE_MAX)	/* merge by taking the largest */
			fputs(", \"aggregate\": \"max\"", f);
		fputc('}', f);
	}
	fprintf(f, "],\n  \"default_type\": %d,\n  \"period\": {\"type\": ", o->type);
	jstr(f, p->period_type.name);
	fputs(", \"unit\": ", f);
	jstr(f, p->period_type.unit);
	fprintf(f, ", \"value\": %lld},\n  \"start_time_ns\": %llu,\n  \"duration_ns\": %llu,\n",
		(long long)p->period, (unsigned long long)p->start_time_ns,
		(unsigned long long)p->duration_ns);
	fputs("  \"frames\": [", f);
	for (size_t i = 0; i < p->nlocs; i++) {
		const struct location *l = &p->locs[i];

		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		jstr(f, l->name ? l->name : "[unknown]");
		fputs(", \"module\": ", f);
		jstr(f, l->module);
		fprintf(f, ", \"kind\": \"%s\", \"address\": %llu", kinds[l->kind < ARRAY_SIZE(kinds) ? l->kind : 0],
			(unsigned long long)(l->module_addr ? l->module_addr : l->addr));
		if (l->file) {
			fputs(", \"file\": ", f);
			jstr(f, l->file);
		}
		if (l->line)
			fprintf(f, ", \"line\": %u", l->line);
		if (l->build_id) {
			fputs(", \"build_id\": ", f);
			jstr(f, l->build_id);
		}
		fputc('}', f);
	}
	fputs("\n  ],\n  \"stacks\": [", f);
	for (size_t s = 0; s < p->nsamples; s++) {
		const struct sample *smp = &p->samples[s];
		const uint32_t *fr = profile_sample_frames(p, s);

		fprintf(f, "%s\n    {\"pid\": %u, \"tid\": %u, \"comm\": ", s ? "," : "", smp->pid,
			sample_label(p, smp)->tid);
		jstr(f, sample_label(p, smp)->comm);
		if (sample_label(p, smp)->cgroup) {	/* as pprof's labels: the path, and the container it names */
			char id[CONTAINER_ID_LEN + 1];

			fputs(", \"cgroup\": ", f);
			jstr(f, sample_label(p, smp)->cgroup);
			if (container_id(sample_label(p, smp)->cgroup, id))
				fprintf(f, ", \"container_id\": \"%s\"", id);
		}
		fputs(", \"frames\": [", f);
		for (uint32_t i = smp->nframes; i-- > 0;)
			fprintf(f, "%u%s", fr[i], i ? ", " : "");
		fputs("], \"values\": [", f);
		for (int t = 0; t < p->ntypes; t++)
			fprintf(f, "%s%lld", t ? ", " : "", (long long)profile_value(p, s, t));
		fputs("]}", f);
	}
	fputs("\n  ],\n  \"losses\": [", f);
	for (size_t i = 0; i < p->nlosses; i++) {
		fprintf(f, "%s{\"what\": ", i ? ", " : "");
		jstr(f, p->losses[i].what);
		fprintf(f, ", \"count\": %llu, \"hint\": ", (unsigned long long)p->losses[i].count);
		jstr(f, p->losses[i].hint);
		fputc('}', f);
	}
	fputs("]\n}\n", f);
	return ferror(f) ? -EIO : 0;
}
