// SPDX-License-Identifier: GPL-2.0
/* Symbol lookup on ELF files the build makes: PIE, non-PIE, shared, stripped. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "symbol/elf_syms.h"
#include "util/util.h"

struct nm_sym {
	uint64_t addr, size;
};

/* What binutils' nm says of a symbol: the reference the lookup must agree with. */
static struct nm_sym nm_lookup(const char *file, const char *name)
{
	char cmd[512], line[512];
	struct nm_sym s = { 0, 0 };
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm -S --defined-only %s", file);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long long a, z;
		char type, sym[256];

		/* a symbol without a size (an assembler label) has no size column */
		if ((sscanf(line, "%llx %llx %c %255s", &a, &z, &type, sym) == 4 ||
		     (z = 0, sscanf(line, "%llx %c %255s", &a, &type, sym) == 3)) && !strcmp(sym, name)) {
			s.addr = a;
			s.size = z;
		}
	}
	pclose(p);
	return s;
}

static struct elf_syms *load_path(const char *path)
{
	struct elf_syms *es;
	int fd;

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	es = elf_syms_from_fd(fd);
	close(fd);
	assert_non_null(es);
	return es;
}

static struct elf_syms *load(const char *name, char *path, size_t size)
{
	snprintf(path, size, "%s/fixtures/%s", build_dir(), name);
	return load_path(path);
}

static void check_function(struct elf_syms *es, const char *path, const char *name)
{
	struct nm_sym ref = nm_lookup(path, name);
	const struct elf_sym *s;

	assert_true(ref.addr != 0);
	assert_true(ref.size != 0);
	s = elf_syms_lookup(es, ref.addr);
	assert_non_null(s);
	assert_string_equal(elf_syms_name(es, s), name);
	s = elf_syms_lookup(es, ref.addr + ref.size - 1);
	assert_non_null(s);
	assert_string_equal(elf_syms_name(es, s), name);
	/* one past the end is not this symbol, whatever follows */
	s = elf_syms_lookup(es, ref.addr + ref.size);
	assert_true(!s || strcmp(elf_syms_name(es, s), name));
}

/* Code labels (NOTYPE in a code section) name their code up to the next
 * symbol, and give way to a function that contains them. */
static void check_labels(struct elf_syms *es, const char *path)
{
	struct nm_sym label = nm_lookup(path, "fixture_label");
	struct nm_sym next = nm_lookup(path, "fixture_label_next");
	struct nm_sym inner = nm_lookup(path, "fixture_inner_label");
	const struct elf_sym *s;

	assert_true(label.addr != 0 && next.addr == label.addr + 1);
	s = elf_syms_lookup(es, label.addr);
	assert_non_null(s);
	assert_string_equal(elf_syms_name(es, s), "fixture_label");
	s = elf_syms_lookup(es, next.addr + 1);
	assert_non_null(s);
	assert_string_equal(elf_syms_name(es, s), "fixture_label_next");
	assert_true(inner.addr != 0);
	s = elf_syms_lookup(es, inner.addr);
	assert_non_null(s);
	assert_string_equal(elf_syms_name(es, s), "fixture_alpha");
}

static void test_pie(void **state)
{
	char path[512];
	struct elf_syms *es = load("sym-pie", path, sizeof(path));
	struct nm_sym ref = nm_lookup(path, "fixture_alpha");
	uint64_t a;

	check_labels(es, path);

	assert_true(es->is_dyn);
	assert_true(es->has_symtab);
	check_function(es, path, "fixture_alpha");
	check_function(es, path, "fixture_beta");
	check_function(es, path, "fixture_local");	/* static: only in .symtab */
	check_function(es, path, "main");
	assert_int_equal(es->build_id_len, 20);
	/* the file offset of the function maps back to its ELF address */
	for (size_t i = 0; i < es->nsegs; i++) {
		const struct elf_seg *sg = &es->segs[i];

		if (ref.addr >= sg->vaddr && ref.addr < sg->vaddr + sg->filesz) {
			assert_true(elf_syms_offset_to_addr(es, ref.addr - sg->vaddr + sg->offset, &a));
			assert_int_equal(a, ref.addr);
		}
	}
	assert_false(elf_syms_offset_to_addr(es, 1ULL << 40, &a));
	elf_syms_free(es);
}

static void test_nopie(void **state)
{
	char path[512];
	struct elf_syms *es = load("sym-nopie", path, sizeof(path));
	struct nm_sym ref = nm_lookup(path, "fixture_alpha");
	uint64_t a;

	assert_false(es->is_dyn);
	check_function(es, path, "fixture_alpha");
	check_function(es, path, "fixture_local");
	/* non-PIE text is linked at 0x400000 and above: offsets are not addresses */
	assert_true(ref.addr >= 0x400000);
	for (size_t i = 0; i < es->nsegs; i++)
		if (es->segs[i].exec) {
			assert_true(elf_syms_offset_to_addr(es, es->segs[i].offset, &a));
			assert_int_equal(a, es->segs[i].vaddr);
		}
	elf_syms_free(es);
}

static void test_shared(void **state)
{
	char path[512];
	struct elf_syms *es = load("libsym.so", path, sizeof(path));

	assert_true(es->is_dyn);
	check_function(es, path, "fixture_alpha");
	check_function(es, path, "fixture_beta");
	check_function(es, path, "fixture_local");
	elf_syms_free(es);
}

/* Its string table's pages given back: every name reads the same after. */
static void test_drop_pages(void **state)
{
	char path[512];
	struct elf_syms *es = load("libsym.so", path, sizeof(path));
	char **before = xcalloc(es->n + 1, sizeof(*before));

	assert_non_null(es->strmap);
	for (size_t i = 0; i < es->n; i++)
		before[i] = xstrdup(elf_syms_raw_name(es, &es->syms[i]));
	elf_syms_drop_pages(es);
	elf_syms_drop_pages(NULL);
	for (size_t i = 0; i < es->n; i++) {
		assert_string_equal(elf_syms_raw_name(es, &es->syms[i]), before[i]);
		free(before[i]);
	}
	check_function(es, path, "fixture_alpha");
	free(before);
	elf_syms_free(es);
}

/* A copy of a fixture in a temporary file: its path in path */
static void copy_fixture(const char *name, char *path, size_t size)
{
	char src[512];
	size_t len;
	char *data;
	int fd;

	snprintf(src, sizeof(src), "%s/fixtures/%s", build_dir(), name);
	data = read_file(src, &len);
	assert_non_null(data);
	snprintf(path, size, "/tmp/test_elf_syms.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	free(data);
}

/*
 * Dropped pages come back from the file: a file rewritten in place since
 * (cp onto a library keeps its inode) is told, by its size or by its
 * modification time, before a name is read from it.
 */
static void test_drop_pages_rewritten(void **state)
{
	struct timespec later[2] = { { 0, UTIME_OMIT }, { 0, 0 } };
	char path[64];
	struct stat st;
	struct elf_syms *es;
	int fd;

	copy_fixture("libsym.so", path, sizeof(path));
	es = load_path(path);
	assert_non_null(es->strmap);
	assert_true(elf_syms_same_file(es));	/* nothing dropped yet */
	elf_syms_drop_pages(es);
	assert_true(es->pages_dropped);	/* root: /proc/self/map_files opens */
	assert_true(elf_syms_same_file(es));
	assert_false(es->pages_dropped);
	check_function(es, path, "fixture_alpha");

	/* the same size, a new modification time */
	elf_syms_drop_pages(es);
	assert_int_equal(stat(path, &st), 0);
	later[1].tv_sec = st.st_mtim.tv_sec + 10;
	assert_int_equal(utimensat(AT_FDCWD, path, later, 0), 0);
	assert_false(elf_syms_same_file(es));

	/* shortened in place: the old pages past its end would fault */
	assert_int_equal(truncate(path, 100), 0);
	assert_false(elf_syms_same_file(es));
	fd = elf_syms_open_mapped(es);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 100);	/* the inode mapped, as it is now */
	close(fd);
	elf_syms_free(es);
	unlink(path);
}

static void test_stripped(void **state)
{
	char path[512], pie[512];
	struct elf_syms *es = load("sym-stripped", path, sizeof(path));
	struct nm_sym local;
	const struct elf_sym *s;

	snprintf(pie, sizeof(pie), "%s/fixtures/sym-pie", build_dir());
	local = nm_lookup(pie, "fixture_local");
	assert_false(es->has_symtab);
	/* .dynsym has no local functions: the address must not be misnamed as one */
	s = elf_syms_lookup(es, local.addr);
	assert_true(!s || strcmp(elf_syms_name(es, s), "fixture_local"));
	assert_int_equal(es->build_id_len, 20);
	elf_syms_free(es);
}

/*
 * Every PLT stub objdump names must have that name here too: objdump is the
 * reference.  For an IRELATIVE slot objdump prints *ABS*+0xADDR@plt; the
 * name is that of the IFUNC whose resolver is at ADDR.
 */
static int check_plt(const char *path, struct elf_syms *es, const char *want)
{
	char cmd[600], line[1024];
	int named = 0, found_want = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "objdump -d %s", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long long a, target;
		char label[512], expect[600];
		const struct elf_sym *s;

		if (sscanf(line, "%llx <%511[^>]>:", &a, label) != 2)
			continue;
		if (strlen(label) < 5 || strcmp(label + strlen(label) - 4, "@plt"))
			continue;
		if (sscanf(label, "*ABS*+0x%llx@plt", &target) == 1) {
			s = elf_syms_lookup(es, target);
			assert_non_null(s);
			snprintf(expect, sizeof(expect), "%s@plt", elf_syms_name(es, s));
		} else {
			snprintf(expect, sizeof(expect), "%s", label);
		}
		s = elf_syms_lookup(es, a);
		assert_non_null(s);
		assert_string_equal(elf_syms_name(es, s), expect);
		/* the whole stub, not just its first byte */
		assert_ptr_equal(elf_syms_lookup(es, a + 5), s);
		found_want += !strcmp(expect, want);
		named++;
	}
	pclose(p);
	assert_true(found_want);
	return named;
}

static void test_plt(void **state)
{
	char path[512];
	struct elf_syms *es = load("sym-pie", path, sizeof(path));

	assert_true(check_plt(path, es, "puts@plt") >= 1);
	elf_syms_free(es);
	/* IBT: the stubs that jump are in .plt.sec, the lazy ones in .plt */
	es = load("sym-ibt", path, sizeof(path));
	assert_true(check_plt(path, es, "puts@plt") >= 1);
	elf_syms_free(es);
}

/* libc: JUMP_SLOT (realloc), IRELATIVE (libc's own IFUNCs), .plt.got (malloc) */
static void test_plt_libc(void **state)
{
	static const char *libc = "/lib/x86_64-linux-gnu/libc.so.6";
	struct elf_syms *es;
	int fd = open(libc, O_RDONLY);

	if (fd < 0)
		skip();
	es = elf_syms_from_fd(fd);
	close(fd);
	assert_non_null(es);
	assert_true(check_plt(libc, es, "realloc@plt") > 10);
	check_plt(libc, es, "malloc@plt");
	elf_syms_free(es);
}

static void test_not_elf(void **state)
{
	int fd = open("/proc/self/status", O_RDONLY);

	assert_true(fd >= 0);
	assert_null(elf_syms_from_fd(fd));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pie),
		cmocka_unit_test(test_nopie),
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_drop_pages),
		cmocka_unit_test(test_drop_pages_rewritten),
		cmocka_unit_test(test_stripped),
		cmocka_unit_test(test_plt),
		cmocka_unit_test(test_plt_libc),
		cmocka_unit_test(test_not_elf),
	};

	return cmocka_run_group_tests_name("elf_syms", tests, NULL, NULL);
}
