// SPDX-License-Identifier: GPL-2.0
/* The kallsyms cache file checker (src/symbol/kallsyms_file.c): what the
 * profiler maps from /run.  The seed files carry the key below. */
#include <string.h>
#include <sys/mman.h>

#include "fuzz.h"
#include "symbol/kallsyms_file.h"

static const struct ksyms_file_key key = { .boot_id = "fuzz-boot-id", .modules = 0x1234 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ksyms *ks;
	struct ksym s;
	void *map;

	if (!size)
		return 0;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return 0;
	memcpy(map, data, size);
	ks = ksyms_file_from_map(map, size, &key);
	for (size_t i = 0; ks && i < ks->n; i++) {
		ksyms_get(ks, i, &s);
		ksyms_lookup(ks, s.addr, &s);
	}
	ksyms_free(ks);
	return 0;
}
