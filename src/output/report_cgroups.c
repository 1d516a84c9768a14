// SPDX-License-Identifier: GPL-2.0
/*
 * "Top cgroups": each cgroup's share of every sample type and how many
 * processes it ran, heaviest by the weighed type first; a container's id
 * (util/container_id.h) follows its path, cut to the 12 digits docker ps
 * shows.
 */
#include <stdlib.h>
#include <string.h>

#include "output/report_cgroups.h"
#include "util/container_id.h"
#include "util/util.h"

struct cg_row {
	const char *cgroup;	/* interned: equal paths are equal pointers */
	uint32_t pid;
	int64_t v[PROFILE_MAX_TYPES];
	size_t nprocs;
};

static int cmp_cgroup_pid(const void *a, const void *b)
{
	const struct cg_row *x = a, *y = b;
	int c = strcmp(x->cgroup, y->cgroup);

	if (c)
		return c;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int cmp_value(const void *a, const void *b, void *arg)
{
	const struct cg_row *x = a, *y = b;
	int t = *(const int *)arg;

	if (x->v[t] != y->v[t])
		return x->v[t] < y->v[t] ? 1 : -1;
	return strcmp(x->cgroup, y->cgroup);
}

bool report_cgroups(const struct profile *p, const struct write_opts *o, FILE *f)
{
	struct cg_row *rows = NULL;
	size_t nrows = 0, cap = 0, n = 0;
	int type = o->type;
	char b[64], id[CONTAINER_ID_LEN + 1];

	for (size_t s = 0; s < p->nsamples; s++) {
		if (!sample_label(p, &p->samples[s])->cgroup)
			continue;
		GROW(rows, cap, nrows + 1);
		rows[nrows] = (struct cg_row){ sample_label(p, &p->samples[s])->cgroup, p->samples[s].pid, {}, 1 };
		for (int t = 0; t < p->ntypes; t++)
			rows[nrows].v[t] = profile_value(p, s, t);
		nrows++;
	}
	if (!nrows)
		return false;
	/* by cgroup, then pid: processes are counted once per cgroup */
	qsort(rows, nrows, sizeof(*rows), cmp_cgroup_pid);
	for (size_t i = 0; i < nrows; i++) {
		uint32_t pid = rows[i].pid;

		if (n && rows[n - 1].cgroup == rows[i].cgroup) {
			for (int t = 0; t < p->ntypes; t++)
				rows[n - 1].v[t] = profile_combine(p, t, rows[n - 1].v[t],
								   rows[i].v[t]);
			rows[n - 1].nprocs += pid != rows[n - 1].pid;
			rows[n - 1].pid = pid;	/* the last pid counted */
			continue;
		}
		rows[n++] = rows[i];
	}
	qsort_r(rows, n, sizeof(*rows), cmp_value, &type);
	fprintf(f, "\nTop cgroups by %s:\n", p->types[type].name);
	for (int t = 0; t < p->ntypes; t++)
		fprintf(f, "%12s ", p->types[t].name);
	fprintf(f, "%6s  %s\n", "PROCS", "CGROUP");
	for (size_t i = 0; i < n && (int)i < o->top; i++) {
		if (rows[i].v[type] <= 0)
			break;
		for (int t = 0; t < p->ntypes; t++)
			fprintf(f, "%12s ", fmt_value(b, sizeof(b), p->types[t].unit, rows[i].v[t]));
		fprintf(f, "%6zu  %s", rows[i].nprocs, rows[i].cgroup);
		if (container_id(rows[i].cgroup, id))
			fprintf(f, "  (container %.12s)", id);
		fputc('\n', f);
	}
	free(rows);
	return true;
}
