/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Debug files fetched by build-id from the debuginfod servers the user
 * named in DEBUGINFOD_URLS, through elfutils' libdebuginfod (which keeps
 * them in its cache, DEBUGINFOD_CACHE_PATH), for binaries stripped of
 * their symbols with no debug file on this machine.  All fetches of one
 * run share a bounded wait, so a slow or dead server costs a profile
 * seconds, not minutes; each says on stderr what it fetched or why not.
 */
#ifndef PROFILER_DEBUGINFOD_H
#define PROFILER_DEBUGINFOD_H

#include <stddef.h>
#include <stdint.h>

/* What all the fetches of one run may wait, in all */
#define DEBUGINFOD_WAIT_MS	10000

struct dbginfod;

/* A client, or NULL when DEBUGINFOD_URLS is unset or empty (or the
 * library cannot start one). */
struct dbginfod *dbginfod_new(void);
void dbginfod_free(struct dbginfod *d);
/*
 * The debug file of the binary at path with this build-id, open: from the
 * cache, else fetched.  -errno when there is none (-ENOENT), the wait is
 * spent (-ETIME) or the server failed; a line on stderr either way.
 */
int dbginfod_fetch(struct dbginfod *d, const unsigned char *build_id, size_t len,
		   const char *path);

#endif /* PROFILER_DEBUGINFOD_H */
