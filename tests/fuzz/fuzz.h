/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every libFuzzer harness shares: the entry point's prototype and a
 * NUL-terminated copy of the input for the text parsers.
 */
#ifndef PROFILER_FUZZ_H
#define PROFILER_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The text parsers take a C string, as read_file gives them. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif /* PROFILER_FUZZ_H */
