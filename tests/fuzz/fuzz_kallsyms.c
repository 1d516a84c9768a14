// SPDX-License-Identifier: GPL-2.0
/* The kallsyms parsers (src/symbol/kallsyms.c, kallsyms_data.c): function
 * symbols, then data symbols, each looked up at every address it has. */
#include <stdlib.h>

#include "fuzz.h"
#include "symbol/kallsyms.h"
#include "symbol/kallsyms_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ksyms *ks = ksyms_parse(fuzz_text(data, size));
	struct ksyms_data *kd = ksyms_data_parse(fuzz_text(data, size));
	struct ksym s;
	char buf[128];

	for (size_t i = 0; ks && i < ks->n; i++) {
		ksyms_get(ks, i, &s);
		ksyms_lookup(ks, s.addr + 1, &s);
	}
	for (size_t i = 0; kd && i < kd->n; i++)
		ksyms_data_name(kd, kd->syms[i].addr + 1, 4096, buf, sizeof(buf));
	ksyms_free(ks);
	ksyms_data_free(kd);
	return 0;
}
