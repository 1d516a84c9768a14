// SPDX-License-Identifier: GPL-2.0
/* The perf-map parser (src/symbol/perf_map.c): JIT symbols. */
#include <stdlib.h>

#include "fuzz.h"
#include "symbol/perf_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct elf_syms *es = perf_map_parse(text, 1000);

	for (size_t i = 0; i < es->n; i++) {
		const struct elf_sym *s = elf_syms_lookup(es, es->syms[i].addr);

		elf_syms_name(es, s ? s : &es->syms[i]);
	}
	elf_syms_free(es);
	free(text);
	return 0;
}
