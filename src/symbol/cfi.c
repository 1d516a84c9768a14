// SPDX-License-Identifier: GPL-2.0
#include <dwarf.h>
#include <errno.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>

#include "symbol/cfi.h"
#include "symbol/eh_frame_hdr.h"
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
	uint64_t *starts;	/* FDE starts, read on first use */
	size_t nstarts;
	bool starts_read;
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
	free(c->starts);
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

int cfi_function_start(struct cfi *c, uint64_t addr, uint64_t *start, bool *entry)
{
	Dwarf_Frame *frame = NULL;
	size_t lo = 0, hi;
	GElf_Ehdr eh;

	if (!c)
		return -ENOENT;
	if (!c->starts_read) {
		c->starts_read = true;
		if (eh_frame_hdr_starts(c->elf, &c->starts, &c->nstarts))
			c->nstarts = 0;
	}
	/* the last FDE that starts at or below addr */
	hi = c->nstarts;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->starts[mid] <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -ENOENT;
	/* and it reaches addr: code past an FDE's end (hand-written assembly
	 * without CFI) is nobody's */
	if (dwarf_cfi_addrframe(c->cfi, addr, &frame) != 0)
		return -ENOENT;
	free(frame);
	*start = c->starts[lo - 1];
	*entry = gelf_getehdr(c->elf, &eh) && eh.e_entry == *start;
	return 0;
}
