/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel data symbols (static variables, from /proc/kallsyms types
 * d/D/b/B/r/R), to name a static kernel lock by its address.  Apart from
 * kallsyms.c, which keeps functions for stack frames.
 */
#ifndef PROFILER_KALLSYMS_DATA_H
#define PROFILER_KALLSYMS_DATA_H

#include <stddef.h>
#include <stdint.h>

struct ksym_data {
	uint64_t addr;
	const char *name;
};

struct ksyms_data {
	struct ksym_data *syms;
	size_t n;
	char *text;
};

/* Parse kallsyms text (takes ownership). */
struct ksyms_data *ksyms_data_parse(char *text);
struct ksyms_data *ksyms_data_load(const char *path);
/*
 * The variable holding addr: "name" or "name+0xOFF".  kallsyms has no
 * sizes, so an address is claimed only when it lies before the next data
 * symbol and within max_off of its own.  Writes into buf; NULL if none.
 */
const char *ksyms_data_name(const struct ksyms_data *kd, uint64_t addr, uint64_t max_off,
			    char *buf, size_t size);
void ksyms_data_free(struct ksyms_data *kd);

#endif /* PROFILER_KALLSYMS_DATA_H */
