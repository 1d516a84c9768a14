// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "output/output.h"
#include "util/util.h"

/* One line per format: the only place that lists them. */
static const struct writer writers[] = {
	{ "folded", ".folded .collapsed .stacks", "folded stacks for flamegraph.pl", write_folded },
	{ "report", ".txt .report", "human-readable summary: top functions and stacks", write_report },
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
	return "folded, report";
}

const char *fmt_value(char *buf, size_t size, const char *unit, double v)
{
	if (!strcmp(unit, "nanoseconds")) {
		if (v >= 1e9)
			snprintf(buf, size, "%.2f s", v / 1e9);
		else if (v >= 1e6)
			snprintf(buf, size, "%.2f ms", v / 1e6);
		else if (v >= 1e3)
			snprintf(buf, size, "%.1f us", v / 1e3);
		else
			snprintf(buf, size, "%.0f ns", v);
	} else if (!strcmp(unit, "bytes")) {
		if (v >= 1024.0 * 1024 * 1024)
			snprintf(buf, size, "%.1f GiB", v / (1024.0 * 1024 * 1024));
		else if (v >= 1024.0 * 1024)
			snprintf(buf, size, "%.1f MiB", v / (1024.0 * 1024));
		else if (v >= 1024.0)
			snprintf(buf, size, "%.1f KiB", v / 1024.0);
		else
			snprintf(buf, size, "%.0f B", v);
	} else {
		fmt_count(buf, size, v < 0 ? 0 : (uint64_t)(v + 0.5));
	}
	return buf;
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
