// SPDX-License-Identifier: GPL-2.0
/* .eh_frame compiled into unwind rows: exact rows for functions of known CFI. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/types.h>

#include "testutil.h"
#include "symbol/proc_maps.h"
#include "symbol/unwind_table.h"

#ifdef __x86_64__
/*
 * Functions whose CFI is written by hand, so the rows are known: a
 * frame-pointer prologue and epilogue, and an outermost frame whose return
 * address is undefined, as in _start.  Never called.
 */
__asm__(
	".text\n"
	".globl uw_framed\n"
	".type uw_framed, @function\n"
	"uw_framed:\n"
	".cfi_startproc\n"
	"	push %rbp\n"			/* +0 */
	".cfi_def_cfa_offset 16\n"
	".cfi_offset %rbp, -16\n"
	"	mov %rsp, %rbp\n"		/* +1 */
	".cfi_def_cfa_register %rbp\n"
	"	nop\n"				/* +4 */
	"	pop %rbp\n"			/* +5 */
	".cfi_def_cfa %rsp, 8\n"
	".cfi_restore %rbp\n"
	"	ret\n"				/* +6 */
	".cfi_endproc\n"
	".size uw_framed, .-uw_framed\n"
	".globl uw_outermost\n"
	".type uw_outermost, @function\n"
	"uw_outermost:\n"
	".cfi_startproc\n"
	".cfi_undefined %rip\n"
	"	xor %ebp, %ebp\n"
	"	hlt\n"
	".cfi_endproc\n"
	".size uw_outermost, .-uw_outermost\n");

void uw_framed(void);
void uw_outermost(void);

/* Our own table, and the bias our executable mapping was loaded at. */
static struct unwind_table *self_table(uint64_t *bias)
{
	struct proc_map *maps;
	const struct proc_map *m;
	struct unwind_table *t;
	size_t n;
	int fd = open("/proc/self/exe", O_RDONLY);

	assert_true(fd >= 0);
	t = unwind_table_from_fd(fd);
	close(fd);
	assert_non_null(t);
	assert_int_equal(proc_maps_read(getpid(), &maps, &n), 0);
	m = proc_maps_find(maps, n, (uint64_t)(uintptr_t)uw_framed);
	assert_non_null(m);
	assert_int_equal(unwind_table_bias(t, m->start, m->offset, bias), 0);
	proc_maps_free(maps, n);
	return t;
}

static void assert_row(const struct unwind_table *t, uint64_t pc, int cfa, int cfa_off,
		       int fp_off)
{
	const struct unwind_row *r = unwind_table_find(t, pc);

	assert_non_null(r);
	assert_int_equal(r->cfa, cfa);
	assert_int_equal(r->cfa_off, cfa_off);
	assert_int_equal(r->fp_off, fp_off);
}

static void test_known_cfi(void **state)
{
	uint64_t bias, f, o;
	struct unwind_table *t = self_table(&bias);

	f = (uint64_t)(uintptr_t)uw_framed - bias;
	o = (uint64_t)(uintptr_t)uw_outermost - bias;
	/* the table's addresses are the file's, not the runtime's */
	assert_true(f < (1ULL << 32));
	assert_int_equal(unwind_table_find(t, f)->pc, f);
	assert_row(t, f, UNW_CFA_SP, 8, 0);
	assert_int_equal(unwind_table_find(t, f + 1)->pc, f + 1);
	assert_row(t, f + 1, UNW_CFA_SP, 16, -2);	/* rbp at cfa - 16 */
	assert_row(t, f + 3, UNW_CFA_SP, 16, -2);
	assert_row(t, f + 4, UNW_CFA_FP, 16, -2);
	assert_row(t, f + 5, UNW_CFA_FP, 16, -2);
	assert_row(t, f + 6, UNW_CFA_SP, 8, 0);
	assert_row(t, o, UNW_END, 0, 0);
	assert_row(t, o + 2, UNW_END, 0, 0);
	/* below the first function: no row at all */
	assert_null(unwind_table_find(t, 0));
	unwind_table_free(t);
}

static void test_libc(void **state)
{
	struct proc_map *maps;
	struct unwind_table *t = NULL;
	size_t n, plt = 0;
	uint64_t bias;

	assert_int_equal(proc_maps_read(getpid(), &maps, &n), 0);
	for (size_t i = 0; i < n && !t; i++) {
		int fd;

		if (!strstr(maps[i].path, "/libc.so"))
			continue;
		fd = open(maps[i].path, O_RDONLY);
		assert_true(fd >= 0);
		t = unwind_table_from_fd(fd);
		close(fd);
		assert_non_null(t);
		/* a mapping of the text segment has a bias; it is page aligned */
		assert_int_equal(unwind_table_bias(t, maps[i].start, maps[i].offset, &bias), 0);
		assert_int_equal(bias & 4095, 0);
	}
	proc_maps_free(maps, n);
	assert_non_null(t);
	assert_true(t->n > 1000);
	for (size_t i = 1; i < t->n; i++) {
		assert_true(t->rows[i - 1].pc < t->rows[i].pc);
		plt += t->rows[i].cfa == UNW_CFA_PLT;
	}
	/* the lazy-binding PLT's CFA expression is recognised */
	assert_true(plt >= 1);
	unwind_table_free(t);
}

static void test_bias(void **state)
{
	struct elf_seg segs[2] = { { 0, 0, 0x1000, false }, { 0x1000, 0x401000, 0x2345, true } };
	struct unwind_table t = { .segs = segs, .nsegs = 2 };
	uint64_t bias;

	/* non-PIE: mapped where linked */
	assert_int_equal(unwind_table_bias(&t, 0x401000, 0x1000, &bias), 0);
	assert_int_equal(bias, 0);
	/* the same file loaded elsewhere (a PIE, a library) */
	assert_int_equal(unwind_table_bias(&t, 0x7f0000001000, 0x1000, &bias), 0);
	assert_int_equal(bias, 0x7f0000001000 - 0x401000);
	/* an offset no segment holds */
	assert_int_equal(unwind_table_bias(&t, 0x7f0000001000, 0x9000, &bias), -ENOENT);
	/* and back: an ELF address (an entry point) to its file offset */
	assert_true(elf_segs_addr_to_offset(segs, 2, 0x401010, &bias));
	assert_int_equal(bias, 0x1010);
	assert_false(elf_segs_addr_to_offset(segs, 2, 0x404000, &bias));
}

static void test_not_elf(void **state)
{
	int fd = open("/proc/self/status", O_RDONLY);

	assert_true(fd >= 0);
	assert_null(unwind_table_from_fd(fd));
	close(fd);
}
#endif

/* A table cut by the clock, made further run after run, ends the same
 * as one made whole: each cut ends at an FDE's start, at a row with no rule */
static void test_resume(void **state)
{
	int fd = open("/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY);
	struct unwind_table *whole, *t;
	uint64_t last = 0;
	size_t runs = 0;

	assert_true(fd >= 0);
	whole = unwind_table_from_fd(fd);
	assert_non_null(whole);
	assert_false(whole->too_slow);
	assert_int_equal(whole->resume_pc, 0);
	t = unwind_table_from_fd_max(fd, 0);
	assert_non_null(t);
	assert_true(t->too_slow);
	assert_true(t->resume_pc > 0);
	while (t->resume_pc && runs++ < 200000) {
		assert_true(t->resume_pc >= last);
		last = t->resume_pc;
		assert_int_equal(t->rows[t->n - 1].pc, t->resume_pc);
		assert_int_equal(t->rows[t->n - 1].cfa, UNW_UNKNOWN);
		/* the rows before the cut are the whole table's */
		assert_true(t->n - 1 <= whole->n);
		assert_memory_equal(t->rows, whole->rows, (t->n - 1) * sizeof(*t->rows));
		t = unwind_table_resume(fd, t, 5);
		assert_non_null(t);
	}
	print_message("made whole in %zu runs of 5 ms\n", runs);
	assert_true(runs > 1);
	assert_int_equal(t->resume_pc, 0);
	assert_false(t->too_slow);
	assert_int_equal(t->n, whole->n);
	assert_memory_equal(t->rows, whole->rows, whole->n * sizeof(*t->rows));
	/* a whole table is left as it is */
	assert_ptr_equal(unwind_table_resume(fd, t, 1), t);
	unwind_table_free(t);
	unwind_table_free(whole);
	close(fd);
}

int main(void)
{
#ifdef __x86_64__
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_cfi),
		cmocka_unit_test(test_libc),
		cmocka_unit_test(test_bias),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_resume),
	};

	return cmocka_run_group_tests_name("unwind_table", tests, NULL, NULL);
#else
	return 0;	/* the tables are x86-64 only */
#endif
}
