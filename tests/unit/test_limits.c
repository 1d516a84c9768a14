// SPDX-License-Identifier: GPL-2.0
/*
 * The limits on what one hostile file may cost (util/file_limits.h): each
 * reader stops at its limit, keeps what it has, and says it stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/types.h>

#include "testutil.h"
#include "symbol/elf_syms.h"
#include "symbol/perf_map.h"
#include "symbol/srcline.h"
#include "symbol/unwind_table.h"
#include "util/util.h"

static int open_fixture(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/fixtures/%s", build_dir(), name);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	return fd;
}

static void test_symbols_cut_at_max(void **state)
{
	struct elf_syms *es = elf_syms_new();

	es->max_syms = 3;
	for (int i = 0; i < 3; i++)
		assert_true(elf_syms_add(es, 0x1000 + 16 * i, 16, "f"));
	assert_false(es->truncated);
	assert_false(elf_syms_add(es, 0x2000, 16, "over"));
	assert_int_equal(es->n, 3);
	assert_true(es->truncated);
	elf_syms_free(es);
}

/* A debug file's symbols merged into a table that is nearly full */
static void test_merge_cut_at_max(void **state)
{
	int fd = open_fixture("sym-pie");
	struct elf_syms *from = elf_syms_from_fd(fd), *es = elf_syms_new();

	close(fd);
	assert_non_null(from);
	assert_true(from->n > 2);
	assert_false(from->truncated);
	es->max_syms = 2;
	elf_syms_merge(es, from);
	assert_int_equal(es->n, 2);
	assert_true(es->truncated);
	elf_syms_free(es);
	elf_syms_free(from);
}

static void test_perf_map_lines(void **state)
{
	const char *text = "1000 10 a\n2000 10 b\n3000 10 c\n4000 10 d\n5000 10 e\n";
	struct elf_syms *es = perf_map_parse(text, 2);

	assert_int_equal(es->n, 2);
	assert_true(es->truncated);
	elf_syms_free(es);
	es = perf_map_parse(text, 5);
	assert_int_equal(es->n, 5);
	assert_false(es->truncated);
	elf_syms_free(es);
}

/* A perf map that goes on past the byte limit: read up to it, and told */
static void test_read_fd_cut(void **state)
{
	int fd = memfd_create("limits", 0);
	char big[10000];
	size_t len;
	bool cut;
	char *s;

	memset(big, 'x', sizeof(big));
	assert_int_equal(write(fd, big, sizeof(big)), sizeof(big));
	lseek(fd, 0, SEEK_SET);
	s = read_fd(fd, 4096, &len, &cut);
	assert_int_equal(len, 4096);
	assert_true(cut);
	assert_int_equal(strlen(s), 4096);
	free(s);
	lseek(fd, 0, SEEK_SET);
	s = read_fd(fd, sizeof(big), &len, &cut);
	assert_int_equal(len, sizeof(big));
	assert_false(cut);
	free(s);
	close(fd);
}

/* --lines refuses a file with more DWARF than the limit */
static void test_dwarf_size(void **state)
{
	int fd = open_fixture("sym-pie");
	struct srcline *sl;

	sl = srcline_open_max(fd, 100);
	assert_null(sl);
	assert_int_equal(errno, EFBIG);
	sl = srcline_open_max(fd, 1 << 30);
	assert_non_null(sl);
	srcline_close(sl);
	close(fd);
}

static void *self_image(size_t *size)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	struct stat st;
	void *img;

	assert_true(fd >= 0 && !fstat(fd, &st));
	img = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	assert_true(img != MAP_FAILED);
	*size = st.st_size;
	return img;
}

/* Rows past the limit are dropped, and the code past the last kept row has no rule */
static void test_unwind_rows(void **state)
{
	size_t size;
	void *img = self_image(&size);
	struct unwind_table *full = unwind_table_from_mem(img, size), *t;

	assert_non_null(full);
	assert_true(full->n > 100);
	assert_false(full->too_many_rows);
	t = unwind_table_from_mem_max(img, size, 50, 60000);
	assert_non_null(t);
	assert_true(t->too_many_rows);
	assert_false(t->too_slow);
	assert_true(t->n <= 50);
	assert_true(t->n >= 40);
	assert_int_equal(t->rows[t->n - 1].cfa, UNW_UNKNOWN);
	/* the rows kept are the full table's first */
	assert_memory_equal(t->rows, full->rows, (t->n - 2) * sizeof(*t->rows));
	unwind_table_free(t);
	unwind_table_free(full);
	munmap(img, size);
}

/* A binary whose .eh_frame takes longer than its time: the rows stop there */
static void test_unwind_time(void **state)
{
	size_t size;
	void *img = self_image(&size);
	struct unwind_table *t = unwind_table_from_mem_max(img, size, 1 << 20, 0);

	assert_non_null(t);
	assert_true(t->too_slow);
	assert_int_equal(t->rows[t->n - 1].cfa, UNW_UNKNOWN);
	unwind_table_free(t);
	munmap(img, size);
}

/*
 * The fuzzer's find: an .eh_frame whose CFI names a register in the
 * millions, so that each libdw lookup builds and copies a frame state that
 * large.  The first such step ends the table, marked too slow.
 */
static void test_unwind_costly_step(void **state)
{
	const char *path = "tests/fuzz/regressions/unwind_table/slow-fde-steps";
	size_t size;
	char *img = read_file(path, &size);
	struct unwind_table *t;

	assert_non_null(img);
	t = unwind_table_from_mem(img, size);
	assert_non_null(t);
	assert_true(t->too_slow);
	assert_int_equal(t->rows[t->n - 1].cfa, UNW_UNKNOWN);
	unwind_table_free(t);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symbols_cut_at_max),
		cmocka_unit_test(test_merge_cut_at_max),
		cmocka_unit_test(test_perf_map_lines),
		cmocka_unit_test(test_read_fd_cut),
		cmocka_unit_test(test_dwarf_size),
		cmocka_unit_test(test_unwind_rows),
		cmocka_unit_test(test_unwind_time),
		cmocka_unit_test(test_unwind_costly_step),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
