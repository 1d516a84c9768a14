/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel function symbols: a table sorted by address, one symbol per
 * address, looked up by binary search.  The table is packed (fixed-size
 * entries naming their strings by offset) so that the same layout serves
 * a table parsed from /proc/kallsyms and one mapped from the cache file
 * (kallsyms_file.c) without copying.
 */
#ifndef PROFILER_KALLSYMS_H
#define PROFILER_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KSYM_NO_MODULE	UINT32_MAX	/* ksym_entry.module of the core kernel */

struct ksym_entry {
	uint64_t addr;
	uint32_t name;		/* offset into ksyms.strs */
	uint32_t module;	/* offset into ksyms.strs, or KSYM_NO_MODULE */
};

struct ksym_range {
	uint64_t lo, hi;
};

/* A symbol as callers see it. */
struct ksym {
	uint64_t addr;
	const char *name;
	const char *module;	/* NULL for the core kernel */
};

struct ksyms {
	const struct ksym_entry *syms;	/* sorted, addresses unique */
	size_t n;
	const char *strs;	/* NUL-terminated names */
	int zero_addrs;		/* symbols read as address 0: kptr_restrict */

	/* Set for a table from the cache (kallsyms_cache.c): the ranges it
	 * answers for, the core kernel's text and each module's. */
	bool from_cache;
	uint64_t core_lo, core_hi;
	const struct ksym_range *mods;
	size_t nmods;
	/* BPF programs' functions, listed at the first address outside those
	 * ranges (kallsyms_cache.c) */
	struct ksyms_bpf *bpf;
	bool bpf_tried;
	/* the lines of /proc/kallsyms outside those ranges, read when an
	 * address there needed them (kallsyms_add_uncovered); looked up
	 * beside syms as one table */
	struct ksyms *extra;

	/* what backs the table: owned buffers, or a mapped file */
	struct ksym_entry *own_syms;
	char *own_strs;
	struct ksym_range *own_mods;
	void *map;
	size_t map_size;
};

/* Parse kallsyms text; takes ownership of text. */
struct ksyms *ksyms_parse(char *text);
struct ksyms *ksyms_load(const char *path);
/* The symbol at or below addr into *out; false if none. */
bool ksyms_lookup(const struct ksyms *ks, uint64_t addr, struct ksym *out);
/* Entry i as a symbol. */
void ksyms_get(const struct ksyms *ks, size_t i, struct ksym *out);
/* Give back the clean pages of a table mapped from the cache (NULL, or a
 * parsed table: nothing); read again from the page cache when needed. */
void ksyms_drop_pages(const struct ksyms *ks);
void ksyms_free(struct ksyms *ks);

#endif /* PROFILER_KALLSYMS_H */
