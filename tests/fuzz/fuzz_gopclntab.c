// SPDX-License-Identifier: GPL-2.0
/*
 * The .gopclntab reader (src/symbol/gopclntab.c): a table and the funcdata
 * bytes it points into, then every function, its SP deltas, and a lookup
 * at its entry and its middle with inlined calls.  Input: a little-endian
 * u32 length, the table, the funcdata bytes; seeds made by
 * tests/fuzz/gen_gopclntab.py, one per layout (Go 1.16, 1.18, 1.20).
 */
#include <string.h>

#include "fuzz.h"
#include "symbol/gopclntab.h"

#define TAB_ADDR	0x10000000
#define FDATA_ADDR	0x20000000
#define MAX_FUNCS	4096	/* a run stays short whatever nfunc says */

static void sp_delta(void *ctx, uint64_t pc, int32_t delta)
{
	*(int64_t *)ctx += delta;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srcline_frame fr[8];
	struct gopclntab *g;
	const char *name;
	uint32_t len;
	int64_t sum = 0;

	if (size < 4)
		return 0;
	memcpy(&len, data, 4);
	if (len > size - 4)
		return 0;
	g = gopclntab_from_raw(data + 4, len, TAB_ADDR, data + 4 + len, size - 4 - len,
			       FDATA_ADDR);
	if (!g)
		return 0;
	for (size_t i = 0; i < gopclntab_count(g) && i < MAX_FUNCS; i++) {
		struct go_func f;

		if (gopclntab_func(g, i, &f))
			continue;
		gopclntab_sp_deltas(g, &f, sp_delta, &sum);
		for (int k = 0; k < 2; k++) {
			uint64_t pc = k ? f.entry + (f.end - f.entry) / 2 : f.entry;
			int n = gopclntab_lookup(g, pc, &name, fr, 8);

			for (int j = 0; j < n; j++)
				sum += strlen(name) + (fr[j].func ? strlen(fr[j].func) : 0) +
				       (fr[j].file ? strlen(fr[j].file) : 0) + fr[j].line;
		}
	}
	gopclntab_free(g);
	return sum == 42;	/* keeps the reads from being optimised away */
}
