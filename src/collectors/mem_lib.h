/* SPDX-License-Identifier: GPL-2.0 */
/* Which file holds the allocator a process uses (profiler mem). */
#ifndef PROFILER_MEM_LIB_H
#define PROFILER_MEM_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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

/* A munmap of [addr, addr + len) by pid at time ts, kept for user space. */
struct mem_cut {
	uint64_t addr, len, ts;
	uint32_t pid;
};

/* Sort cuts by process, for mem_region_left. */
void mem_cuts_sort(struct mem_cut *cuts, size_t n);

/*
 * Bytes still mapped of the region [start, start + size) that pid mapped
 * at ts, after the cuts it made later (sorted): its size less the union of
 * their overlaps with it.  An earlier cut is another region's business.
 */
uint64_t mem_region_left(uint64_t start, uint64_t size, uint32_t pid, uint64_t ts,
			 const struct mem_cut *cuts, size_t n);

#endif /* PROFILER_MEM_LIB_H */
