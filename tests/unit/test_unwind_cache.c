// SPDX-License-Identifier: GPL-2.0
/* Unwind tables kept on disk: read back exactly, and never trusted when
 * they are not whole, not for this binary, or not ours alone. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "symbol/unwind_cache.h"
#include "util/file_limits.h"

#ifdef __x86_64__
#define HDR_SIZE	128	/* the file's header: the rows start there */

static const uint8_t key[28] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };

static struct unwind_table *self_table(void)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	struct unwind_table *t;

	assert_true(fd >= 0);
	t = unwind_table_from_fd(fd);
	close(fd);
	assert_non_null(t);
	assert_true(t->n > 100);
	return t;
}

static void assert_same(const struct unwind_table *a, const struct unwind_table *b)
{
	assert_int_equal(a->n, b->n);
	assert_memory_equal(a->rows, b->rows, a->n * sizeof(*a->rows));
	assert_int_equal(a->nsegs, b->nsegs);
	for (size_t i = 0; i < a->nsegs; i++) {
		assert_int_equal(a->segs[i].offset, b->segs[i].offset);
		assert_int_equal(a->segs[i].vaddr, b->segs[i].vaddr);
		assert_int_equal(a->segs[i].filesz, b->segs[i].filesz);
		assert_int_equal(a->segs[i].exec, b->segs[i].exec);
	}
	assert_int_equal(a->too_many_rows, b->too_many_rows);
}

static void test_round_trip(void **state)
{
	struct unwind_table *t = self_table(), *back;
	size_t size;
	void *buf;

	assert_int_equal(unwind_cache_encode(t, key, sizeof(key), &buf, &size), 0);
	assert_int_equal(size, HDR_SIZE + t->n * sizeof(*t->rows) + t->nsegs * 32);
	back = unwind_cache_parse(buf, size, key, sizeof(key));
	assert_non_null(back);
	assert_same(t, back);
	unwind_table_free(back);
	/* another binary's, or another build's of ours */
	errno = 0;
	assert_null(unwind_cache_parse(buf, size, key, sizeof(key) - 1));
	assert_int_equal(errno, ESTALE);
	free(buf);
	unwind_table_free(t);
}

/* From a file's mapping: the rows are the file's own bytes, not a copy,
 * and a damaged file's mapping stays its caller's to unmap. */
static void test_mapped(void **state)
{
	struct unwind_table *t = self_table(), *back;
	size_t size;
	uint8_t *map;
	void *buf;

	assert_int_equal(unwind_cache_encode(t, key, sizeof(key), &buf, &size), 0);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	memcpy(map, buf, size);
	map[size - 1] ^= 1;
	assert_int_equal(mprotect(map, size, PROT_READ), 0);
	assert_null(unwind_cache_parse_map(map, size, key, sizeof(key)));
	assert_int_equal(mprotect(map, size, PROT_READ | PROT_WRITE), 0);
	map[size - 1] ^= 1;
	assert_int_equal(mprotect(map, size, PROT_READ), 0);
	back = unwind_cache_parse_map(map, size, key, sizeof(key));
	assert_non_null(back);
	assert_ptr_equal(back->rows, map + HDR_SIZE);
	assert_same(t, back);
	unwind_table_free(back);	/* unmaps it */
	free(buf);
	unwind_table_free(t);
}

static void test_damaged(void **state)
{
	struct unwind_table *t = self_table(), *back;
	struct unwind_row *rows;
	size_t size;
	uint8_t *buf;

	assert_int_equal(unwind_cache_encode(t, key, sizeof(key), (void **)&buf, &size), 0);
	rows = (struct unwind_row *)(buf + HDR_SIZE);
	/* cut short, or one byte longer */
	assert_null(unwind_cache_parse(buf, size - 1, key, sizeof(key)));
	assert_null(unwind_cache_parse(buf, HDR_SIZE - 1, key, sizeof(key)));
	/* one bit of a row flipped: the checksum */
	rows[3].cfa_off ^= 4;
	assert_null(unwind_cache_parse(buf, size, key, sizeof(key)));
	/* the same, resealed: a row that means nothing else is taken */
	unwind_cache_seal(buf, size);
	back = unwind_cache_parse(buf, size, key, sizeof(key));
	assert_non_null(back);
	unwind_table_free(back);
	/* rows out of order would misguide the BPF binary search */
	rows[5].pc = rows[4].pc;
	unwind_cache_seal(buf, size);
	assert_null(unwind_cache_parse(buf, size, key, sizeof(key)));
	rows[5].pc = rows[4].pc + 1;
	/* a rule the BPF side does not know */
	rows[5].cfa = 200;
	unwind_cache_seal(buf, size);
	assert_null(unwind_cache_parse(buf, size, key, sizeof(key)));
	/* a row count that does not match the file's size */
	rows[5].cfa = UNW_CFA_SP;
	buf[96] ^= 1;
	unwind_cache_seal(buf, size);
	assert_null(unwind_cache_parse(buf, size, key, sizeof(key)));
	free(buf);
	unwind_table_free(t);
}

/* A fresh cache directory in dir (a mkdtemp template), through
 * PROFILER_CACHE_DIR; and gone again */
static void cache_dir_in(char *dir)
{
	assert_non_null(mkdtemp(dir));
	setenv("PROFILER_CACHE_DIR", dir, 1);
}

static void cache_dir_out(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	unsetenv("PROFILER_CACHE_DIR");
}

/* A table of file through the cache (PROFILER_CACHE_DIR) */
static struct unwind_table *file_through(const char *file, bool *hit)
{
	struct unwind_cache *c = unwind_cache_open();
	int fd = open(file, O_RDONLY);
	struct unwind_table *t;

	assert_non_null(c);
	assert_true(fd >= 0);
	t = unwind_cache_table(c, fd, LIMIT_UNWIND_MS, hit);
	close(fd);
	unwind_cache_close(c);
	assert_non_null(t);
	return t;
}

/* A file without a build-id is kept by what it is on disk: changed, it
 * is made again */
static void test_no_build_id(void **state)
{
	char dir[] = "/tmp/unwcache.XXXXXX", bin[600], cmd[1400];
	struct unwind_table *made, *read;
	bool hit;

	cache_dir_in(dir);
	snprintf(bin, sizeof(bin), "%s/nobuildid", dir);
	snprintf(cmd, sizeof(cmd), "objcopy --remove-section .note.gnu.build-id /proc/%d/exe %s",
		 (int)getpid(), bin);
	assert_int_equal(system(cmd), 0);
	made = file_through(bin, &hit);
	assert_false(hit);
	read = file_through(bin, &hit);
	assert_true(hit);
	assert_same(made, read);
	unwind_table_free(read);
	/* written to since: not the same file */
	snprintf(cmd, sizeof(cmd), "printf x >> %s", bin);
	assert_int_equal(system(cmd), 0);
	read = file_through(bin, &hit);
	assert_false(hit);
	unwind_table_free(read);
	unwind_table_free(made);
	cache_dir_out(dir);
}

/* The one file in dir/unwind, its path into path */
static void cache_file(const char *dir, char *path, size_t len)
{
	char cmd[512];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls %s/unwind/unw-*", dir);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(path, len, f));
	path[strcspn(path, "\n")] = '\0';
	pclose(f);
}

static void test_on_disk(void **state)
{
	char dir[] = "/tmp/unwcache.XXXXXX", path[512], sub[600], other[600];
	struct unwind_table *made, *read;
	struct stat st;
	bool hit;

	cache_dir_in(dir);
	made = file_through("/proc/self/exe", &hit);
	assert_false(hit);
	read = file_through("/proc/self/exe", &hit);
	assert_true(hit);
	assert_same(made, read);
	unwind_table_free(read);
	cache_file(dir, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* writable by others: not read, and replaced by our own */
	assert_int_equal(chmod(path, 0666), 0);
	read = file_through("/proc/self/exe", &hit);
	assert_false(hit);
	unwind_table_free(read);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* a symlink in its place is not followed */
	snprintf(other, sizeof(other), "%s/elsewhere", dir);
	assert_int_equal(rename(path, other), 0);
	assert_int_equal(symlink(other, path), 0);
	read = file_through("/proc/self/exe", &hit);
	assert_false(hit);
	unwind_table_free(read);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	/* a directory others may write to is not used at all */
	snprintf(sub, sizeof(sub), "%s/unwind", dir);
	assert_int_equal(chmod(sub, 0777), 0);
	assert_null(unwind_cache_open());
	assert_int_equal(chmod(sub, 0700), 0);

	unwind_table_free(made);
	cache_dir_out(dir);
}

/* A table cut by the clock is kept as far as it goes, made further by
 * the next run, and kept whole once whole */
static void test_cut_resumed(void **state)
{
	char dir[] = "/tmp/unwcache.XXXXXX";
	struct unwind_table *whole, *t;
	struct unwind_cache *c;
	size_t size;
	uint8_t *buf;
	bool hit;
	int fd = open("/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY);

	assert_true(fd >= 0);
	whole = unwind_table_from_fd(fd);
	assert_non_null(whole);
	cache_dir_in(dir);
	c = unwind_cache_open();
	assert_non_null(c);
	t = unwind_cache_table(c, fd, 0, &hit);
	assert_non_null(t);
	assert_false(hit);
	assert_true(t->too_slow && t->resume_pc);
	/* its file: the cut where it was */
	assert_int_equal(unwind_cache_encode(t, key, sizeof(key), (void **)&buf, &size), 0);
	unwind_table_free(t);
	t = unwind_cache_parse(buf, size, key, sizeof(key));
	assert_non_null(t);
	assert_true(t->too_slow && t->resume_pc);
	unwind_table_free(t);
	/* a cut that is not at its last row is no cut */
	buf[HDR_SIZE - 8] ^= 1;
	unwind_cache_seal(buf, size);
	assert_null(unwind_cache_parse(buf, size, key, sizeof(key)));
	free(buf);
	/* the next run goes on from the cut: whole, and kept so */
	t = unwind_cache_table(c, fd, LIMIT_UNWIND_MS, &hit);
	assert_non_null(t);
	assert_false(hit);
	assert_false(t->too_slow);
	assert_int_equal(t->resume_pc, 0);
	assert_same(whole, t);
	unwind_table_free(t);
	t = unwind_cache_table(c, fd, 0, &hit);
	assert_true(hit);
	assert_same(whole, t);
	unwind_table_free(t);
	unwind_table_free(whole);
	unwind_cache_close(c);
	close(fd);
	cache_dir_out(dir);
}

/* Small records (an interpreter's layout): exactly what was put, for
 * that kind and that file only, and nothing damaged */
static void test_records(void **state)
{
	char dir[] = "/tmp/unwcache.XXXXXX", cmd[600];
	uint8_t rec[72], back[72], *buf;
	struct unwind_cache *c;
	size_t size;
	int fd, other;

	for (size_t i = 0; i < sizeof(rec); i++)
		rec[i] = i * 7 + 1;
	assert_int_equal(unwind_cache_encode_rec(rec, sizeof(rec), key, sizeof(key),
						 (void **)&buf, &size), 0);
	assert_int_equal(size, HDR_SIZE + sizeof(rec));
	assert_int_equal(unwind_cache_parse_rec(buf, size, key, sizeof(key), back, sizeof(back)), 0);
	assert_memory_equal(rec, back, sizeof(rec));
	assert_int_equal(unwind_cache_parse_rec(buf, size, key, sizeof(key) - 1, back,
						sizeof(back)), -ESTALE);
	/* a record of another size, cut short, or a bit flipped */
	assert_int_equal(unwind_cache_parse_rec(buf, size, key, sizeof(key), back, 64), -EINVAL);
	assert_int_equal(unwind_cache_parse_rec(buf, size - 1, key, sizeof(key), back,
						sizeof(back) - 1), -EINVAL);
	buf[HDR_SIZE + 5] ^= 1;
	assert_int_equal(unwind_cache_parse_rec(buf, size, key, sizeof(key), back, sizeof(back)),
			 -EINVAL);
	free(buf);
	/* a table's file is no record */
	{
		struct unwind_table *t = self_table();

		assert_int_equal(unwind_cache_encode(t, key, sizeof(key), (void **)&buf, &size), 0);
		assert_int_equal(unwind_cache_parse_rec(buf, size, key, sizeof(key), back,
							size - HDR_SIZE), -EINVAL);
		free(buf);
		unwind_table_free(t);
	}

	/* on disk: read back for the same file and kind only */
	cache_dir_in(dir);
	c = unwind_cache_open();
	assert_non_null(c);
	fd = open("/proc/self/exe", O_RDONLY);
	other = open("/bin/sh", O_RDONLY);
	assert_true(fd >= 0 && other >= 0);
	assert_int_equal(unwind_cache_get(c, "python", fd, back, sizeof(back)), -ENOENT);
	unwind_cache_put(c, "python", fd, rec, sizeof(rec));
	memset(back, 0, sizeof(back));
	assert_int_equal(unwind_cache_get(c, "python", fd, back, sizeof(back)), 0);
	assert_memory_equal(rec, back, sizeof(rec));
	assert_int_equal(unwind_cache_get(c, "other", fd, back, sizeof(back)), -ENOENT);
	assert_int_equal(unwind_cache_get(c, "python", other, back, sizeof(back)), -ENOENT);
	assert_int_equal(unwind_cache_get(c, "python", fd, back, 64), -ENOENT);
	/* writable by others: not read */
	snprintf(cmd, sizeof(cmd), "chmod 666 %s/unwind/rec-*", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(unwind_cache_get(c, "python", fd, back, sizeof(back)), -ENOENT);
	/* no cache: nothing kept, nothing found */
	unwind_cache_put(NULL, "python", fd, rec, sizeof(rec));
	assert_int_equal(unwind_cache_get(NULL, "python", fd, back, sizeof(back)), -ENOENT);
	close(fd);
	close(other);
	unwind_cache_close(c);
	cache_dir_out(dir);
}
#endif

int main(void)
{
#ifdef __x86_64__
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_mapped),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_on_disk),
		cmocka_unit_test(test_no_build_id),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_cut_resumed),
	};

	return cmocka_run_group_tests_name("unwind_cache", tests, NULL, NULL);
#else
	return 0;	/* the tables are x86-64 only */
#endif
}
