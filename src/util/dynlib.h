/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Libraries that few runs use, loaded by dlopen() when first wanted rather
 * than linked: a linked library is mapped, relocated and initialised at
 * every start, with everything it pulls in (libcurl alone brings openssl,
 * kerberos, LDAP, ssh and gnutls: some 30 libraries), whether the run
 * uses it or not.
 */
#ifndef PROFILER_DYNLIB_H
#define PROFILER_DYNLIB_H

#include <stddef.h>

/* A function to find: its name, and where its address goes. */
struct dynlib_sym {
	const char *name;
	void **slot;
};

/* A slot for a function pointer: POSIX's way to store dlsym()'s result. */
#define DYNLIB_SYM(name, fp) { (name), (void **)&(fp) }

/*
 * Load soname (RTLD_NOW | RTLD_LOCAL) and fill every slot: the handle, or
 * NULL with the reason in why (the loader's message, or the first missing
 * function).  A loaded library stays loaded: libraries such as libcurl and
 * gnutls keep exit handlers that must not outlive their code.
 */
void *dynlib_open(const char *soname, const struct dynlib_sym *syms, size_t n,
		  char *why, size_t whylen);

#endif
