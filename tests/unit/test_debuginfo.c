// SPDX-License-Identifier: GPL-2.0
/* Stripped fixtures named from their separate debug info, each way it ships. */
#include <fcntl.h>
#include <unistd.h>

#include "testutil.h"
#include "symbol/debuginfo.h"
#include "symbol/elf_syms.h"

/* fixture_local is static: only a .symtab names it, never .dynsym */
static uint64_t local_addr(void)
{
	char cmd[512], line[256];
	unsigned long long a = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm %s/fixtures/sym-pie | awk '$3 == \"fixture_local\" { print $1 }'",
		 build_dir());
	p = popen(cmd, "r");
	assert_non_null(p);
	if (fgets(line, sizeof(line), p))
		a = strtoull(line, NULL, 16);
	pclose(p);
	assert_true(a != 0);
	return a;
}

/* Load a stripped fixture, add its debug info, report whether fixture_local is named. */
static bool names_local(const char *name, const char *root, size_t *added)
{
	char path[512];
	struct elf_syms *es;
	const struct elf_sym *s;
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "%s/fixtures/%s", build_dir(), name);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	es = elf_syms_from_fd(fd);
	close(fd);
	assert_non_null(es);
	assert_false(es->has_symtab);
	*added = debuginfo_add_symbols(root, NULL, path, es);
	s = elf_syms_lookup(es, local_addr());
	ok = s && !strcmp(elf_syms_name(es, s), "fixture_local");
	elf_syms_free(es);
	return ok;
}

static const char *nowhere = "/nonexistent-debug-root";

static void test_debuglink_beside(void **state)
{
	size_t added;

	assert_true(names_local("sym-debuglink", nowhere, &added));
	assert_true(added > 0);
}

static void test_debuglink_dotdebug(void **state)
{
	size_t added;

	assert_true(names_local("dotdebug/sym-dotdebug", nowhere, &added));
}

static void test_build_id(void **state)
{
	char root[512];
	size_t added;

	snprintf(root, sizeof(root), "%s/fixtures/debugroot", build_dir());
	assert_true(names_local("debugroot/sym-buildid", root, &added));
	/* and not without the debug root */
	assert_false(names_local("debugroot/sym-buildid", nowhere, &added));
	assert_int_equal(added, 0);
}

static void test_bad_crc_ignored(void **state)
{
	size_t added;

	/* the debuglink names a file of another build: its symbols would lie */
	assert_false(names_local("sym-badcrc", nowhere, &added));
	assert_int_equal(added, 0);
}

static void test_minidebuginfo(void **state)
{
	size_t added;

	assert_true(names_local("sym-minidebug", nowhere, &added));
}

/*
 * A process in a container: its binary /app/sym-debuglink, the debug file
 * beside it in its own root.  A symlink there to a debug file outside the
 * root (the host's copy) is not followed out of it.
 */
static void test_debuglink_in_target_root(void **state)
{
	char top[] = "/tmp/profiler-dbgroot-XXXXXX", cmd[1024], root[64], bin[512];
	struct elf_syms *es;
	const struct elf_sym *s;
	int fd;

	assert_non_null(mkdtemp(top));
	snprintf(root, sizeof(root), "%s/root", top);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/app && cp %s/fixtures/sym-debuglink %s/app/ && "
		 "cp %s/fixtures/sym-debuglink.debug %s/", root, build_dir(), root, build_dir(), top);
	assert_int_equal(system(cmd), 0);
	snprintf(bin, sizeof(bin), "%s/app/sym-debuglink", root);
	fd = open(bin, O_RDONLY);
	assert_true(fd >= 0);
	es = elf_syms_from_fd(fd);
	close(fd);
	assert_non_null(es);

	/* outside the root only, through a symlink inside it: not found */
	snprintf(cmd, sizeof(cmd), "ln -s %s/sym-debuglink.debug %s/app/sym-debuglink.debug",
		 top, root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(debuginfo_add_symbols(nowhere, root, "/app/sym-debuglink", es), 0);
	/* the same file as the host sees it: the link is followed */
	snprintf(bin, sizeof(bin), "%s/app/sym-debuglink", root);
	fd = debuginfo_open(nowhere, NULL, bin, es);
	assert_true(fd >= 0);
	close(fd);

	/* inside the root: found, and it names the local function */
	snprintf(cmd, sizeof(cmd), "rm %s/app/sym-debuglink.debug && cp %s/sym-debuglink.debug %s/app/",
		 root, top, root);
	assert_int_equal(system(cmd), 0);
	assert_true(debuginfo_add_symbols(nowhere, root, "/app/sym-debuglink", es) > 0);
	s = elf_syms_lookup(es, local_addr());
	assert_true(s && !strcmp(elf_syms_name(es, s), "fixture_local"));
	elf_syms_free(es);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	assert_int_equal(system(cmd), 0);
}

static void test_no_debug_info(void **state)
{
	size_t added;

	assert_false(names_local("sym-stripped", nowhere, &added));
	assert_int_equal(added, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debuglink_beside),
		cmocka_unit_test(test_debuglink_dotdebug),
		cmocka_unit_test(test_build_id),
		cmocka_unit_test(test_bad_crc_ignored),
		cmocka_unit_test(test_minidebuginfo),
		cmocka_unit_test(test_no_debug_info),
		cmocka_unit_test(test_debuglink_in_target_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
