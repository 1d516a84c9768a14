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

/* Build directory, for fixtures: BUILD in the environment, else "build". */
static inline const char *build_dir(void)
{
	const char *b = getenv("BUILD");

	return b && *b ? b : "build";
}

#endif /* PROFILER_TESTUTIL_H */
