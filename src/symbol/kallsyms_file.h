/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kallsyms cache file: a table of kernel function symbols, sorted and
 * packed as struct ksyms holds it, so that reading it is an mmap and a
 * check.  Layout, native byte order (the file never leaves the machine):
 *
 *   struct ksyms_file_hdr
 *   struct ksym_entry  [nsyms]   sorted by address, addresses unique
 *   struct ksym_range  [nmods]   the loaded modules' ranges
 *   char               [strs_size] NUL-terminated names
 *
 * A file that is not exactly this (magic, version, sizes, key, every
 * entry's order and string offsets) is refused, and the caller rebuilds it.
 */
#ifndef PROFILER_KALLSYMS_FILE_H
#define PROFILER_KALLSYMS_FILE_H

#include <stdint.h>

#include "symbol/kallsyms.h"

#define KSYMS_FILE_MAGIC	"PRFKSYM"	/* 8 bytes with its NUL */
#define KSYMS_FILE_VERSION	1
/* File names, with the version: "ksyms.v1-BOOTID-MODULESHASH".  Another
 * version of the profiler on the same machine uses its own files. */
#define KSYMS_STR_(x)		#x
#define KSYMS_STR(x)		KSYMS_STR_(x)
#define KSYMS_FILE_PREFIX	"ksyms.v" KSYMS_STR(KSYMS_FILE_VERSION) "-"

/* What the file is valid for: one boot, one set of loaded modules. */
struct ksyms_file_key {
	char boot_id[40];
	uint64_t modules;
};

struct ksyms_file_hdr {
	char magic[8];
	uint32_t version;
	uint32_t hdr_size;	/* sizeof(struct ksyms_file_hdr) */
	uint32_t entry_size;	/* sizeof(struct ksym_entry) */
	uint32_t range_size;	/* sizeof(struct ksym_range) */
	uint64_t nsyms;
	uint64_t nmods;
	uint64_t strs_size;
	uint64_t file_size;
	uint64_t core_lo, core_hi;	/* the core kernel's text */
	struct ksyms_file_key key;
};

/* A loaded module: its symbols are kept, its range is trusted. */
struct ksyms_module {
	char name[64];
	struct ksym_range range;
};

/*
 * Write ks's core kernel symbols and those of the modules in mods to path
 * (atomically: a temporary file renamed over it, mode 0600).  -EINVAL when
 * ks has no _etext (the core kernel's range would be unknown).
 */
int ksyms_file_write(const char *path, const struct ksyms *ks, const struct ksyms_file_key *key,
		     const struct ksyms_module *mods, size_t nmods);
/*
 * Map path if it is a regular file owned by root that nobody else may
 * write, made for key, and valid throughout; NULL (errno set) otherwise.
 * The table has from_cache set, with the ranges it answers for.
 */
struct ksyms *ksyms_file_map(const char *path, const struct ksyms_file_key *key);
/* The checks of ksyms_file_map on a file already mapped (size bytes at
 * map, from mmap): the table owns map, or it is unmapped on failure. */
struct ksyms *ksyms_file_from_map(void *map, size_t size, const struct ksyms_file_key *key);

#endif /* PROFILER_KALLSYMS_FILE_H */
