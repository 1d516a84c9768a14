/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel symbols from /proc/kallsyms: read once, sorted, binary search. */
#ifndef PROFILER_KALLSYMS_H
#define PROFILER_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	const char *name;
	const char *module;	/* NULL for the core kernel */
};

struct ksyms {
	struct ksym *syms;
	size_t n, cap;
	char *text;		/* the file, with names cut in place */
	int zero_addrs;		/* symbols read as address 0: kptr_restrict */

	/* Set for a table from the cache (kallsyms_cache.c): the ranges it
	 * answers for, the core kernel's text and each module's. */
	bool from_cache;
	uint64_t core_lo, core_hi;
	struct ksym_range {
		uint64_t lo, hi;
	} *mods;
	size_t nmods;
};

/* Parse kallsyms text; takes ownership of text. */
struct ksyms *ksyms_parse(char *text);
struct ksyms *ksyms_load(const char *path);
/* The symbol at or below addr, or NULL. */
const struct ksym *ksyms_lookup(const struct ksyms *ks, uint64_t addr);
void ksyms_free(struct ksyms *ks);

#endif /* PROFILER_KALLSYMS_H */
