/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --dir DIR: one pprof file per window and profile type, named by the
 * window's start (TYPE-YYYYMMDDTHHMMSS.mmmZ.pb.gz, UTC, so names sort by
 * time), each written whole or not at all (atomic_file.h); --keep prunes
 * the oldest by count (per type), age or total size.  Only files of that
 * name pattern are ever removed.
 */
#ifndef PROFILER_AGENT_FILES_H
#define PROFILER_AGENT_FILES_H

#include <stddef.h>
#include <stdint.h>

struct keep {
	unsigned int count;	/* windows per type; 0: no limit */
	uint64_t age_s;		/* 0: no limit */
	uint64_t bytes;		/* 0: no limit */
};

/* "100", "24h", "30m", "7d", "500M", "2G", or several with commas. */
int keep_parse(struct keep *k, const char *arg);

/* Make DIR if needed and check it can be written: one-line error, -errno. */
int dir_open(const char *dir);
/* Write data as type's file for the window starting at start_ns (realtime). */
int dir_write(const char *dir, const char *type, uint64_t start_ns, const void *data, size_t len);
/* Remove what --keep does not keep; now_s is the realtime clock's seconds. */
void dir_prune(const char *dir, const struct keep *k, uint64_t now_s);

#endif /* PROFILER_AGENT_FILES_H */
