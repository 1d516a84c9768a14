/* SPDX-License-Identifier: GPL-2.0 */
/* What every cmocka unit test includes. */
#ifndef PROFILER_TESTUTIL_H
#define PROFILER_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/bpf.h>

/* Build directory, for fixtures: BUILD in the environment, else "build". */
static inline const char *build_dir(void)
{
	const char *b = getenv("BUILD");

	return b && *b ? b : "build";
}

/* The keys in BPF map fd (of key_size bytes, at most 64). */
static inline size_t map_count_keys(int fd, size_t key_size)
{
	unsigned char key[64], next[64];
	size_t n = 0;
	void *prev = NULL;

	assert_true(key_size <= sizeof(key));
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

#endif /* PROFILER_TESTUTIL_H */
