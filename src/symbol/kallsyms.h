/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel symbols from /proc/kallsyms: read once, sorted, binary search. */
#ifndef PROFILER_KALLSYMS_H
#define PROFILER_KALLSYMS_H

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
};

/* Parse kallsyms text; takes ownership of text. */
struct ksyms *ksyms_parse(char *text);
struct ksyms *ksyms_load(const char *path);
/* The symbol at or below addr, or NULL. */
const struct ksym *ksyms_lookup(const struct ksyms *ks, uint64_t addr);
void ksyms_free(struct ksyms *ks);

#endif /* PROFILER_KALLSYMS_H */
