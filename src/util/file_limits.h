/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What one file of a target may cost the profiler.  The files it reads
 * (ELF, DWARF, .eh_frame, perf maps, saved profiles) belong to whoever
 * runs the target; a hostile or merely enormous one must not stall the
 * profiler or exhaust its memory.  Past a limit the reader keeps what it
 * has, the caller warns once naming the file and the limit, and the run
 * goes on.  Each limit sits far above what real files need (the figures
 * in docs/fuzzing.md), so that only a hostile file reaches it.
 */
#ifndef PROFILER_FILE_LIMITS_H
#define PROFILER_FILE_LIMITS_H

#include <linux/types.h>

#include "unwind.h"

/* Function symbols of one ELF file (with its debug file): the largest
 * binaries shipped (a browser's, with debug symbols) have about a million. */
#define LIMIT_SYMS		(8u << 20)
/* A JIT's perf map: its size, and its lines (symbols) */
#define LIMIT_PERF_MAP_BYTES	(256u << 20)
#define LIMIT_PERF_MAP_LINES	(4u << 20)
/* The DWARF (.debug_* sections) of one file that --lines opens */
#define LIMIT_DWARF_BYTES	(2ull << 30)
/* Unwind rows of one binary: what the BPF binary search can reach */
#define LIMIT_UNWIND_ROWS	((1u << UNWIND_ROW_SEARCH) - 1)
/* Time to compile one binary's .eh_frame into rows, in milliseconds, and
 * CPU time of one step on average over a few (one lookup in libdw:
 * microseconds in real files) */
#define LIMIT_UNWIND_MS		5000
#define LIMIT_UNWIND_STEP_NS	(5 * 1000000ULL)
/* A saved profile decompressed (gzip), and MiniDebugInfo decompressed (xz) */
#define LIMIT_GUNZIP_BYTES	(4ull << 30)
#define LIMIT_XZ_BYTES		(512u << 20)

#endif /* PROFILER_FILE_LIMITS_H */
