// SPDX-License-Identifier: GPL-2.0
/*
 * .gopclntab against the Go workloads the Makefile builds with Debian's go
 * (BUILD/workloads/go/): every function .symtab names is named the same
 * from the table, in the stripped build too and with its section headers
 * gone; inlined calls, SP deltas and the unwind rows made of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/types.h>

#include "testutil.h"
#include "symbol/elf_syms.h"
#include "symbol/gopclntab.h"
#include "symbol/unwind_table.h"

static char *go_path(const char *name)
{
	static char buf[4][512];
	static int k;
	char *p = buf[k++ & 3];

	snprintf(p, 512, "%s/workloads/go/%s", build_dir(), name);
	return p;
}

static struct gopclntab *open_go(const char *name)
{
	int fd = open(go_path(name), O_RDONLY);
	struct gopclntab *g;

	assert_true(fd >= 0);
	g = gopclntab_from_fd(fd);
	close(fd);
	assert_non_null(g);
	return g;
}

/* The function of g at entry, by a search of its table */
static bool func_at(const struct gopclntab *g, uint64_t entry, struct go_func *out)
{
	for (size_t i = 0; i < gopclntab_count(g); i++)
		if (!gopclntab_func(g, i, out) && out->entry == entry)
			return true;
	return false;
}

static bool func_named(const struct gopclntab *g, const char *name, struct go_func *out)
{
	for (size_t i = 0; i < gopclntab_count(g); i++)
		if (!gopclntab_func(g, i, out) && !strcmp(out->name, name))
			return true;
	return false;
}

/* Debian 12's go is 1.19: the 1.18 layout, its moduledata found */
static void test_layout(void **state)
{
	struct gopclntab *g = open_go("gowork"), *s = open_go("gowork-stripped");

	assert_int_equal(gopclntab_version(g), 118);
	assert_true(gopclntab_has_funcdata(g));
	assert_true(gopclntab_has_funcdata(s));
	assert_true(gopclntab_count(g) > 1000);
	assert_int_equal(gopclntab_count(g), gopclntab_count(s));
	gopclntab_free(g);
	gopclntab_free(s);
}

/*
 * Each Go function .symtab names: the same name from the table at its
 * address, less the ".abi0" the linker gives assembly in .symtab; and the
 * stripped build (the same code) names it so too.
 */
static void test_names_match_symtab(void **state)
{
	struct gopclntab *g = open_go("gowork"), *s = open_go("gowork-stripped");
	int fd = open(go_path("gowork"), O_RDONLY);
	struct elf_syms *es = elf_syms_from_fd(fd);
	struct srcline_frame fr[1];
	size_t checked = 0;

	close(fd);
	assert_non_null(es);
	assert_true(es->has_symtab);
	for (size_t i = 0; i < es->n; i++) {
		const char *want = elf_syms_name(es, &es->syms[i]), *got, *got_s;
		size_t len = strlen(want);

		if (!gopclntab_covers(g, es->syms[i].addr) || !es->syms[i].size)
			continue;
		if (len > 5 && !strcmp(want + len - 5, ".abi0"))
			len -= 5;
		assert_int_equal(gopclntab_lookup(g, es->syms[i].addr, &got, fr, 1), 1);
		assert_int_equal(gopclntab_lookup(s, es->syms[i].addr, &got_s, fr, 1), 1);
		/* the linker writes generated types' array lengths as "[...]" */
		if (strstr(got, "[...]") && !strstr(want, "[...]") && !strncmp(got, "type.", 5))
			continue;
		if (strlen(got) != len || strncmp(got, want, len))
			fail_msg("at 0x%llx: .symtab %s, .gopclntab %s",
				 (unsigned long long)es->syms[i].addr, want, got);
		assert_string_equal(got, got_s);
		checked++;
	}
	assert_true(checked > 1000);
	elf_syms_free(es);
	gopclntab_free(g);
	gopclntab_free(s);
}

/* lcg is inlined into both spinners: found inside them with its line */
static void test_inlined(void **state)
{
	struct gopclntab *g = open_go("gowork-stripped");
	struct srcline_frame fr[8];
	struct go_func f;
	const char *name;
	bool seen = false;

	assert_true(func_named(g, "main.spinThree", &f));
	for (uint64_t pc = f.entry; pc < f.end && !seen; pc++) {
		int n = gopclntab_lookup(g, pc, &name, fr, 8);

		assert_true(n >= 1);
		assert_string_equal(name, "main.spinThree");
		assert_null(fr[n - 1].func);
		assert_non_null(fr[n - 1].file);
		assert_true(strstr(fr[n - 1].file, "gowork/main.go") != NULL);
		if (n == 2) {
			assert_string_equal(fr[0].func, "main.lcg");
			assert_true(strstr(fr[0].file, "gowork/main.go") != NULL);
			/* the inlined body's line is lcg's, above the caller's */
			assert_true(fr[0].line < fr[1].line);
			seen = true;
		}
	}
	assert_true(seen);
	/* not in any function */
	assert_int_equal(gopclntab_lookup(g, 0x1000, &name, fr, 8), 0);
	gopclntab_free(g);
}

/* gowork-stripped read whole, its section headers cut off: malloc'd */
static uint8_t *without_sections(size_t *size)
{
	int fd = open(go_path("gowork-stripped"), O_RDONLY);
	struct stat st;
	Elf64_Ehdr *eh;
	uint8_t *img;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	img = malloc(st.st_size);
	assert_int_equal(pread(fd, img, st.st_size, 0), st.st_size);
	close(fd);
	eh = (Elf64_Ehdr *)img;
	eh->e_shoff = 0;
	eh->e_shnum = 0;
	eh->e_shstrndx = 0;
	*size = st.st_size;
	return img;
}

/* The same table found by its magic with the section headers cut off */
static void test_no_sections(void **state)
{
	struct gopclntab *g, *ref = open_go("gowork-stripped");
	struct srcline_frame fr[4];
	const char *a, *b;
	struct go_func f;
	size_t size;
	uint8_t *img = without_sections(&size);
	Elf *elf;

	elf_version(EV_CURRENT);
	elf = elf_memory((char *)img, size);
	g = gopclntab_from_elf(elf);
	assert_non_null(g);
	assert_int_equal(gopclntab_count(g), gopclntab_count(ref));
	assert_true(gopclntab_has_funcdata(g));
	assert_true(func_named(ref, "main.hashChunk", &f));
	assert_int_equal(gopclntab_lookup(g, f.entry + 4, &a, fr, 4),
			 gopclntab_lookup(ref, f.entry + 4, &b, fr, 4));
	assert_string_equal(a, b);
	gopclntab_free(g);
	elf_end(elf);
	gopclntab_free(ref);
	free(img);
}

static void collect(void *ctx, uint64_t pc, int32_t delta)
{
	int32_t *max = ctx;

	if (delta > *max)
		*max = delta;
}

/*
 * crypto/sha256.block is assembly with a frame of 536 bytes and no frame
 * pointer of its own making: in its body SP is 544 below the entry (the
 * frame and the caller's rbp), the return address at cfa - 8.
 */
static void test_rows(void **state)
{
	struct gopclntab *g = open_go("gowork-stripped"), *c = open_go("gocgo");
	int fd = open(go_path("gowork-stripped"), O_RDONLY);
	struct unwind_table *t = unwind_table_from_fd(fd);
	const struct unwind_row *r;
	struct go_func f;
	int32_t max = 0;
	size_t cgo = 0;

	close(fd);
	assert_non_null(t);
	for (size_t i = 1; i < t->n; i++)
		assert_true(t->rows[i - 1].pc < t->rows[i].pc);
	assert_true(func_named(g, "crypto/sha256.block", &f));
	assert_true(gopclntab_sp_deltas(g, &f, collect, &max) >= 3);
	assert_int_equal(max, 544);
	r = unwind_table_find(t, f.entry + (f.end - f.entry) / 2);
	assert_non_null(r);
	assert_int_equal(r->cfa, UNW_CFA_SP);
	assert_int_equal(r->cfa_off, 552);
	assert_int_equal(r->fp_off, -2);
	/* at the entry nothing is pushed yet */
	r = unwind_table_find(t, f.entry);
	assert_int_equal(r->cfa, UNW_CFA_SP);
	assert_int_equal(r->cfa_off, 8);
	assert_int_equal(r->fp_off, 0);
	/* the roots end the walk */
	assert_true(func_named(g, "runtime.goexit", &f));
	assert_true(f.flag & GO_FUNC_TOPFRAME);
	assert_int_equal(unwind_table_find(t, f.entry + 1)->cfa, UNW_END);
	assert_true(func_named(g, "runtime.systemstack", &f));
	assert_int_equal(unwind_table_find(t, f.entry + 1)->cfa, UNW_END);
	unwind_table_free(t);

	/* cgo: C's .eh_frame rows and Go's in one table, asmcgocall's two
	 * calls of C marked */
	fd = open(go_path("gocgo"), O_RDONLY);
	t = unwind_table_from_fd(fd);
	close(fd);
	assert_non_null(t);
	for (size_t i = 0; i < t->n; i++)
		cgo += t->rows[i].cfa == UNW_GO_CGO;
	assert_int_equal(cgo, 2);
	assert_true(func_named(c, "main.callC", &f));
	assert_int_equal(unwind_table_find(t, f.entry)->cfa, UNW_CFA_SP);
	gopclntab_free(g);
	gopclntab_free(c);
	unwind_table_free(t);
}

/*
 * The layouts Debian's go cannot build (1.16, 1.20) and 1.18's, from
 * tables written from the runtime's struct definitions
 * (tests/fuzz/gen_gopclntab.py, the fuzz seeds): names, lines, an inlined
 * call, SP deltas, the root flag.
 */
static void test_layouts(void **state)
{
	static const int vers[] = { 116, 118, 120 };

	for (size_t v = 0; v < 3; v++) {
		static uint8_t buf[4096];
		struct srcline_frame fr[8];
		struct gopclntab *g;
		struct go_func f;
		const char *name;
		char path[128];
		int32_t max = 0;
		uint32_t len;
		size_t n;
		FILE *in;

		snprintf(path, sizeof(path), "tests/fuzz/corpus/gopclntab/go%d", vers[v]);
		in = fopen(path, "rb");
		assert_non_null(in);
		n = fread(buf, 1, sizeof(buf), in);
		fclose(in);
		memcpy(&len, buf, 4);
		assert_true(len < n - 4);
		g = gopclntab_from_raw(buf + 4, len, 0x10000000, buf + 4 + len, n - 4 - len,
				       0x20000000);
		assert_non_null(g);
		assert_int_equal(gopclntab_version(g), vers[v]);
		assert_int_equal(gopclntab_count(g), 3);
		assert_int_equal(gopclntab_lookup(g, 0x401008, &name, fr, 8), 1);
		assert_string_equal(name, "main.outer");
		assert_string_equal(fr[0].file, "main.go");
		assert_int_equal(fr[0].line, 10);
		assert_int_equal(gopclntab_lookup(g, 0x401024, &name, fr, 8), 2);
		assert_string_equal(fr[0].func, "main.inner");
		assert_int_equal(fr[0].line, 4);
		assert_null(fr[1].func);
		assert_int_equal(fr[1].line, 11);
		/* without room for inlined frames: the function alone */
		assert_int_equal(gopclntab_lookup(g, 0x401024, &name, fr, 1), 1);
		assert_int_equal(fr[0].line, 4);
		assert_int_equal(gopclntab_lookup(g, 0x401048, &name, fr, 8), 1);
		assert_string_equal(name, "runtime.goexit");
		assert_string_equal(fr[0].file, "asm.s");
		assert_int_equal(gopclntab_func(g, 1, &f), 0);
		assert_int_equal(f.flag, vers[v] == 116 ? 0 : GO_FUNC_TOPFRAME);
		assert_int_equal(gopclntab_func(g, 2, &f), 0);
		assert_string_equal(f.name, "crypto/sha256.block");
		assert_int_equal(gopclntab_sp_deltas(g, &f, collect, &max), 3);
		assert_int_equal(max, 544);
		assert_int_equal(gopclntab_lookup(g, 0x4010a0, &name, fr, 8), 0);
		gopclntab_free(g);
	}
}

/* Not Go: refused at the section names, ENOENT */
static void test_not_go(void **state)
{
	int fd = open("/proc/self/exe", O_RDONLY);

	assert_true(fd >= 0);
	errno = 0;
	assert_null(gopclntab_from_fd(fd));
	assert_int_equal(errno, ENOENT);
	close(fd);
}

/*
 * elf_syms' not_go, which spares the symbolizer a second mapping of each
 * file, says "not Go" exactly where gopclntab_from_fd refuses at the
 * section names: never for a Go build (plain, stripped, cgo), and never
 * for a file without section headers (the table is then sought by its
 * magic); for our own binary, yes.
 */
static void test_not_go_flag(void **state)
{
	const char *paths[] = { go_path("gowork"), go_path("gowork-stripped"), go_path("gocgo"),
				"/proc/self/exe" };
	const bool go[] = { true, true, true, false };
	struct elf_syms *es;
	uint8_t *img;
	size_t size;
	int fd;

	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
		struct gopclntab *g;

		fd = open(paths[i], O_RDONLY);
		assert_true(fd >= 0);
		es = elf_syms_from_fd(fd);
		g = gopclntab_from_fd(fd);
		close(fd);
		assert_non_null(es);
		assert_int_equal(es->not_go, !go[i]);
		assert_int_equal(g != NULL, go[i]);
		gopclntab_free(g);
		elf_syms_free(es);
	}
	img = without_sections(&size);
	es = elf_syms_from_mem(img, size);
	assert_non_null(es);
	assert_false(es->not_go);
	elf_syms_free(es);
	free(img);
}

/* A damaged header or table: refused, never read past */
static void test_damaged(void **state)
{
	struct gopclntab *g = open_go("gowork-stripped");
	uint8_t hdr[64] = { 0xf0, 0xff, 0xff, 0xff, 0, 0, 1, 8 };
	struct go_func f;

	assert_null(gopclntab_from_raw(hdr, 8, 0x1000, NULL, 0, 0));
	/* nfunc beyond the bytes */
	hdr[8] = 0xff;
	hdr[9] = 0xff;
	assert_null(gopclntab_from_raw(hdr, sizeof(hdr), 0x1000, NULL, 0, 0));
	assert_int_equal(errno, EINVAL);
	hdr[0] = 0x12;	/* no magic */
	assert_null(gopclntab_from_raw(hdr, sizeof(hdr), 0x1000, NULL, 0, 0));
	assert_int_equal(gopclntab_func(g, gopclntab_count(g), &f), -EINVAL);
	assert_true(func_at(g, 0x401000, &f));
	gopclntab_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_names_match_symtab),
		cmocka_unit_test(test_inlined),
		cmocka_unit_test(test_no_sections),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_not_go),
		cmocka_unit_test(test_not_go_flag),
		cmocka_unit_test(test_damaged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
