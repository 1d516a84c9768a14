// SPDX-License-Identifier: GPL-2.0
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "symbol/eh_frame_hdr.h"
#include "symbol/gopclntab.h"
#include "symbol/unwind_table.h"
#include "util/file_limits.h"
#include "util/util.h"

/* DWARF register numbers of x86-64 */
#define DW_RBP	6
#define DW_RSP	7
#define DW_RIP	16	/* the return-address column */

/* What one binary may still cost; its CPU is this thread's (cpu_now_ns),
 * the time per step whatever else runs (a system call, some
 * microseconds: read once per group of steps) */
struct budget {
	uint64_t deadline;	/* CLOCK_MONOTONIC */
	uint64_t cpu_mark;	/* thread CPU time at the start of this group */
	size_t steps;
	size_t group;		/* steps between two reads of the clocks */
};

/*
 * Groups start small and double while steps stay cheap: a step is about
 * a microsecond, and reading the two clocks every 16 steps was a fifth of
 * making a compiler's table under churn (a system call each on this VM).
 * A group that costs more than a hundredth of its limit starts over at
 * the smallest: a CFI that turns hostile (milliseconds a step) is caught
 * within one group of at most STEP_GROUP_MAX steps, and the deadline
 * still bounds the whole.
 */
#define STEP_GROUP	16
#define STEP_GROUP_MAX	256

/* False once the binary has cost too much: past its deadline, or a group
 * of steps took more CPU than LIMIT_UNWIND_STEP_NS each. */
static bool within(struct budget *b)
{
	uint64_t cpu, used;

	if (++b->steps < b->group)
		return true;
	cpu = cpu_now_ns();
	used = cpu - b->cpu_mark;
	if (now_ns() > b->deadline || used > b->group * LIMIT_UNWIND_STEP_NS)
		return false;
	if (used < b->group * (LIMIT_UNWIND_STEP_NS / 100))
		b->group = MIN(2 * b->group, (size_t)STEP_GROUP_MAX);
	else
		b->group = STEP_GROUP;
	b->steps = 0;
	b->cpu_mark = cpu;
	return true;
}

static void add_row(struct unwind_table *t, uint64_t pc, int cfa, int cfa_off, int fp_off)
{
	struct unwind_row r = { .pc = pc, .cfa_off = cfa_off, .cfa = cfa, .fp_off = fp_off };

	/* a row that changes nothing only lengthens the search */
	if (t->n) {
		struct unwind_row *last = &t->rows[t->n - 1];

		if (last->cfa == r.cfa && last->cfa_off == r.cfa_off && last->fp_off == r.fp_off)
			return;
		if (last->pc == r.pc) {	/* an empty row: the new one replaces it */
			*last = r;
			return;
		}
	}
	GROW(t->rows, t->cap, t->n + 1);
	t->rows[t->n++] = r;
}

/* cfa = rsp + off + ((rip & 15) >= 11 ? 8 : 0): what the linker writes for a PLT */
static bool is_plt_expr(const Dwarf_Op *ops, size_t n)
{
	static const uint8_t want[] = { DW_OP_breg7, DW_OP_breg16, DW_OP_lit15, DW_OP_and,
					DW_OP_lit11, DW_OP_ge, DW_OP_lit3, DW_OP_shl, DW_OP_plus };

	if (n != ARRAY_SIZE(want) || ops[1].number != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ops[i].atom != want[i])
			return false;
	return true;
}

/* Where a register is saved, as an offset from the CFA: true when it is. */
static bool saved_at_cfa(const Dwarf_Op *ops, size_t n, int64_t *off)
{
	/* libdw spells "offset(N)" as the address call_frame_cfa + N */
	if (n == 1 && ops[0].atom == DW_OP_call_frame_cfa) {
		*off = 0;
		return true;
	}
	if (n == 2 && ops[0].atom == DW_OP_call_frame_cfa && ops[1].atom == DW_OP_plus_uconst) {
		*off = (int64_t)ops[1].number;
		return true;
	}
	return false;
}

/* The row for the frame state of one address range. */
static void frame_row(struct unwind_table *t, uint64_t pc, Dwarf_Frame *f)
{
	Dwarf_Op mem[3], *ops;
	size_t n;
	int64_t off;
	int cfa = UNW_UNKNOWN, cfa_off = 0, fp_off = 0;

	if (dwarf_frame_cfa(f, &ops, &n) == 0) {
		if (n == 1 && ops[0].atom == DW_OP_bregx &&
		    (ops[0].number == DW_RSP || ops[0].number == DW_RBP) &&
		    (int64_t)ops[0].number2 >= INT16_MIN && (int64_t)ops[0].number2 <= INT16_MAX) {
			cfa = ops[0].number == DW_RSP ? UNW_CFA_SP : UNW_CFA_FP;
			cfa_off = (int64_t)ops[0].number2;
		} else if (is_plt_expr(ops, n) && ops[0].number < 1024) {
			cfa = UNW_CFA_PLT;
			cfa_off = ops[0].number;
		}
	}
	if (dwarf_frame_register(f, DW_RIP, mem, &ops, &n) == 0) {
		if (n == 0 && ops == mem) {
			/* undefined: nothing called this frame */
			add_row(t, pc, UNW_END, 0, 0);
			return;
		}
		/* the BPF side reads the return address at cfa - 8, nowhere else */
		if (!saved_at_cfa(ops, n, &off) || off != -8)
			cfa = UNW_UNKNOWN;
	} else {
		cfa = UNW_UNKNOWN;
	}
	if (cfa == UNW_UNKNOWN) {
		add_row(t, pc, UNW_UNKNOWN, 0, 0);
		return;
	}
	/* same value (ops NULL), undefined, or a rule we cannot follow: unchanged */
	if (dwarf_frame_register(f, DW_RBP, mem, &ops, &n) == 0 && saved_at_cfa(ops, n, &off) &&
	    off && off % 8 == 0 && off / 8 >= INT8_MIN && off / 8 <= INT8_MAX)
		fp_off = off / 8;
	add_row(t, pc, cfa, cfa_off, fp_off);
}

/* Every row of the FDE that starts at start, up to limit (the next FDE),
 * while the table has fewer than max_rows and the deadline has not passed;
 * one more may close it. */
static void walk_fde(struct unwind_table *t, Dwarf_CFI *cfi, uint64_t start, uint64_t limit,
		     size_t max_rows, struct budget *b)
{
	uint64_t pc = start;

	while (pc < limit && t->n < max_rows) {
		Dwarf_Frame *f = NULL;
		Dwarf_Addr lo, hi;
		bool signal;

		/* rows that change nothing are not kept, so the row limit alone
		 * does not bound a hostile FDE of a million one-byte steps; and
		 * one step costs microseconds, but a CFI naming a register in
		 * the millions makes libdw build and copy a frame state that
		 * large (the fuzzer's find): milliseconds of CPU a step */
		if (!within(b)) {
			t->too_slow = true;
			break;
		}
		if (dwarf_cfi_addrframe(cfi, pc, &f) != 0)
			break;		/* past the FDE's end */
		if (dwarf_frame_info(f, &lo, &hi, &signal) < 0 || hi <= pc) {
			free(f);
			break;
		}
		frame_row(t, pc, f);
		free(f);
		pc = hi;
	}
	if (pc < limit && t->n >= max_rows)
		t->too_many_rows = true;
	/* code between this FDE and the next has no rule */
	if (pc < limit && pc > start)
		add_row(t, pc, UNW_UNKNOWN, 0, 0);
}

static int read_segments(Elf *elf, struct unwind_table *t)
{
	t->nsegs = elf_segs_read(elf, &t->segs);
	return t->nsegs ? 0 : -ENOEXEC;
}

/* Cut by the clock at FDE start pc: the rows end there, at a row with no
 * rule, so that a later run can make the rest (unwind_table_resume) and
 * get what one run would have made whole.  Rows of the FDE under way go. */
static void cut_at(struct unwind_table *t, uint64_t pc)
{
	while (t->n && t->rows[t->n - 1].pc >= pc)
		t->n--;
	add_row(t, pc, UNW_UNKNOWN, 0, 0);
	if (!t->n || t->rows[t->n - 1].pc != pc) {
		/* the row before has no rule either: one at pc still marks where */
		GROW(t->rows, t->cap, t->n + 1);
		t->rows[t->n++] = (struct unwind_row){ .pc = pc, .cfa = UNW_UNKNOWN };
	}
	t->resume_pc = pc;
}

/* Rows about to change are ours: borrowed ones (a cache file's) are copied. */
static void own_rows(struct unwind_table *t)
{
	struct unwind_row *rows;

	if (!t->map)
		return;
	rows = xmalloc((t->n ? t->n : 1) * sizeof(*rows));
	memcpy(rows, t->rows, t->n * sizeof(*rows));
	munmap(t->map, t->map_size);
	t->map = NULL;
	t->map_size = 0;
	t->rows = rows;
	t->cap = t->n;
}

/* The table of elf; with from (cut by the clock), from made further. */
static struct unwind_table *from_elf(Elf *elf, size_t max_rows, uint64_t max_ms,
				     struct unwind_table *from)
{
	uint64_t deadline = now_ns() + max_ms * 1000000ULL, resume = 0;
	struct budget b = { deadline, cpu_now_ns(), 0, STEP_GROUP };
	struct unwind_table *t = from;
	uint64_t *starts = NULL;
	size_t nstarts = 0, cut = SIZE_MAX;
	Dwarf_CFI *cfi = NULL;
	GElf_Ehdr eh;
	int err = -ENOEXEC;

	if (!elf)
		goto out;
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) || eh.e_machine != EM_X86_64 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		goto out;
	if (t) {
		/* the rows before the cut stay; its closing row goes */
		own_rows(t);
		resume = t->resume_pc;
		while (t->n && t->rows[t->n - 1].pc >= resume)
			t->n--;
		t->too_slow = false;
		t->resume_pc = 0;
	} else {
		t = xcalloc(1, sizeof(*t));
		if ((err = read_segments(elf, t)))
			goto out;
	}
	/* Go code has no .eh_frame (a cgo binary's C code has): its rows come
	 * from the Go runtime's own table */
	if (eh_frame_hdr_starts(elf, &starts, &nstarts) || !(cfi = dwarf_getcfi_elf(elf)))
		nstarts = 0;
	for (size_t i = 0; i < nstarts; i++) {
		bool slow;

		/* the rows hold 32-bit addresses: enough for any binary but a huge one */
		if (starts[i] >= UINT32_MAX) {
			err = -ERANGE;
			goto out;
		}
		if (i && starts[i] < starts[i - 1])
			continue;	/* unsorted: not a table we can trust */
		if (starts[i] < resume)
			continue;	/* made in an earlier run */
		/* a hostile .eh_frame: stop where the budget ends, and say that
		 * the code past the last row has no rule (one row is kept for it) */
		t->too_many_rows = t->too_many_rows || t->n + 1 >= max_rows;
		t->too_slow = t->too_slow || (!(i & 63) && now_ns() > deadline);
		if (t->too_many_rows || t->too_slow) {
			add_row(t, starts[i], UNW_UNKNOWN, 0, 0);
			cut = MIN(cut, i);
			break;
		}
		slow = t->too_slow;
		walk_fde(t, cfi, starts[i], i + 1 < nstarts ? starts[i + 1] : UINT32_MAX,
			 max_rows - 2, &b);
		if (!slow && t->too_slow)
			cut = i;	/* cut within: this FDE is where to go on */
	}
	/* Go's rows are merged in whole: such a table is not resumed */
	if (!gopclntab_unwind_rows(elf, t, max_rows))
		cut = SIZE_MAX;
	else if (cut != SIZE_MAX && t->too_slow && !t->too_many_rows && starts[cut])
		cut_at(t, starts[cut]);
	err = t->n ? 0 : -ENOENT;
out:
	if (cfi)
		dwarf_cfi_end(cfi);
	if (elf)
		elf_end(elf);
	free(starts);
	if (err) {
		unwind_table_free(t);
		errno = -err;
		return NULL;
	}
	return t;
}

struct unwind_table *unwind_table_resume(int fd, struct unwind_table *t, uint64_t max_ms)
{
	if (!t->resume_pc)
		return t;
	elf_version(EV_CURRENT);
	return from_elf(elf_begin(fd, ELF_C_READ_MMAP, NULL), LIMIT_UNWIND_ROWS,
			MIN(max_ms, (uint64_t)LIMIT_UNWIND_MS), t);
}

struct unwind_table *unwind_table_from_fd(int fd)
{
	return unwind_table_from_fd_max(fd, LIMIT_UNWIND_MS);
}

struct unwind_table *unwind_table_from_fd_max(int fd, uint64_t max_ms)
{
	elf_version(EV_CURRENT);
	return from_elf(elf_begin(fd, ELF_C_READ_MMAP, NULL), LIMIT_UNWIND_ROWS, max_ms, NULL);
}

struct unwind_table *unwind_table_from_mem(const void *image, size_t size)
{
	elf_version(EV_CURRENT);
	return unwind_table_from_mem_max(image, size, LIMIT_UNWIND_ROWS, LIMIT_UNWIND_MS);
}

struct unwind_table *unwind_table_from_mem_max(const void *image, size_t size, size_t max_rows,
					       uint64_t max_ms)
{
	elf_version(EV_CURRENT);
	return from_elf(elf_memory((char *)image, size), max_rows < 3 ? 3 : max_rows, max_ms, NULL);
}

void unwind_table_free(struct unwind_table *t)
{
	if (!t)
		return;
	if (t->map)
		munmap(t->map, t->map_size);
	else
		free(t->rows);
	free(t->segs);
	free(t);
}

int unwind_table_bias(const struct unwind_table *t, uint64_t start, uint64_t offset,
		      uint64_t *bias)
{
	return elf_segs_map_bias(t->segs, t->nsegs, start, offset, bias) ? 0 : -ENOENT;
}

const struct unwind_row *unwind_table_find(const struct unwind_table *t, uint64_t pc)
{
	size_t lo = 0, hi = t->n;

	/* the last row at or below pc */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->rows[mid].pc <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &t->rows[lo - 1] : NULL;
}
