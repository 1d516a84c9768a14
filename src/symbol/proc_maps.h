/* SPDX-License-Identifier: GPL-2.0 */
/* The executable mappings of a process, from /proc/PID/maps. */
#ifndef PROFILER_PROC_MAPS_H
#define PROFILER_PROC_MAPS_H

#include <stddef.h>
#include <stdint.h>

enum map_kind {
	MAP_FILE,	/* a file: binary or shared library */
	MAP_VDSO,
	MAP_ANON,	/* anonymous executable memory: JIT code */
	MAP_OTHER,	/* [vsyscall], [uprobes] and the like */
};

struct proc_map {
	uint64_t start, end, offset;
	uint64_t dev, ino;
	int kind;		/* enum map_kind */
	int32_t file;		/* the symbolizer's file for it, -1: none yet */
	char *path;		/* as the kernel prints it, " (deleted)" included */
};

/* Parse maps text; executable mappings only, sorted by address. */
int proc_maps_parse(const char *text, struct proc_map **out, size_t *n);
/* Read /proc/PID/maps: -errno on failure (-ESRCH: no such process). */
int proc_maps_read(uint32_t pid, struct proc_map **out, size_t *n);
const struct proc_map *proc_maps_find(const struct proc_map *maps, size_t n, uint64_t addr);
/* Open the file behind m, a mapping of the live process pid: -1 and errno on failure. */
int proc_map_open(uint32_t pid, const struct proc_map *m);
void proc_maps_free(struct proc_map *maps, size_t n);

#endif /* PROFILER_PROC_MAPS_H */
