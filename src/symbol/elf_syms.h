/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Function symbols of one ELF file, read with libelf: .symtab when the file
 * has one, else .dynsym; sorted by address, sizes honoured; plus the
 * PT_LOAD segments that turn a file offset into an ELF address, and the
 * GNU build-id.  16 bytes a symbol, and no copy of the names: a table read
 * from a file keeps the file's string table mapped read-only and its
 * symbols point into it, so a name costs a page of the file only once a
 * sample needs it (docs/architecture.md, Decisions: the agent's memory).
 */
#ifndef PROFILER_ELF_SYMS_H
#define PROFILER_ELF_SYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbol/elf_segs.h"

/* elf_sym.bind: preference among aliases at one address, lower is better */
enum { ELF_SYM_GLOBAL, ELF_SYM_WEAK, ELF_SYM_LOCAL, ELF_SYM_STUB /* a PLT stub */ };

#define ELF_SYM_NAME_MAX ((1u << 27) - 1)	/* the largest name offset */

struct elf_sym {
	uint64_t addr;
	uint32_t size;		/* 0: extends to the next symbol; clamped to 4 GiB */
	uint32_t name : 27;	/* offset in the file's string table, or in names */
	uint32_t own : 1;	/* the name is in elf_syms.names */
	uint32_t bind : 2;	/* ELF_SYM_* */
	uint32_t label : 1;	/* an assembler label: reaches to the next symbol */
	uint32_t pad : 1;
};

struct elf_syms {
	struct elf_sym *syms;
	size_t n, cap;
	char *names;		/* names added by hand (perf maps, PLT stubs, merged) */
	size_t names_len, names_cap;
	const char *strtab;	/* the file's string table, mapped: names of own == 0 */
	size_t strtab_len;
	void *strmap;		/* its mapping, munmapped at free */
	size_t strmap_len;
	int64_t file_size;	/* the mapped file's size and modification time */
	int64_t file_mtime_ns;	/* when mapped: dropped pages come back from it */
	bool pages_dropped;	/* given back: re-read from the file if it is the same */
	struct elf_seg *segs;	/* PT_LOAD */
	size_t nsegs;
	char **demangled;	/* lazily filled, one per symbol */
	unsigned char build_id[20];
	size_t build_id_len;
	bool has_symtab;	/* false: only .dynsym (stripped) */
	char *debuglink;	/* .gnu_debuglink: the debug file's name, or NULL */
	uint32_t debuglink_crc;	/* its CRC32, checked before use */
	void *debugdata;	/* .gnu_debugdata (MiniDebugInfo, xz), copied */
	size_t debugdata_len;
	bool is_dyn;		/* ET_DYN: PIE or shared library */
	bool not_go;		/* section headers, none named *gopclntab: no Go table
				 * to look for (gopclntab_from_elf's own first test) */
	size_t max_syms;	/* kept at most (LIMIT_SYMS); more are dropped */
	bool truncated;		/* some were: the file had more than max_syms */
};

/* Read the file open at fd (not closed).  NULL with errno set on failure. */
struct elf_syms *elf_syms_from_fd(int fd);
/* Read an ELF image already in memory, such as the vDSO. */
struct elf_syms *elf_syms_from_mem(const void *image, size_t size);
void elf_syms_free(struct elf_syms *es);
/* Give back the clean pages of the mapped string table (NULL: nothing);
 * they come back from the page cache when a name is read again.  Not done
 * when the file cannot be checked again (elf_syms_same_file). */
void elf_syms_drop_pages(struct elf_syms *es);
/* false when the file under the dropped pages was changed in place since it
 * was read (or cannot be checked): its names would be another file's, and a
 * shortened file would fault (SIGBUS) where it was cut */
bool elf_syms_same_file(struct elf_syms *es);
/* The file of the mapped string table, opened read-only: an fd, or -errno */
int elf_syms_open_mapped(const struct elf_syms *es);
/* Build a table by hand (perf maps): add symbols, then sort once. */
struct elf_syms *elf_syms_new(void);
/* false when the table is full (max_syms: truncated is set) */
bool elf_syms_add(struct elf_syms *es, uint64_t addr, uint64_t size, const char *name);
void elf_syms_finish(struct elf_syms *es);

/* Add the symbols of from (a debug file of the same binary: same
 * addresses) to es; the segments and build-id of es stay. */
void elf_syms_merge(struct elf_syms *es, const struct elf_syms *from);

/* ELF address of a file offset, through the PT_LOAD segments; false when
 * no segment holds it. */
bool elf_syms_offset_to_addr(const struct elf_syms *es, uint64_t off, uint64_t *addr);
/* The symbol that contains addr, or NULL. */
const struct elf_sym *elf_syms_lookup(const struct elf_syms *es, uint64_t addr);
/* Its name, demangled when mangled. */
const char *elf_syms_name(struct elf_syms *es, const struct elf_sym *sym);
/* Its name as the file gives it. */
const char *elf_syms_raw_name(const struct elf_syms *es, const struct elf_sym *sym);

#endif /* PROFILER_ELF_SYMS_H */
