// SPDX-License-Identifier: GPL-2.0
/* The .eh_frame row compiler (src/symbol/unwind_table.c). */
#include "fuzz.h"
#include "symbol/unwind_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unwind_table *t = unwind_table_from_mem(data, size);
	uint64_t bias;

	if (t) {
		unwind_table_find(t, t->rows[t->n / 2].pc);
		unwind_table_bias(t, 0x400000, 0, &bias);
	}
	unwind_table_free(t);
	return 0;
}
