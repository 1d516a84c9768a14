/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the .gopclntab reader: shared by gopclntab.c (the table) and
 * gopclntab_elf.c (finding it in an ELF file). */
#ifndef PROFILER_GOPCLNTAB_INT_H
#define PROFILER_GOPCLNTAB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libelf.h>

#define GO_MAGIC_116	0xfffffffau	/* Go 1.16, 1.17 */
#define GO_MAGIC_118	0xfffffff0u	/* Go 1.18, 1.19 */
#define GO_MAGIC_120	0xfffffff1u	/* Go 1.20 on */

/* Bytes of the program at an address: its loaded segments, as the file has them */
struct go_region {
	uint64_t addr;
	const uint8_t *p;
	size_t size;
};

struct gopclntab {
	Elf *own;		/* gopclntab_from_fd's own mapping of the file */
	const uint8_t *tab;	/* the table (runtime.pcHeader first) */
	size_t size;
	uint64_t tab_addr;
	int ver;		/* 116, 118, 120 */
	unsigned ptrsize, quantum;
	uint64_t nfunc;
	uint64_t text_start;	/* 1.18 on: entries are offsets from it */
	uint64_t funcname_off, cu_off, file_off, pctab_off, pcln_off;
	uint64_t lo, hi;	/* the first function's entry, the last one's end */
	uint64_t gofunc;	/* 1.18 on: what funcdata offsets are from */
	bool have_gofunc;
	struct go_region *regs;
	size_t nregs;
};

/* Check the header and take the offsets: 0 or -EINVAL. */
int go_parse(struct gopclntab *g);
/* Entry i of the function table (i == nfunc: the end of the last), 0 when unreadable */
uint64_t go_entry(const struct gopclntab *g, uint64_t i);
/* len bytes of the program at addr, or NULL */
const uint8_t *go_mem(const struct gopclntab *g, uint64_t addr, size_t len);

#endif /* PROFILER_GOPCLNTAB_INT_H */
