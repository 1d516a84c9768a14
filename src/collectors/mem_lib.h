/* SPDX-License-Identifier: GPL-2.0 */
/* Which file holds the allocator a process uses (profiler mem). */
#ifndef PROFILER_MEM_LIB_H
#define PROFILER_MEM_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Does the ELF file at path define the function name? */
bool elf_defines(const char *path, const char *name);

/*
 * The allocator of process pid (0: the profiler's own, which a command
 * about to be started will load too), as a path that opens from here:
 * the executable when it defines PREFIXmalloc itself (static, or its own
 * allocator), else a preloaded or linked allocator library that does,
 * else the C library.  -errno when none is found.
 */
int mem_find_allocator(pid_t pid, const char *exe, const char *prefix, char *out, size_t size);

#endif /* PROFILER_MEM_LIB_H */
