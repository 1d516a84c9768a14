// SPDX-License-Identifier: GPL-2.0
#include <elfutils/debuginfod.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbol/debuginfod.h"
#include "util/util.h"

struct dbginfod {
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
	struct dbginfod *d = debuginfod_get_user_data(c);

	return d->waited_ns + (now_ns() - d->fetch_start) > DEBUGINFOD_WAIT_MS * 1000000ULL;
}

struct dbginfod *dbginfod_new(void)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	struct dbginfod *d;
	debuginfod_client *c;

	if (!urls || !*urls)
		return NULL;
	c = debuginfod_begin();
	if (!c) {
		pr_warn("debuginfod: cannot start a client (%s): no debug files from %s",
			strerror(errno), urls);
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	d->client = c;
	debuginfod_set_user_data(c, d);
	debuginfod_set_progressfn(c, on_progress);
	return d;
}

void dbginfod_free(struct dbginfod *d)
{
	if (!d)
		return;
	debuginfod_end(d->client);
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
	fd = debuginfod_find_debuginfo(d->client, build_id, len, &where);
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
