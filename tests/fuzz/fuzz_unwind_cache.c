// SPDX-License-Identifier: GPL-2.0
/* A cache file of unwind rows (src/symbol/unwind_cache.c), read back. */
#include <stdlib.h>

#include "fuzz.h"
#include "symbol/unwind_cache.h"

/* The key the file must carry: the header's own when it has one, so the
 * checks past the key are reached (offset 32: magic, six 32-bit fields) */
#define KEY_OFF		32
#define KEY_LEN		28

static void parse(const uint8_t *data, size_t size)
{
	struct unwind_table *t;
	uint64_t bias;

	t = unwind_cache_parse(data, size, size >= KEY_OFF + KEY_LEN ? data + KEY_OFF : data,
			       size >= KEY_OFF + KEY_LEN ? KEY_LEN : 0);
	if (t) {
		unwind_table_find(t, t->rows[t->n / 2].pc);
		unwind_table_bias(t, 0x400000, 0, &bias);
	}
	unwind_table_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = xmalloc(size ? size : 1);

	/* as found on disk, then with its checksum right */
	parse(data, size);
	memcpy(copy, data, size);
	unwind_cache_seal(copy, size);
	parse(copy, size);
	free(copy);
	return 0;
}
