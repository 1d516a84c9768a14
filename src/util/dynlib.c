// SPDX-License-Identifier: GPL-2.0
#include <dlfcn.h>
#include <stdio.h>

#include "util/dynlib.h"

void *dynlib_open(const char *soname, const struct dynlib_sym *syms, size_t n,
		  char *why, size_t whylen)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	const char *e;

	if (!h) {
		e = dlerror();
		snprintf(why, whylen, "%s", e ? e : "not found");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(why, whylen, "%s has no %s", soname, syms[i].name);
			/* not dlclose()d: its constructors ran, and what they
			 * registered (exit handlers) must not outlive its code */
			return NULL;
		}
	}
	return h;
}
