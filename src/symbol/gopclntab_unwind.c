// SPDX-License-Identifier: GPL-2.0
/*
 * Unwind rows for Go code, from .gopclntab's SP deltas: Go emits no
 * .eh_frame, and its assembly (crypto/sha256.block) keeps no frame
 * pointer of its own, so a frame-pointer walk loses the caller of every
 * sample there.  On amd64 a Go function's return address is at
 * CFA - 8 with CFA = SP + delta + 8, and a function with a frame saved
 * its caller's frame pointer at CFA - 16.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbol/gopclntab.h"
#include "symbol/gopclntab_int.h"
#include "symbol/unwind_table.h"
#include "util/util.h"

struct rows {
	struct unwind_row *r;
	size_t n, cap, max;
	bool full;
};

static void push(struct rows *rs, uint64_t pc, int cfa, int cfa_off, int fp_off)
{
	struct unwind_row row = { .pc = pc, .cfa_off = cfa_off, .cfa = cfa, .fp_off = fp_off };
	struct unwind_row *last = rs->n ? &rs->r[rs->n - 1] : NULL;

	if (last && last->cfa == cfa && last->cfa_off == cfa_off && last->fp_off == fp_off)
		return;
	if (last && last->pc == pc) {
		*last = row;
		return;
	}
	if (rs->n >= rs->max) {
		rs->full = true;
		return;
	}
	GROW(rs->r, rs->cap, rs->n + 1);
	rs->r[rs->n++] = row;
}

static void sp_row(void *ctx, uint64_t pc, int32_t delta)
{
	/* beyond what a row holds, or a table that says SP rose: no rule */
	if (delta < 0 || delta > INT16_MAX - 8)
		push(ctx, pc, UNW_UNKNOWN, 0, 0);
	else
		push(ctx, pc, UNW_CFA_SP, delta + 8, delta > 0 ? -2 : 0);
}

/*
 * Where the walk must stop: the roots of the runtime's stacks (goexit at
 * the bottom of every goroutine, mstart and rt0_go of every thread, the
 * program's entry before rt0_go), the functions that switch stacks
 * (systemstack, mcall, morestack run their callee on g0; what lies past
 * them is another stack, which the runtime's own traceback reaches through
 * the goroutine's saved state), and the signal handler's entry and return
 * (sigtramp, sigreturn: past them is the kernel's signal frame, not a
 * call).  Go 1.17 on flags the first roots TOPFRAME; 1.16 is known by name.
 */
static bool is_root(const struct go_func *f)
{
	static const char *const roots[] = {
		"runtime.goexit", "runtime.mstart", "runtime.rt0_go", "runtime.mcall",
		"runtime.morestack", "runtime.systemstack", "runtime.sigtramp",
		"runtime.cgoSigtramp", "runtime.sigreturn", "runtime.sigreturn__sigaction",
		"_rt0_amd64", "_rt0_amd64_linux",
	};

	if (f->flag & GO_FUNC_TOPFRAME)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(roots); i++)
		if (!strcmp(f->name, roots[i]))
			return true;
	return false;
}

/*
 * runtime.asmcgocall: where it returns from C (after each CALL AX, ff d0)
 * the goroutine's stack pointer is found from what it saved at SP + 40 and
 * SP + 48 (runtime/asm_amd64.s, the same from Go 1.16 on); elsewhere in it
 * a frame-pointer step.
 */
#define CGO_SAVED_AT	40

static void cgocall_rows(const struct gopclntab *g, const struct go_func *f, struct rows *rs)
{
	uint64_t len = f->end - f->entry;
	const uint8_t *code = len < 4096 ? go_mem(g, f->entry, len) : NULL;

	push(rs, f->entry, UNW_UNKNOWN, 0, 0);
	for (uint64_t k = 0; code && k + 2 <= len; k++) {
		if (code[k] != 0xff || code[k + 1] != 0xd0)
			continue;
		/* a return address looks itself up less one: the call's bytes */
		push(rs, f->entry + k, UNW_GO_CGO, CGO_SAVED_AT, 0);
		push(rs, f->entry + k + 2, UNW_UNKNOWN, 0, 0);
	}
}

static void func_rows(const struct gopclntab *g, const struct go_func *f, struct rows *rs)
{
	size_t mark = rs->n;

	if (!strcmp(f->name, "runtime.asmcgocall")) {
		cgocall_rows(g, f, rs);
		return;
	}
	if (is_root(f)) {
		push(rs, f->entry, UNW_END, 0, 0);
		return;
	}
	/* SP written where pcsp cannot follow (asmcgocall, gogo): a
	 * frame-pointer step, which stops where the stacks change */
	if (f->flag & GO_FUNC_SPWRITE) {
		push(rs, f->entry, UNW_UNKNOWN, 0, 0);
		return;
	}
	if (gopclntab_sp_deltas(g, f, sp_row, rs) <= 0) {
		rs->n = mark;
		push(rs, f->entry, UNW_UNKNOWN, 0, 0);
	}
}

/* The rows of the Go code of g, sorted, the last one closing its text */
static int go_rows(const struct gopclntab *g, struct rows *rs)
{
	uint64_t prev = 0, end = 0;
	struct go_func f;

	for (size_t i = 0; i < gopclntab_count(g) && !rs->full; i++) {
		if (gopclntab_func(g, i, &f) || f.entry < prev || f.end >= UINT32_MAX)
			continue;	/* damaged, unsorted or beyond the rows' 32 bits */
		if (f.entry > end && end)
			push(rs, end, UNW_UNKNOWN, 0, 0);	/* a gap between functions */
		func_rows(g, &f, rs);
		prev = f.entry;
		end = f.end;
	}
	if (end)
		push(rs, end, UNW_UNKNOWN, 0, 0);
	return rs->n ? 0 : -ENOENT;
}

/*
 * Merge sorted rows: t's (from .eh_frame, for the C code of a cgo binary)
 * outside the Go text [lo, hi), the Go rows inside it.
 */
static void merge(struct unwind_table *t, const struct rows *go, uint64_t lo, uint64_t hi)
{
	struct unwind_row *out = xcalloc(t->n + go->n + 1, sizeof(*out));
	size_t n = 0, i = 0;

	for (; i < t->n && t->rows[i].pc < lo; i++)
		out[n++] = t->rows[i];
	memcpy(out + n, go->r, go->n * sizeof(*out));
	n += go->n;
	for (; i < t->n; i++)
		if (t->rows[i].pc >= hi)
			out[n++] = t->rows[i];
	free(t->rows);
	t->rows = out;
	t->n = n;
	t->cap = t->n + go->n + 1;
}

int gopclntab_unwind_rows(Elf *elf, struct unwind_table *t, size_t max_rows)
{
	struct gopclntab *g = gopclntab_from_elf(elf);
	struct rows rs = { .max = max_rows > t->n ? max_rows - t->n : 0 };
	int err;

	if (!g)
		return -errno;
	err = go_rows(g, &rs);
	if (!err) {
		merge(t, &rs, rs.r[0].pc, rs.r[rs.n - 1].pc);
		t->too_many_rows = t->too_many_rows || rs.full;
	}
	free(rs.r);
	gopclntab_free(g);
	return err;
}
