/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An ELF file's PT_LOAD segments: what turns a file offset into an ELF
 * address and back, and gives a mapping its load bias.  One reader for the
 * symbol tables, the unwind tables and the entry point.
 */
#ifndef PROFILER_ELF_SEGS_H
#define PROFILER_ELF_SEGS_H

#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_seg {
	uint64_t offset, vaddr, filesz;
	bool exec;
};

/* The PT_LOAD segments of elf into *segs (malloc'd, NULL when none): how many. */
size_t elf_segs_read(Elf *elf, struct elf_seg **segs);
/* ELF address of a file offset; false when no segment holds it. */
bool elf_segs_offset_to_addr(const struct elf_seg *segs, size_t n, uint64_t off, uint64_t *addr);
/* File offset of an ELF address; false when no segment holds it. */
bool elf_segs_addr_to_offset(const struct elf_seg *segs, size_t n, uint64_t addr, uint64_t *off);
/*
 * The load bias of a mapping at start of the file from map_offset
 * (runtime address = ELF address + bias).  A mapping starts on the page
 * that holds its segment's first byte, which need not be page-aligned.
 */
bool elf_segs_map_bias(const struct elf_seg *segs, size_t n, uint64_t start,
		       uint64_t map_offset, uint64_t *bias);

#endif /* PROFILER_ELF_SEGS_H */
