// SPDX-License-Identifier: GPL-2.0
/* The kernel's refusals kept for the boot: none until noted, then known
 * for that object's bytes alone, and believed only from a file that is
 * ours alone. */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "runtime/refusals.h"
#include "util/util.h"

static const char obj[] = "an object's bytes", other[] = "another build's bytes";

/* The one file in dir, or "" */
static void only_file(const char *dir, char *path, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	path[0] = '\0';
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			snprintf(path, len, "%s/%s", dir, e->d_name);
	if (d)
		closedir(d);
}

static void test_noted_then_known(void **state)
{
	char dir[] = "/tmp/refusals-XXXXXX", sub[64], path[512], cmd[64];

	assert_non_null(mkdtemp(dir));
	/* a directory not made yet: noting makes it */
	snprintf(sub, sizeof(sub), "%s/cache", dir);
	setenv("PROFILER_CACHE_DIR", sub, 1);
	assert_false(refusal_known("prog", obj, sizeof(obj)));
	refusal_note("prog", obj, sizeof(obj));
	assert_true(refusal_known("prog", obj, sizeof(obj)));
	/* another object, or another name: not refused */
	assert_false(refusal_known("prog", other, sizeof(other)));
	assert_false(refusal_known("other", obj, sizeof(obj)));
	/* the key names the boot */
	only_file(sub, path, sizeof(path));
	assert_non_null(strstr(path, "/refused.v1-"));
	assert_non_null(strstr(path, "-prog-"));
	/* a file others may write is not believed */
	assert_int_equal(chmod(path, 0622), 0);
	assert_false(refusal_known("prog", obj, sizeof(obj)));
	assert_int_equal(chmod(path, 0600), 0);
	assert_true(refusal_known("prog", obj, sizeof(obj)));
	/* nor a link to one that would be */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/etc/hostname", path), 0);
	assert_false(refusal_known("prog", obj, sizeof(obj)));
	unsetenv("PROFILER_CACHE_DIR");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_noted_then_known),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
