// SPDX-License-Identifier: GPL-2.0
/* The /proc/PID/maps parser (src/symbol/proc_maps.c). */
#include <stdlib.h>

#include "fuzz.h"
#include "symbol/proc_maps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct proc_map *maps = NULL;
	size_t n = 0;

	if (!proc_maps_parse(text, &maps, &n))
		for (size_t i = 0; i < n; i++)
			proc_maps_find(maps, n, maps[i].start);
	proc_maps_free(maps, n);
	free(text);
	return 0;
}
