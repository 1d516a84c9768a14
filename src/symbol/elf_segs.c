// SPDX-License-Identifier: GPL-2.0
#include <gelf.h>
#include <stdlib.h>

#include "symbol/elf_segs.h"
#include "util/util.h"

size_t elf_segs_read(Elf *elf, struct elf_seg **segs)
{
	size_t nph, n = 0;

	*segs = NULL;
	if (elf_getphdrnum(elf, &nph) || !nph)
		return 0;
	*segs = xcalloc(nph, sizeof(**segs));
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		(*segs)[n++] = (struct elf_seg){ ph.p_offset, ph.p_vaddr, ph.p_filesz,
						 ph.p_flags & PF_X };
	}
	if (!n) {
		free(*segs);
		*segs = NULL;
	}
	return n;
}

bool elf_segs_offset_to_addr(const struct elf_seg *segs, size_t n, uint64_t off, uint64_t *addr)
{
	for (size_t i = 0; i < n; i++) {
		const struct elf_seg *s = &segs[i];

		if (off >= s->offset && off < s->offset + s->filesz) {
			*addr = off - s->offset + s->vaddr;
			return true;
		}
	}
	return false;
}

bool elf_segs_addr_to_offset(const struct elf_seg *segs, size_t n, uint64_t addr, uint64_t *off)
{
	for (size_t i = 0; i < n; i++) {
		const struct elf_seg *s = &segs[i];

		if (addr >= s->vaddr && addr < s->vaddr + s->filesz) {
			*off = addr - s->vaddr + s->offset;
			return true;
		}
	}
	return false;
}

bool elf_segs_map_bias(const struct elf_seg *segs, size_t n, uint64_t start,
		       uint64_t map_offset, uint64_t *bias)
{
	for (size_t i = 0; i < n; i++) {
		const struct elf_seg *s = &segs[i];

		if (map_offset >= (s->offset & ~4095ULL) && map_offset < s->offset + s->filesz) {
			*bias = start - map_offset + s->offset - s->vaddr;
			return true;
		}
	}
	return false;
}
