// SPDX-License-Identifier: GPL-2.0
/* The pprof reader, gzip-compressed or raw (src/input/read.c, pprof.c). */
#include "fuzz.h"
#include "input/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* not text: the folded reader has its own target */
	if (size && data[0] != 0x1f)
		profile_free(read_pprof(data, size, "fuzz"));
	else
		profile_free(profile_parse((const char *)data, size, "fuzz"));
	return 0;
}
