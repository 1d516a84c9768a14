/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Go runtime's own table of functions, .gopclntab: what a Go program
 * keeps for its tracebacks, so stripped builds (-ldflags="-s -w": no
 * .symtab, no DWARF, no .eh_frame) have it too.  Function names as Go
 * spells them, file:line, inlined calls (FUNCDATA_InlTree with
 * PCDATA_InlTreeIndex) and the stack-pointer delta at every pc (pcsp), for
 * the layouts of Go 1.16-1.17 (magic 0xfffffffa), 1.18-1.19 (0xfffffff0)
 * and 1.20 on (0xfffffff1).  Found by its section, or, when the section
 * headers are gone too, by its magic in the loaded segments, checked
 * against its header and the runtime's moduledata that points at it.
 * Every offset is checked against the bytes there: the file is the
 * target's, not ours.
 */
#ifndef PROFILER_GOPCLNTAB_H
#define PROFILER_GOPCLNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libelf.h>

#include "symbol/srcline.h"

struct gopclntab;

/* One function of the table. */
struct go_func {
	uint64_t entry, end;	/* ELF addresses: [entry, end) */
	const char *name;
	uint32_t pcsp;		/* offset of its SP-delta table in pctab, 0: none */
	uint8_t func_id, flag;	/* flag: GO_FUNC_* (Go 1.17 on; 0 before) */
};

/* funcFlag bits (runtime/symtab.go) */
#define GO_FUNC_TOPFRAME	0x1	/* the root of its stack: goexit, mstart, rt0_go */
#define GO_FUNC_SPWRITE		0x2	/* writes SP in a way pcsp cannot say */

/*
 * The table of an ELF file, read through elf (which must outlive it), or
 * of the file open at fd (mapped: fd may be closed afterwards).  NULL with
 * errno ENOENT when the file is not Go, EINVAL when its table is damaged.
 */
struct gopclntab *gopclntab_from_elf(Elf *elf);
struct gopclntab *gopclntab_from_fd(int fd);
/*
 * A bare table at address tab_addr, and the bytes at fdata_addr where its
 * funcdata (inline trees) points: Go 1.18 on reads them relative to
 * fdata_addr (the runtime's moduledata.gofunc), Go 1.16 as absolute
 * addresses (tests, fuzzing).
 */
struct gopclntab *gopclntab_from_raw(const void *tab, size_t size, uint64_t tab_addr,
				     const void *fdata, size_t fdata_size, uint64_t fdata_addr);
void gopclntab_free(struct gopclntab *g);

/* The Go release the layout belongs to: 116, 118 or 120. */
int gopclntab_version(const struct gopclntab *g);
/* Whether ELF address pc lies in the table's functions. */
bool gopclntab_covers(const struct gopclntab *g, uint64_t pc);
/* Whether the runtime's moduledata was found (inlined calls need it from 1.18 on). */
bool gopclntab_has_funcdata(const struct gopclntab *g);

size_t gopclntab_count(const struct gopclntab *g);
/* Function i (in address order): 0, or -EINVAL when its record is damaged. */
int gopclntab_func(const struct gopclntab *g, size_t i, struct go_func *f);

/*
 * Walk function f's SP-delta table: cb(ctx, pc, delta) for each range
 * starting at pc where SP is delta bytes below its value at the entry, in
 * order, the last range ending at f->end.  The number of ranges, or
 * -EINVAL when the table is damaged (the ranges so far were given).
 */
int gopclntab_sp_deltas(const struct gopclntab *g, const struct go_func *f,
			void (*cb)(void *ctx, uint64_t pc, int32_t delta), void *ctx);

/*
 * The function holding ELF address pc: its name in *name and the frames
 * there, innermost first, as srcline_lookup gives them: one per inlined
 * call (func its name), then the function itself (func NULL), each with
 * its file:line.  The number of frames (at most max, at least 1), or 0
 * when no function holds pc.  Strings live as long as g.
 */
int gopclntab_lookup(const struct gopclntab *g, uint64_t pc, const char **name,
		     struct srcline_frame *out, int max);

/*
 * gopclntab_unwind.c: the Go code of elf as unwind rows from its SP
 * deltas, merged into t (rows of its .eh_frame, if any, kept outside the
 * Go text), at most max_rows in all.  0, -ENOENT when elf is not Go.
 */
struct unwind_table;
int gopclntab_unwind_rows(Elf *elf, struct unwind_table *t, size_t max_rows);

#endif /* PROFILER_GOPCLNTAB_H */
