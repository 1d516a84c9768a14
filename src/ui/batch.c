// SPDX-License-Identifier: GPL-2.0
/* profiler top -b: a window as plain text; see batch.h. */
#include <errno.h>

#include "ui/batch.h"

static void print_table(FILE *f, const struct ui_table *t, int rows)
{
	char cell[64];

	fprintf(f, "  ");
	for (int i = 0; i < t->nvals; i++)
		fprintf(f, "%9s ", t->heads[i]);
	fprintf(f, "%s%s\n", t->nvals ? " " : "", t->name_head);
	if (!t->nrows)
		fprintf(f, "    (%s)\n", t->why);
	for (size_t r = 0; r < t->nrows && (int)r < rows; r++) {
		fprintf(f, "  ");
		for (int i = 0; i < t->nvals; i++)
			fprintf(f, "%9s ", ui_fmt_value(cell, sizeof(cell), t->fmts[i], t->rows[r].v[i]));
		fprintf(f, "%s%s\n", t->nvals ? " " : "  ", t->rows[r].name);
	}
}

int ui_batch_print(FILE *f, const struct ui_view *v, const char *header, int rows)
{
	fprintf(f, "==== %s ====\n", header);
	for (int i = 0; i < UI_NPANELS; i++) {
		const struct ui_panel_view *pv = &v->panels[i];

		fprintf(f, "%s\n", pv->summary);
		for (int j = 0; j < pv->ntables; j++)
			if (pv->tables[j].nvals || pv->tables[j].nrows || pv->ntables > 1)
				print_table(f, &pv->tables[j], rows);
	}
	fprintf(f, "Recommendations:%s\n", v->nadvice ? "" : " nothing stands out in this window");
	for (size_t i = 0; i < v->nadvice; i++)
		fprintf(f, "  - %s\n", v->advice[i]);
	fprintf(f, "\n");
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
