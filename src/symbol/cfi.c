// SPDX-License-Identifier: GPL-2.0
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <libelf.h>
#include <stdlib.h>

#include "symbol/cfi.h"
#include "util/util.h"

/* DWARF register number of the stack pointer */
#if defined(__x86_64__)
#define DWARF_SP 7
#elif defined(__aarch64__)
#define DWARF_SP 31
#else
#define DWARF_SP -1
#endif

struct cfi {
	Elf *elf;
	Dwarf_CFI *cfi;
};

struct cfi *cfi_open(int fd)
{
	struct cfi *c;
	Elf *elf;
	Dwarf_CFI *dc;

	if (DWARF_SP < 0)
		return NULL;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return NULL;
	dc = dwarf_getcfi_elf(elf);
	if (!dc) {
		elf_end(elf);
		return NULL;
	}
	/* the mapping stays; the caller may close fd */
	elf_cntl(elf, ELF_C_FDDONE);
	c = xcalloc(1, sizeof(*c));
	c->elf = elf;
	c->cfi = dc;
	return c;
}

void cfi_close(struct cfi *c)
{
	if (!c)
		return;
	dwarf_cfi_end(c->cfi);
	elf_end(c->elf);
	free(c);
}

int cfi_sp_offset(struct cfi *c, uint64_t addr)
{
	Dwarf_Frame *frame = NULL;
	Dwarf_Op *ops;
	size_t nops;
	int off = 0;

	if (!c || dwarf_cfi_addrframe(c->cfi, addr, &frame) != 0)
		return 0;
	/* libdw gives a "register + offset" CFA rule as one DW_OP_bregx */
	if (dwarf_frame_cfa(frame, &ops, &nops) == 0 && nops == 1 &&
	    ops[0].atom == DW_OP_bregx && ops[0].number == DWARF_SP &&
	    (int64_t)ops[0].number2 > 0 && ops[0].number2 < 4096)
		off = (int)ops[0].number2;
	free(frame);
	return off;
}
