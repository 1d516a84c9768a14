// SPDX-License-Identifier: GPL-2.0
/*
 * libdebuginfod is loaded by dlopen() when a run first wants a debug file
 * from a server, not linked: it pulls in libcurl with gnutls, nettle,
 * kerberos and LDAP, some 30 shared libraries that the dynamic loader
 * mapped, relocated and ran the constructors of at every start, and that
 * almost no run uses.
 */
#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbol/debuginfod.h"
#include "util/util.h"

#define DBGD_LIB "libdebuginfod.so.1"

/* The library's functions this file calls, found by dlsym() */
struct dbgd_lib {
	void *handle;
	typeof(debuginfod_begin) *begin;
	typeof(debuginfod_end) *end;
	typeof(debuginfod_set_user_data) *set_user_data;
	typeof(debuginfod_get_user_data) *get_user_data;
	typeof(debuginfod_set_progressfn) *set_progressfn;
	typeof(debuginfod_find_debuginfo) *find_debuginfo;
};

struct dbginfod {
	struct dbgd_lib lib;
	debuginfod_client *client;
	uint64_t waited_ns;	/* by the fetches before this one */
	uint64_t fetch_start;	/* this one's start */
	bool spent;		/* said once: the wait is over */
};

/*
 * Called by the library while it waits (at least once a second): a
 * non-zero return ends the fetch, which keeps the total wait bounded
 * however many binaries want a debug file and however slow the server.
 */
static int on_progress(debuginfod_client *c, long done, long total)
{
	/* the library is loaded (NOLOAD: no second load), its handle counted
	 * once more and given back; no global to hold the function in */
	void *h = dlopen(DBGD_LIB, RTLD_NOW | RTLD_NOLOAD);
	typeof(debuginfod_get_user_data) *get = h ? dlsym(h, "debuginfod_get_user_data") : NULL;
	struct dbginfod *d = get ? get(c) : NULL;

	if (h)
		dlclose(h);
	if (!d)
		return 0;

	return d->waited_ns + (now_ns() - d->fetch_start) > DEBUGINFOD_WAIT_MS * 1000000ULL;
}

#define SYM(lib, name) ((lib)->name = dlsym((lib)->handle, "debuginfod_" #name))

/* The library and the functions we call, or -ENOENT with a line on stderr. */
static int load_lib(struct dbgd_lib *lib, const char *urls)
{
	lib->handle = dlopen(DBGD_LIB, RTLD_NOW | RTLD_LOCAL);
	if (!lib->handle) {
		pr_warn("debuginfod: cannot load %s (%s): no debug files from %s; install "
			"libdebuginfod1, or unset DEBUGINFOD_URLS", DBGD_LIB, dlerror(), urls);
		return -ENOENT;
	}
	if (!SYM(lib, begin) || !SYM(lib, end) || !SYM(lib, set_user_data) ||
	    !SYM(lib, get_user_data) || !SYM(lib, set_progressfn) || !SYM(lib, find_debuginfo)) {
		pr_warn("debuginfod: %s lacks a function we call (%s): no debug files from %s",
			DBGD_LIB, dlerror(), urls);
		dlclose(lib->handle);
		lib->handle = NULL;
		return -ENOENT;
	}
	return 0;
}

struct dbginfod *dbginfod_new(void)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	struct dbgd_lib lib = {};
	struct dbginfod *d;
	debuginfod_client *c;

	if (!urls || !*urls || load_lib(&lib, urls))
		return NULL;
	c = lib.begin();
	if (!c) {
		pr_warn("debuginfod: cannot start a client (%s): no debug files from %s",
			strerror(errno), urls);
		dlclose(lib.handle);
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	d->lib = lib;
	d->client = c;
	lib.set_user_data(c, d);
	lib.set_progressfn(c, on_progress);
	return d;
}

void dbginfod_free(struct dbginfod *d)
{
	if (!d)
		return;
	d->lib.end(d->client);
	/* not dlclose()d: libcurl and gnutls keep exit handlers of their own */
	free(d);
}

int dbginfod_fetch(struct dbginfod *d, const unsigned char *build_id, size_t len,
		   const char *path)
{
	char hex[2 * 64 + 1];
	char *where = NULL;
	int fd;

	if (!d || !len || len > 64)
		return -ENOENT;
	for (size_t i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", build_id[i]);
	if (d->waited_ns >= DEBUGINFOD_WAIT_MS * 1000000ULL) {
		if (!d->spent)
			fprintf(stderr, "profiler: debuginfod: %u s of waiting spent: no more debug "
				"files fetched (%s and the binaries after it keep their addresses)\n",
				DEBUGINFOD_WAIT_MS / 1000, path);
		d->spent = true;
		return -ETIME;
	}
	d->fetch_start = now_ns();
	fd = d->lib.find_debuginfo(d->client, build_id, len, &where);
	d->waited_ns += now_ns() - d->fetch_start;
	if (fd >= 0) {
		fprintf(stderr, "profiler: debuginfod: debug file of %s (build-id %s): %s\n", path,
			hex, where ? where : "fetched");
	} else {
		const char *url = getenv("DEBUGINFOD_URLS");

		/* ECANCELED: on_progress ended it */
		fprintf(stderr, "profiler: debuginfod: no debug file for %s (build-id %s) from %s: "
			"%s\n", path, hex, url ? url : "?",
			fd == -ECANCELED || d->waited_ns >= DEBUGINFOD_WAIT_MS * 1000000ULL ?
			"the wait for debug files is spent" : strerror(-fd));
	}
	free(where);
	return fd;
}
