/* SPDX-License-Identifier: GPL-2.0 */
/* Which file holds the allocator a process uses (profiler mem). */
#ifndef PROFILER_MEM_LIB_H
#define PROFILER_MEM_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_map;

/*
 * Which of the functions names[n] (n <= 32) the ELF file at path defines,
 * as a bit mask, with their file offsets (what a uprobe takes) in offs[]
 * when offs is not NULL.
 */
unsigned elf_func_offsets(const char *path, const char *const *names, size_t n, uint64_t *offs);

/*
 * Which allocator functions (names[], malloc first) each file defines,
 * and where, and its entry point, by the file's identity (device, inode,
 * size, time): every process of a build maps the same few files, and
 * reading their symbol tables for each was most of what a followed
 * process cost us.
 */
struct alloc_files;

struct alloc_files *alloc_files_new(const char *const *names, size_t n);
/* elf_func_offsets(path, names, n, offs) through the cache (offs may be NULL). */
unsigned alloc_files_find(struct alloc_files *a, const char *path, uint64_t *offs);
/* The file offset of path's entry point (elf_entry_offset), through the cache. */
bool alloc_files_entry(struct alloc_files *a, const char *path, uint64_t *off);
void alloc_files_free(struct alloc_files *a);

/*
 * The allocator of process pid (0: the profiler's own, which a command
 * about to be started will load too; found once), as a path that opens
 * from here: the executable when it defines the malloc of a (names[0])
 * itself (static, or its own allocator), else a preloaded or linked
 * allocator library that does, else the C library.  maps (n of them):
 * pid's mappings when the caller has them, NULL to read /proc.  -errno
 * when none is found.
 */
int mem_find_allocator(struct alloc_files *a, pid_t pid, const char *exe,
		       const struct proc_map *maps, size_t n, char *out, size_t size);

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
