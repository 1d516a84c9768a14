// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <libiberty/demangle.h>

#include "symbol/demangle.h"

char *demangle(const char *name)
{
	/* Cheap test first: only _Z (C++, legacy Rust) and _R (Rust v0) are mangled. */
	if (name[0] != '_' || (name[1] != 'Z' && name[1] != 'R'))
		return NULL;
	/* DMGL_AUTO tries Rust before C++, so legacy Rust names lose their hash. */
	return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
}
