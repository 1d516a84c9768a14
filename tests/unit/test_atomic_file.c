// SPDX-License-Identifier: GPL-2.0
/* -o files are replaced whole, or left as they were. */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "output/atomic_file.h"

static char dir[] = "/tmp/test_atomic_XXXXXX";

static char *path_in(const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static void put(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static char *get(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Entries in the directory: no temporary file may be left. */
static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_replaced_whole_keeping_mode(void **state)
{
	char *p = strdup(path_in("out.folded"));
	struct atomic_file a;
	struct stat st;

	put(p, "old\n", 0640);
	assert_int_equal(afile_open(&a, p), 0);
	fputs("new content\n", a.f);
	/* nothing shows until it is complete */
	assert_string_equal(get(p), "old\n");
	assert_int_equal(afile_publish(&a, true), 0);
	afile_close(&a);
	assert_string_equal(get(p), "new content\n");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(entries(), 1);
	unlink(p);
	free(p);
}

static void test_new_file_gets_umask_mode(void **state)
{
	char *p = strdup(path_in("fresh.txt"));
	mode_t old = umask(027);
	struct atomic_file a;
	struct stat st;

	assert_int_equal(afile_open(&a, p), 0);
	fputs("x", a.f);
	assert_int_equal(afile_publish(&a, true), 0);
	afile_close(&a);
	umask(old);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	unlink(p);
	free(p);
}

static void test_unpublished_leaves_old_file(void **state)
{
	char *p = strdup(path_in("keep.svg"));
	struct atomic_file a;

	put(p, "precious\n", 0644);
	assert_int_equal(afile_open(&a, p), 0);
	fputs("half of a fl", a.f);
	fflush(a.f);
	afile_close(&a);	/* a failed run */
	assert_string_equal(get(p), "precious\n");
	assert_int_equal(entries(), 1);
	unlink(p);
	free(p);
}

static void test_intervals_publish_what_is_written(void **state)
{
	char *p = strdup(path_in("int.txt"));
	struct atomic_file a;

	assert_int_equal(afile_open(&a, p), 0);
	fputs("one\n", a.f);
	assert_int_equal(afile_publish(&a, false), 0);
	assert_string_equal(get(p), "one\n");
	fputs("two\n", a.f);
	assert_int_equal(afile_publish(&a, false), 0);
	assert_string_equal(get(p), "one\ntwo\n");
	fputs("three\n", a.f);
	assert_int_equal(afile_publish(&a, true), 0);
	afile_close(&a);
	assert_string_equal(get(p), "one\ntwo\nthree\n");
	assert_int_equal(entries(), 1);
	unlink(p);
	free(p);
}

static void test_symlink_is_kept(void **state)
{
	char *target = strdup(path_in("real.folded"));
	char *link = strdup(path_in("link.folded"));
	struct atomic_file a;
	struct stat st;

	put(target, "old\n", 0644);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(afile_open(&a, link), 0);
	fputs("new\n", a.f);
	assert_int_equal(afile_publish(&a, true), 0);
	afile_close(&a);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_string_equal(get(target), "new\n");
	unlink(link);
	unlink(target);
	free(link);
	free(target);
}

static void test_errors(void **state)
{
	struct atomic_file a;

	assert_int_equal(afile_open(&a, "/nonexistent/dir/x.folded"), -ENOENT);
	assert_int_equal(afile_open(&a, dir), -EISDIR);
	/* not a regular file: written in place, and its error kept */
	assert_int_equal(afile_open(&a, "/dev/full"), 0);
	assert_true(a.direct);
	for (int i = 0; i < 100000; i++)
		fputs("0123456789", a.f);
	assert_int_equal(afile_publish(&a, true), -ENOSPC);
	afile_close(&a);
}

static void test_messages_name_cause_and_fix(void **state)
{
	assert_string_equal(afile_strerror(-ENOSPC),
			    "no space left on device (ENOSPC): free space or choose another -o path");
	assert_non_null(strstr(afile_strerror(-EDQUOT), "(EDQUOT): free space within the quota"));
	assert_non_null(strstr(afile_strerror(-EIO), "(EIO): "));
	assert_string_equal(afile_strerror(-EACCES), strerror(EACCES));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replaced_whole_keeping_mode),
		cmocka_unit_test(test_new_file_gets_umask_mode),
		cmocka_unit_test(test_unpublished_leaves_old_file),
		cmocka_unit_test(test_intervals_publish_what_is_written),
		cmocka_unit_test(test_symlink_is_kept),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_messages_name_cause_and_fix),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
