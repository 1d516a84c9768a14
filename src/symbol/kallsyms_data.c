// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbol/kallsyms_data.h"
#include "util/util.h"

static int cmp_kd(const void *a, const void *b)
{
	const struct ksym_data *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

struct ksyms_data *ksyms_data_parse(char *text)
{
	struct ksyms_data *kd = xcalloc(1, sizeof(*kd));
	size_t cap = 0;
	char *next;

	kd->text = text;
	for (char *line = text; line && *line; line = next) {
		char *end, *name;
		uint64_t addr;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* "ffffffff82a0b1c0 d rtnl_mutex" (modules add "\t[name]") */
		addr = strtoull(line, &end, 16);
		if (end == line || end[0] != ' ' || !end[1] || end[2] != ' ' || !addr ||
		    !strchr("dDbBrR", end[1]))
			continue;
		name = end + 3;
		name[strcspn(name, "\t")] = '\0';
		GROW(kd->syms, cap, kd->n + 1);
		kd->syms[kd->n++] = (struct ksym_data){ addr, name };
	}
	if (kd->n)	/* qsort's array may not be NULL, even empty */
		qsort(kd->syms, kd->n, sizeof(*kd->syms), cmp_kd);
	return kd;
}

struct ksyms_data *ksyms_data_load(const char *path)
{
	char *text = read_file(path, NULL);

	return text ? ksyms_data_parse(text) : NULL;
}

const char *ksyms_data_name(const struct ksyms_data *kd, uint64_t addr, uint64_t max_off,
			    char *buf, size_t size)
{
	size_t lo = 0, hi = kd->n;
	const struct ksym_data *s;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (kd->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || lo == kd->n)	/* below the first, or past the last: not a static */
		return NULL;
	s = &kd->syms[lo - 1];
	if (addr - s->addr > max_off)
		return NULL;
	if (addr == s->addr)
		snprintf(buf, size, "%s", s->name);
	else
		snprintf(buf, size, "%s+0x%llx", s->name, (unsigned long long)(addr - s->addr));
	return buf;
}

void ksyms_data_free(struct ksyms_data *kd)
{
	if (!kd)
		return;
	free(kd->syms);
	free(kd->text);
	free(kd);
}
