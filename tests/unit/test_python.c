// SPDX-License-Identifier: GPL-2.0
/*
 * Python frames on the user side: the 3.11 line table, string kinds, the
 * layout table against python3.11's own DWARF, the interpreter found in
 * its ELF file, names from BPF's records, and the merge into native stacks.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/types.h>

#include "testutil.h"
#include "python.h"
#include "model/profile.h"
#include "symbol/debuginfo.h"
#include "symbol/elf_syms.h"
#include "symbol/python_layout.h"
#include "symbol/python_merge.h"
#include "symbol/python_names.h"

#define PY311 "/usr/bin/python3.11"

/*
 * Made by CPython 3.11 itself (tests/unit/fixtures/python_lines.py):
 * def f(...) at line 2 of a test file; its co_linetable and, per code unit, co_lines()'s line
 */
static const uint8_t f_table[] = {0x80, 0x00, 0xd8, 0x08, 0x09, 0x88, 0x41, 0x89, 0x05, 0x80, 0x41, 0xdd, 0x0d, 0x12, 0x90, 0x31, 0x89, 0x58, 0x8c, 0x58, 0xf0, 0x00, 0x05, 0x05, 0x26, 0xf0, 0x00, 0x05, 0x05, 0x26, 0x88, 0x01, 0xd8, 0x08, 0x09, 0x88, 0x51, 0x89, 0x06, 0x88, 0x01, 0xf0, 0x08, 0x00, 0x0d, 0x26, 0xd0, 0x0c, 0x25, 0x9d, 0x45, 0xa0, 0x21, 0x99, 0x48, 0x9c, 0x48, 0xd0, 0x0c, 0x25, 0xd1, 0x0c, 0x25, 0xd4, 0x0c, 0x25, 0x88, 0x01, 0x88, 0x01, 0xf0, 0x02, 0x03, 0x05, 0x0e, 0xd8, 0x0c, 0x0d, 0x90, 0x01, 0x89, 0x45, 0x88, 0x01, 0x88, 0x01, 0xf8, 0xdd, 0x0b, 0x1c, 0xf0, 0x00, 0x01, 0x05, 0x0e, 0xf0, 0x00, 0x01, 0x05, 0x0e, 0xf0, 0x00, 0x01, 0x05, 0x0e, 0xd8, 0x0c, 0x0d, 0x88, 0x01, 0x88, 0x01, 0x88, 0x01, 0xf0, 0x03, 0x01, 0x05, 0x0e, 0xf8, 0xf8, 0xf8, 0xe0, 0x0c, 0x0d, 0xd8, 0x0c, 0x0d, 0xd8, 0x0c, 0x0d, 0xf0, 0x05, 0x02, 0x0c, 0x0f, 0xf0, 0x00, 0x02, 0x05, 0x0f};
static const uint32_t f_first = 2;
static const uint32_t f_lines[84] = {2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 10, 11, 11, 11, 11, 11, 11, 0, 12, 12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 12, 0, 0, 0, 14, 15, 16, 14, 14};

static void test_line_table(void **state)
{
	for (uint32_t u = 0; u < sizeof(f_lines) / sizeof(f_lines[0]); u++) {
		uint32_t got = py_line(f_table, sizeof(f_table), f_first, u);

		if (got != f_lines[u])
			fail_msg("code unit %u: line %u, CPython says %u", u, got, f_lines[u]);
	}
	/* past the table, or a table cut short: no line, not a guess */
	assert_int_equal(py_line(f_table, sizeof(f_table), f_first, 1000), 0);
	assert_int_equal(py_line(f_table, 10, f_first, 60), 0);
}

static void test_text_kinds(void **state)
{
	const uint8_t latin1[] = { 'c', 'a', 'f', 0xe9 };
	const uint16_t ucs2[] = { 0x3b1, 0x3b2 };	/* alpha beta */
	const uint32_t ucs4[] = { 0x1f40d };		/* a snake */
	char out[32];

	py_text("main", 4, PY_STR_ASCII, out, sizeof(out));
	assert_string_equal(out, "main");
	py_text(latin1, 4, PY_STR_1BYTE, out, sizeof(out));
	assert_string_equal(out, "caf\xc3\xa9");
	py_text(ucs2, 4, PY_STR_2BYTE, out, sizeof(out));
	assert_string_equal(out, "\xce\xb1\xce\xb2");
	py_text(ucs4, 4, PY_STR_4BYTE, out, sizeof(out));
	assert_string_equal(out, "\xf0\x9f\x90\x8d");
	py_text("x", 1, PY_STR_NONE, out, sizeof(out));
	assert_string_equal(out, "");
}

/* The interpreter's file; absent only where scripts/deps.sh has not run. */
static int open_python(void)
{
	int fd = open(PY311, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (getenv("CI") && !strcmp(getenv("CI"), "true"))
			fail_msg("no %s under CI: scripts/deps.sh installs python3.11", PY311);
		skip();
	}
	return fd;
}

static void test_elf_probe(void **state)
{
	uint64_t rt = 0, ct = 0;
	uint32_t ver = 0;
	int fd = open_python();

	assert_int_equal(python_elf_probe(fd, &rt, &ct, &ver), 0);
	assert_int_equal(ver >> 16, 0x030b);
	assert_true(rt != 0);
	/* the type every frame's code object has: the walker checks it */
	assert_true(ct != 0 && ct != rt);
	close(fd);
	/* a binary that is no interpreter */
	fd = open("/bin/sh", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(python_elf_probe(fd, &rt, &ct, &ver), -ENOENT);
	close(fd);
}

/* The table is what python3.11-dbg's DWARF says, field by field. */
static void test_table_matches_dwarf(void **state)
{
	struct py_layout dw, tab;
	struct elf_syms *es;
	uint64_t rt, ct;
	uint32_t ver;
	int fd = open_python(), dfd;

	assert_int_equal(python_elf_probe(fd, &rt, &ct, &ver), 0);
	es = elf_syms_from_fd(fd);
	assert_non_null(es);
	dfd = debuginfo_open(NULL, NULL, PY311, es);
	if (dfd < 0 && getenv("CI") && !strcmp(getenv("CI"), "true"))
		fail_msg("no debug file for %s under CI: scripts/deps.sh installs python3.11-dbg", PY311);
	if (dfd < 0) {
		elf_syms_free(es);
		close(fd);
		skip();
	}
	assert_int_equal(python_layout_dwarf(dfd, &dw), 0);
	assert_int_equal(python_layout_table(ver, &tab), 0);
	assert_memory_equal(&dw, &tab, sizeof(dw));
	assert_int_equal(python_layout_table(0x030c0000, &tab), -ENOTSUP);
	close(dfd);
	elf_syms_free(es);
	close(fd);
}

static void test_names(void **state)
{
	struct py_names *pn = py_names_new();
	struct profile *p = profile_new();
	struct py_code_event *e = calloc(1, sizeof(*e));
	uint64_t key = 0x123456789ULL;
	uint32_t a, b;

	e->pid = 42;
	e->key = key;
	e->firstlineno = f_first;
	memcpy(e->name, "Klass.f", 7);
	e->name_len = 7;
	memcpy(e->file, "/srv/app/mod.py", 15);
	e->file_len = 15;
	memcpy(e->linetable, f_table, sizeof(f_table));
	e->linetable_len = sizeof(f_table);
	py_names_add(pn, e, sizeof(*e));
	/* code unit 30 is on line 9 */
	a = profile_location(p, FRAME_PYTHON, 42, (key << PY_KEY_SHIFT) | 30, false);
	/* the same key in another process is another code object: not named */
	b = profile_location(p, FRAME_PYTHON, 43, (key << PY_KEY_SHIFT) | 30, false);
	py_names_resolve(pn, p, &p->locs[a]);
	py_names_resolve(pn, p, &p->locs[b]);
	assert_string_equal(p->locs[a].name, "Klass.f (mod.py:9)");
	assert_string_equal(p->locs[a].file, "/srv/app/mod.py");
	assert_int_equal(p->locs[a].line, 9);
	assert_string_equal(p->locs[a].module, "[python]");
	assert_string_equal(p->locs[b].name, "[python code]");
	free(e);
	profile_free(p);
	py_names_free(pn);
}

static uint32_t named(struct profile *p, enum frame_kind kind, uint64_t addr, const char *name)
{
	uint32_t id = profile_location(p, kind, 1, addr, true);

	p->locs[id].name = profile_intern(p, name);
	return id;
}

/* Sample frames (leaf first) after the merge, as names joined by spaces. */
static void merged(struct profile *p, const uint32_t *fr, uint32_t n, char *out, size_t size)
{
	int64_t one = 1;
	size_t s = profile_add_sample(p, fr, n, 1, 1, "t", &one), o = 0;

	python_merge(p);
	out[0] = 0;
	for (uint32_t i = 0; i < p->samples[s].nframes; i++)
		o += snprintf(out + o, size - o, "%s%s", i ? " " : "",
			      p->locs[profile_sample_frames(p, s)[i]].name);
}

static void test_merge(void **state)
{
	struct profile *p = profile_new();
	uint32_t leaf = named(p, FRAME_USER, 0x10, "long_mod"),
		 ev1 = named(p, FRAME_USER, 0x20, "_PyEval_EvalFrameDefault"),
		 cfn = named(p, FRAME_USER, 0x30, "builtin_sum"),
		 ev2 = named(p, FRAME_USER, 0x40, "_PyEval_EvalFrameDefault.cold"),
		 root = named(p, FRAME_USER, 0x50, "main"),
		 /* leaf first: gen (entry), f, g (entry) */
		 gen = named(p, FRAME_PYTHON, (1ULL << 20) | PY_FRAME_ENTRY, "gen"),
		 f = named(p, FRAME_PYTHON, 2ULL << 20, "f"),
		 g = named(p, FRAME_PYTHON, (3ULL << 20) | PY_FRAME_ENTRY, "g");
	char out[256];

	profile_add_type(p, "samples", "count");
	/* two interpreter frames, two groups: each runs its own */
	merged(p, (uint32_t[]){ leaf, ev1, cfn, ev2, root, gen, f, g }, 8, out, sizeof(out));
	assert_string_equal(out, "long_mod gen _PyEval_EvalFrameDefault builtin_sum f g "
			    "_PyEval_EvalFrameDefault.cold main");
	/* a native call entered whose frame is not yet current: from the root */
	merged(p, (uint32_t[]){ ev1, cfn, ev2, root, g }, 5, out, sizeof(out));
	assert_string_equal(out, "_PyEval_EvalFrameDefault builtin_sum g _PyEval_EvalFrameDefault.cold main");
	/* more groups than interpreter frames: the innermost takes them, in order */
	merged(p, (uint32_t[]){ leaf, ev2, root, gen, f, g }, 6, out, sizeof(out));
	assert_string_equal(out, "long_mod gen f g _PyEval_EvalFrameDefault.cold main");
	/* no interpreter frame: Python frames stay above the native ones */
	merged(p, (uint32_t[]){ leaf, root, g }, 3, out, sizeof(out));
	assert_string_equal(out, "long_mod main g");
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_table),
		cmocka_unit_test(test_text_kinds),
		cmocka_unit_test(test_elf_probe),
		cmocka_unit_test(test_table_matches_dwarf),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
