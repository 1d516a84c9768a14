// SPDX-License-Identifier: GPL-2.0
/* A cache file of unwind rows (src/symbol/unwind_cache.c), read back. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz.h"
#include "symbol/unwind_cache.h"

/* The key the file must carry: the header's own when it has one, so the
 * checks past the key are reached (offset 32: magic, six 32-bit fields) */
#define KEY_OFF		32
#define KEY_LEN		28

/* mapped: from a read-only mapping, as the cache reads its files (the
 * rows are then the mapping's own) */
static void parse(const uint8_t *data, size_t size, bool mapped)
{
	const uint8_t *key = size >= KEY_OFF + KEY_LEN ? data + KEY_OFF : data;
	size_t key_len = size >= KEY_OFF + KEY_LEN ? KEY_LEN : 0;
	struct unwind_table *t;
	void *map = NULL;
	uint64_t bias;

	if (mapped && size) {
		map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (map == MAP_FAILED)
			abort();
		memcpy(map, data, size);
		mprotect(map, size, PROT_READ);
		key = size >= KEY_OFF + KEY_LEN ? (uint8_t *)map + KEY_OFF : map;
		t = unwind_cache_parse_map(map, size, key, key_len);
		if (!t)
			munmap(map, size);
	} else {
		t = unwind_cache_parse(data, size, key, key_len);
	}
	if (t) {
		unwind_table_find(t, t->rows[t->n / 2].pc);
		unwind_table_bias(t, 0x400000, 0, &bias);
	}
	unwind_table_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = xmalloc(size ? size : 1);

	/* as found on disk, then with its checksum right, copied and mapped */
	parse(data, size, false);
	memcpy(copy, data, size);
	unwind_cache_seal(copy, size);
	parse(copy, size, false);
	parse(copy, size, true);
	free(copy);
	return 0;
}
