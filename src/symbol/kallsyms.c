// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "symbol/kallsyms.h"
#include "symbol/kallsyms_bpf.h"
#include "util/util.h"

static int cmp_ksym(const void *a, const void *b, void *arg)
{
	const struct ksym_entry *x = a, *y = b;
	const char *strs = arg;
	bool xm = x->module != KSYM_NO_MODULE, ym = y->module != KSYM_NO_MODULE;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* at one address prefer the core kernel, then the shorter name */
	if (xm != ym)
		return xm ? 1 : -1;
	return (int)strlen(strs + x->name) - (int)strlen(strs + y->name);
}

struct ksyms *ksyms_parse(char *text)
{
	struct ksyms *ks = xcalloc(1, sizeof(*ks));
	char *line = text, *next, *last_mod = NULL;
	uint32_t last_mod_off = KSYM_NO_MODULE;
	size_t j = 0, cap = 0;

	ks->own_strs = text;
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
		/* a module's symbols come together: share one copy of its name */
		if (mod && (!last_mod || strcmp(mod, last_mod))) {
			last_mod = mod;
			last_mod_off = (uint32_t)(mod - text);
		}
		GROW(ks->own_syms, cap, ks->n + 1);
		ks->own_syms[ks->n++] = (struct ksym_entry){
			.addr = addr,
			.name = (uint32_t)(name - text),
			.module = mod ? last_mod_off : KSYM_NO_MODULE,
		};
	}
	if (ks->n)	/* qsort's array may not be NULL, even empty */
		qsort_r(ks->own_syms, ks->n, sizeof(*ks->own_syms), cmp_ksym, text);
	/* one symbol per address: the first after sorting is the preferred one */
	for (size_t i = 0; i < ks->n; i++)
		if (j == 0 || ks->own_syms[j - 1].addr != ks->own_syms[i].addr)
			ks->own_syms[j++] = ks->own_syms[i];
	ks->n = j;
	ks->syms = ks->own_syms;
	ks->strs = text;
	return ks;
}

struct ksyms *ksyms_load(const char *path)
{
	char *text = read_file(path, NULL);

	return text ? ksyms_parse(text) : NULL;
}

void ksyms_get(const struct ksyms *ks, size_t i, struct ksym *out)
{
	const struct ksym_entry *e = &ks->syms[i];

	out->addr = e->addr;
	out->name = ks->strs + e->name;
	out->module = e->module == KSYM_NO_MODULE ? NULL : ks->strs + e->module;
}

/* How many symbols are at or below addr: the last of them is its. */
static size_t below(const struct ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi = ks->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool ksyms_lookup(const struct ksyms *ks, uint64_t addr, struct ksym *out)
{
	size_t lo = below(ks, addr), xlo = ks->extra ? below(ks->extra, addr) : 0;
	struct ksym x;

	if (!lo && !xlo)
		return false;
	if (lo)
		ksyms_get(ks, lo - 1, out);
	if (!xlo)
		return true;
	ksyms_get(ks->extra, xlo - 1, &x);
	/* the two as one sorted table (cmp_ksym): the higher address, at one
	 * address the core kernel, then the shorter name */
	if (!lo || x.addr > out->addr ||
	    (x.addr == out->addr && out->module && (!x.module || strlen(x.name) < strlen(out->name))))
		*out = x;
	return true;
}

void ksyms_drop_pages(const struct ksyms *ks)
{
	/* the cache file, mapped read-only and private: no page of it was written */
	if (ks && ks->map)
		madvise(ks->map, ks->map_size, MADV_DONTNEED);
}

void ksyms_free(struct ksyms *ks)
{
	if (!ks)
		return;
	if (ks->map)
		munmap(ks->map, ks->map_size);
	free(ks->own_syms);
	free(ks->own_strs);
	free(ks->own_mods);
	ksyms_bpf_free(ks->bpf);
	ksyms_free(ks->extra);
	free(ks);
}
