/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compact unwind tables: the .eh_frame (Go: .gopclntab) of each mapped binary, compiled by
 * user space (src/symbol/unwind_table.c) into rows the BPF unwinder
 * (bpf/unwind.bpf.h) binary-searches once per frame.  x86-64 only: the
 * rules name its registers (rsp, rbp, rip).
 */
#ifndef PROFILER_UNWIND_H
#define PROFILER_UNWIND_H

#include "common.h"

/* How the canonical frame address (CFA) of a row is found. */
enum unwind_cfa {
	UNW_UNKNOWN,	/* no rule (no FDE here, or one we cannot follow): frame-pointer step */
	UNW_CFA_SP,	/* cfa = rsp + cfa_off */
	UNW_CFA_FP,	/* cfa = rbp + cfa_off */
	UNW_CFA_PLT,	/* cfa = rsp + cfa_off + ((rip & 15) >= 11 ? 8 : 0): a PLT entry */
	UNW_END,	/* return address undefined: the outermost frame (_start) */
	/*
	 * Go's runtime.asmcgocall where it called C on the system stack: it
	 * saved at rsp + cfa_off the depth of the goroutine's stack pointer
	 * below its stack's top, and at rsp + cfa_off + 8 the goroutine g (0
	 * when it was on the system stack already: then the word is the stack
	 * pointer itself); cfa = that stack pointer + 8, on another stack.
	 */
	UNW_GO_CGO,
};

/*
 * One row: from pc (the file's ELF virtual address, that is the runtime
 * address less the load bias) up to the next row's pc.  The return address
 * is at cfa - 8; the caller's rbp at cfa + 8 * fp_off, or unchanged when
 * fp_off is 0.
 */
struct unwind_row {
	__u32 pc;
	__s16 cfa_off;
	__u8 cfa;	/* enum unwind_cfa */
	__s8 fp_off;
};

#define UNWIND_MAX_MAPS		64	/* executable file mappings per process */
#define UNWIND_MAP_SEARCH	6	/* log2(UNWIND_MAX_MAPS) */
#define UNWIND_ROW_SEARCH	24	/* rows of one file: below 1 << 24 */
/*
 * A table's place (unwind_map.table, unwind_file.table): its slot in
 * unw_rows in the low bits, its first row there in the high ones.  Small
 * tables share a slot of UNWIND_SHARED_ROWS rows, filled one after the
 * other: each new slot is an update of the array of maps, which waits
 * for an RCU grace period (5 to 16 ms here, far more on a loaded VM),
 * and a process's first samples waited for it with no table.
 */
#define UNWIND_SLOT_BITS	16
#define UNWIND_SLOT_MASK	((1U << UNWIND_SLOT_BITS) - 1)
#define UNWIND_SHARED_ROWS	(1U << (32 - UNWIND_SLOT_BITS))	/* 512 KiB */
#define UNWIND_TABLE(slot, first)	((slot) | (first) << UNWIND_SLOT_BITS)
/*
 * The slots of the array of maps (unw_rows): each a BPF array of rows,
 * shared by small tables, a bigger binary's own, sized to fit, so the
 * memory is what the tables loaded need and no binary is too big for
 * room left over by the others.
 */
#define UNWIND_MAX_TABLES	(1U << UNWIND_SLOT_BITS)

/* An executable mapping of a file with a table: rows [first, first +
 * row_count) of the array in the table's slot of unw_rows. */
struct unwind_map {
	__u64 start, end;
	__u64 bias;		/* runtime address - ELF address */
	__u32 table, row_count;	/* table: UNWIND_TABLE(slot, first row) */
};

/*
 * In unwind_proc.made: the entry lacks code that had no table when it
 * was made.  Such an entry is made again (at each sample, or at each
 * change of mappings) until it lacks nothing or user space writes its
 * own: the table may come at any time (PROC_NOTE_TABLES asks for it), and
 * a process whose mappings stay as they are would otherwise keep the
 * short entry for good.
 */
#define UNWIND_MADE_LACKING	(1U << 31)

/*
 * made of an entry user space wrote where the kernel makes them as
 * processes map their code: never the kernel's mark, so that the
 * process's next change of mappings has the kernel make it again
 */
#define UNWIND_MADE_REMAKE	0xffffffffU

/*
 * A process's mappings with tables, sorted by start.  made: 0 when user
 * space wrote it; for one the kernel made (bpf/unwind_make.bpf.h), the
 * process's pages of code then (mm->exec_vm), plus one, and bit 31 when
 * it lacked a table: once the pages differ (more code mapped, a library
 * after ld.so's first ones) or while it lacks one, the kernel makes it
 * again at the next sample (or the next change of mappings, where it
 * makes them at the mmap lock), until user space writes its own.
 */
struct unwind_proc {
	__u32 nr;
	__u32 made;
	struct unwind_map maps[UNWIND_MAX_MAPS];
};

/*
 * A binary's table found by the file's identity, for entries the kernel
 * makes itself (bpf/unwind_make.bpf.h): the inode of the mapped file, as
 * the kernel names it (its superblock's dev_t, MAJOR << 20 | MINOR).
 */
struct unwind_file_key {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

#define UNWIND_FILE_SEGS	2	/* executable segments of a binary kept */
#define UNWIND_MAX_FILES	16384	/* binaries in unw_files */

/*
 * A mapping at start of file offset off (within [lo, hi) of one of the
 * binary's executable segments) has bias start - off + adj, adj being
 * that segment's p_offset - p_vaddr (src/symbol/elf_segs.c's rule).
 */
struct unwind_file_seg {
	__u64 lo, hi;
	__s64 adj;
};

struct unwind_file {
	__u32 table, row_count;
	__u32 nsegs, pad;
	struct unwind_file_seg segs[UNWIND_FILE_SEGS];
};

#endif /* PROFILER_UNWIND_H */
