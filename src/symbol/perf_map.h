/* SPDX-License-Identifier: GPL-2.0 */
/*
 * JIT symbols from /tmp/perf-PID.map, the format JITs write for perf
 * (Node --perf-basic-prof, Java agents, Python 3.12 -X perf): one
 * "START SIZE name" line per function, START and SIZE in hex.
 */
#ifndef PROFILER_PERF_MAP_H
#define PROFILER_PERF_MAP_H

#include <stdint.h>
#include <sys/types.h>

#include "symbol/elf_syms.h"

/* Parse perf map text into a symbol table; malformed lines are skipped.
 * At most max_lines symbols (LIMIT_PERF_MAP_LINES): past them truncated. */
struct elf_syms *perf_map_parse(const char *text, size_t max_lines);

/*
 * Read the map of pid, whose user is uid.  As perf does, the file is
 * trusted only when it is a regular file owned by that user or by root:
 * anyone can write to /tmp.  NULL when there is none or it is refused.
 */
struct elf_syms *perf_map_read(uint32_t pid, uid_t uid);

#endif /* PROFILER_PERF_MAP_H */
