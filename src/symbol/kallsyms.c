// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "symbol/kallsyms.h"
#include "util/util.h"

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* at one address prefer the core kernel, then the shorter name */
	if (!x->module != !y->module)
		return x->module ? 1 : -1;
	return (int)strlen(x->name) - (int)strlen(y->name);
}

struct ksyms *ksyms_parse(char *text)
{
	struct ksyms *ks = xcalloc(1, sizeof(*ks));
	char *line = text, *next;
	size_t j = 0;

	ks->text = text;
	for (; line && *line; line = next) {
		char *addr_end, *name, *mod = NULL, *end;
		uint64_t addr;
		char type;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* "ffffffff81000000 T _stext\t[module]" */
		addr = strtoull(line, &addr_end, 16);
		if (addr_end == line || addr_end[0] != ' ' || !addr_end[1] || addr_end[2] != ' ')
			continue;
		type = addr_end[1];
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;	/* functions only */
		name = addr_end + 3;
		end = strchr(name, '\t');
		if (end) {
			*end = '\0';
			mod = strchr(end + 1, '[');
			if (mod) {
				mod++;
				end = strchr(mod, ']');
				if (end)
					*end = '\0';
			}
		}
		if (!addr) {
			ks->zero_addrs++;
			continue;
		}
		GROW(ks->syms, ks->cap, ks->n + 1);
		ks->syms[ks->n].addr = addr;
		ks->syms[ks->n].name = name;
		ks->syms[ks->n].module = mod;
		ks->n++;
	}
	qsort(ks->syms, ks->n, sizeof(*ks->syms), cmp_ksym);
	/* one symbol per address: the first after sorting is the preferred one */
	for (size_t i = 0; i < ks->n; i++)
		if (j == 0 || ks->syms[j - 1].addr != ks->syms[i].addr)
			ks->syms[j++] = ks->syms[i];
	ks->n = j;
	return ks;
}

struct ksyms *ksyms_load(const char *path)
{
	char *text = read_file(path, NULL);

	return text ? ksyms_parse(text) : NULL;
}

const struct ksym *ksyms_lookup(const struct ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi = ks->n;

	/* the last symbol with sym.addr <= addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &ks->syms[lo - 1] : NULL;
}

void ksyms_free(struct ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->text);
	free(ks->mods);
	free(ks);
}
