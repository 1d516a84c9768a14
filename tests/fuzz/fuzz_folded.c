// SPDX-License-Identifier: GPL-2.0
/* The folded-stack reader (src/input/folded.c). */
#include "fuzz.h"
#include "input/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	profile_free(read_folded((const char *)data, size, "fuzz"));
	return 0;
}
