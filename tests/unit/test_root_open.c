// SPDX-License-Identifier: GPL-2.0
/*
 * Paths resolved inside a target's root (util/root_open.c), with openat2
 * and with the fallback walk: a fake container root whose symlinks point
 * at a secret file outside it must not reach that file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "util/root_open.h"

struct tree {
	char top[64];		/* holds root/ and outside/ */
	char root[128];
	char secret[192];	/* outside the root */
};

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void link_at(const char *target, const struct tree *t, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", t->root, name);
	assert_int_equal(symlink(target, path), 0);
}

/*
 * top/outside/shadow                 "SECRET"
 * top/root/lib/real.so               "inside"
 * top/root/lib/abs-out  -> TOP/outside/shadow   (the host's path)
 * top/root/lib/rel-out  -> ../../../outside/shadow
 * top/root/lib/abs-in   -> /lib/real.so         (the root's own)
 * top/root/usr          -> /lib                 (a directory link)
 * top/root/etc/shadow   -> TOP/outside/shadow
 */
static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char path[256];

	snprintf(t->top, sizeof(t->top), "/tmp/profiler-rootopen-XXXXXX");
	assert_non_null(mkdtemp(t->top));
	snprintf(t->root, sizeof(t->root), "%s/root", t->top);
	snprintf(path, sizeof(path), "%s/outside", t->top);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(t->secret, sizeof(t->secret), "%s/outside/shadow", t->top);
	put(t->secret, "SECRET");
	assert_int_equal(mkdir(t->root, 0700), 0);
	snprintf(path, sizeof(path), "%s/lib", t->root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/etc", t->root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/lib/real.so", t->root);
	put(path, "inside");
	link_at(t->secret, t, "lib/abs-out");
	link_at("../../../outside/shadow", t, "lib/rel-out");
	link_at("/lib/real.so", t, "lib/abs-in");
	link_at("/lib", t, "usr");
	link_at(t->secret, t, "etc/shadow");
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->top);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

/* What the file at path holds, opened by one of the two ways; "" if none */
static const char *read_in_root(const struct tree *t, const char *path, bool walk, char *buf)
{
	int fd, rfd;
	ssize_t n;

	if (walk) {
		rfd = open(t->root, O_PATH | O_DIRECTORY);
		assert_true(rfd >= 0);
		fd = root_open_walk(rfd, path, O_RDONLY);
		close(rfd);
	} else {
		fd = root_open(t->root, path, O_RDONLY);
	}
	buf[0] = '\0';
	if (fd < 0)
		return buf;
	n = read(fd, buf, 63);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void check_both(void **state, bool walk)
{
	const struct tree *t = *state;
	char buf[64], host[256];
	int fd;

	/* a plain open shows what is at stake: the host's file */
	snprintf(host, sizeof(host), "%s/etc/shadow", t->root);
	fd = open(host, O_RDONLY);
	assert_true(fd >= 0);
	close(fd);

	assert_string_equal(read_in_root(t, "/lib/real.so", walk, buf), "inside");
	assert_string_equal(read_in_root(t, "/lib/abs-in", walk, buf), "inside");
	assert_string_equal(read_in_root(t, "/usr/real.so", walk, buf), "inside");
	assert_string_equal(read_in_root(t, "/lib/../lib/./real.so", walk, buf), "inside");
	/* every way out stops at the root */
	assert_string_equal(read_in_root(t, "/etc/shadow", walk, buf), "");
	assert_string_equal(read_in_root(t, "/lib/abs-out", walk, buf), "");
	assert_string_equal(read_in_root(t, "/lib/rel-out", walk, buf), "");
	assert_string_equal(read_in_root(t, "/../outside/shadow", walk, buf), "");
	assert_string_equal(read_in_root(t, "/usr/../../outside/shadow", walk, buf), "");
	assert_string_equal(read_in_root(t, "/../../lib/real.so", walk, buf), "inside");
}

static void test_openat2(void **state)
{
	check_both(state, false);
}

static void test_walk(void **state)
{
	check_both(state, true);
}

/* A link loop ends with ELOOP, and O_NOFOLLOW refuses a last link */
static void test_walk_loop_nofollow(void **state)
{
	const struct tree *t = *state;
	int rfd = open(t->root, O_PATH | O_DIRECTORY);

	link_at("/loop", t, "loop");
	assert_int_equal(root_open_walk(rfd, "/loop", O_RDONLY), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(root_open_walk(rfd, "/lib/abs-in", O_RDONLY | O_NOFOLLOW), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(root_open(t->root, "/lib/abs-in", O_RDONLY | O_NOFOLLOW), -1);
	close(rfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_openat2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_loop_nofollow, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
