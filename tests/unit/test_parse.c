// SPDX-License-Identifier: GPL-2.0
/* Parsers of user input and of /proc text. */
#include <errno.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "runtime/proc_stat.h"
#include "symbol/proc_maps.h"
#include "util/util.h"

static void test_int_list(void **state)
{
	int *v = NULL, n = 0;

	assert_int_equal(parse_int_list("3,0-2,2", 8, &v, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(v[0], 0);
	assert_int_equal(v[3], 3);
	free(v);
	assert_int_equal(parse_int_list("1-", 8, &v, &n), -EINVAL);
	assert_int_equal(parse_int_list("a", 8, &v, &n), -EINVAL);
	assert_int_equal(parse_int_list("5-3", 8, &v, &n), -ERANGE);
	assert_int_equal(parse_int_list("9", 8, &v, &n), -ERANGE);
	assert_int_equal(parse_int_list("1,", 8, &v, &n), -EINVAL);
}

static void test_numbers(void **state)
{
	uint64_t u;
	double d;

	assert_int_equal(parse_u64("99", 1, 1000, &u), 0);
	assert_int_equal(u, 99);
	assert_int_equal(parse_u64("0", 1, 1000, &u), -ERANGE);
	assert_int_equal(parse_u64("12x", 1, 1000, &u), -EINVAL);
	assert_int_equal(parse_u64("-1", 0, 1000, &u), -EINVAL);
	assert_int_equal(parse_seconds("2.5", &d), 0);
	assert_true(d == 2.5);
	assert_int_equal(parse_seconds("30s", &d), 0);
	assert_int_equal(parse_seconds("0", &d), -ERANGE);
	assert_int_equal(parse_seconds("abc", &d), -EINVAL);
	assert_int_equal(parse_seconds("nan", &d), -EINVAL);
}

static void test_fmt_count(void **state)
{
	char b[32];

	assert_string_equal(fmt_count(b, sizeof(b), 0), "0");
	assert_string_equal(fmt_count(b, sizeof(b), 999), "999");
	assert_string_equal(fmt_count(b, sizeof(b), 1000), "1,000");
	assert_string_equal(fmt_count(b, sizeof(b), 4096000), "4,096,000");
}

/* The file execvp would run: PATH in order, regular executable files only. */
static void test_command_path(void **state)
{
	char dir[] = "/tmp/profiler-path-XXXXXX", file[64], path[160], *old, *p;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/prog", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	/* not executable: skipped for the next directory's */
	chmod(file, 0644);
	snprintf(path, sizeof(path), "%s:/usr/bin:/bin", dir);
	setenv("PATH", path, 1);
	p = command_path("prog");
	assert_null(p);
	p = command_path("sh");
	assert_non_null(p);
	assert_true(!strcmp(p, "/usr/bin/sh") || !strcmp(p, "/bin/sh"));
	free(p);
	chmod(file, 0755);
	p = command_path("prog");
	assert_string_equal(p, file);
	free(p);
	/* with a slash, as given */
	p = command_path("./x/y");
	assert_string_equal(p, "./x/y");
	free(p);
	if (old)
		setenv("PATH", old, 1);
	free(old);
	unlink(file);
	rmdir(dir);
}

static void test_proc_maps(void **state)
{
	const char *text =
		"55d0c0a00000-55d0c0a01000 r--p 00000000 fd:01 1234   /usr/bin/app\n"
		"55d0c0a01000-55d0c0a02000 r-xp 00001000 fd:01 1234   /usr/bin/app\n"
		"7f0000000000-7f0000001000 rwxp 00000000 00:00 0 \n"
		"7f1000000000-7f1000100000 r-xp 00028000 fd:01 99     /usr/lib/libc.so.6 (deleted)\n"
		"7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0      [vdso]\n";
	struct proc_map *m;
	size_t n;

	assert_int_equal(proc_maps_parse(text, &m, &n), 0);
	assert_int_equal(n, 4);	/* executable mappings only */
	assert_int_equal(m[0].offset, 0x1000);
	assert_int_equal(m[0].ino, 1234);
	assert_int_equal(m[0].dev, (0xfdULL << 32) | 1);
	assert_string_equal(m[0].path, "/usr/bin/app");
	assert_int_equal(m[0].kind, MAP_FILE);
	assert_int_equal(m[1].kind, MAP_ANON);
	assert_string_equal(m[2].path, "/usr/lib/libc.so.6 (deleted)");
	assert_int_equal(m[3].kind, MAP_VDSO);
	assert_ptr_equal(proc_maps_find(m, n, 0x55d0c0a01fff), &m[0]);
	assert_null(proc_maps_find(m, n, 0x55d0c0a02000));
	assert_ptr_equal(proc_maps_find(m, n, 0x7f1000000000), &m[2]);
	proc_maps_free(m, n);
}

/* A line that ends before its inode must not borrow the next line's (the
 * fuzzer's find: the path's length went negative) */
static void test_proc_maps_short_line(void **state)
{
	const char *text =
		"55d0c0a00000-55d0c0a01000 r-xp 00001000 08:01\n"
		"1311 /usr/bin/app\n"
		"7f0000000000-7f0000001000 r-xp 00000000 08:01 7 /lib/x.so\n";
	struct proc_map *m;
	size_t n;

	assert_int_equal(proc_maps_parse(text, &m, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].path, "/lib/x.so");
	proc_maps_free(m, n);
}

/* --stats' sampled part clock: one call in PART_EVERY timed, counted that many times. */
static void test_part_clock(void **state)
{
	struct part_clock off = { 0 }, on = { 0 };
	volatile uint64_t x = 0;
	int timed = 0;

	assert_int_equal(part_start(&off, false), 0);
	assert_int_equal(off.calls, 0);
	for (int i = 0; i < 2 * PART_EVERY; i++) {
		uint64_t t0 = part_start(&on, true);

		timed += t0 != 0;
		for (int k = 0; k < 100000; k++)
			x += k;
		part_stop(&on, t0);
	}
	assert_int_equal(timed, 2);
	assert_int_equal(on.calls, 2 * PART_EVERY);
	/* each timed call counts PART_EVERY times */
	assert_true(on.ns > 0 && on.ns % PART_EVERY == 0);
	part_stop(&on, 0);	/* an untimed call adds nothing */
	assert_true(on.ns % PART_EVERY == 0);
}

/* /proc/PID/stat: a comm with spaces and parentheses ends at the last ')' */
static void test_proc_stat(void **state)
{
	struct proc_stat st, desc[4];
	pid_t child;
	int n = -1;

	assert_int_equal(proc_stat_parse("4242 (a) b (c)) S 17 4242 4242 0 -1 4194560 "
					 "100 0 0 0 250 31 0 0 20 0 1 0 9 0", &st), 0);
	assert_int_equal(st.pid, 4242);
	assert_int_equal(st.ppid, 17);
	assert_int_equal(st.state, 'S');
	assert_string_equal(st.comm, "a) b (c)");
	assert_int_equal(st.cpu_ticks, 281);
	/* a comm of 16 characters cannot come from the kernel: cut to 16 */
	assert_int_equal(proc_stat_parse("1 (0123456789abcdefXYZ) R 0 1 1 0 -1 0 0 0 0 0 1 2", &st), 0);
	assert_string_equal(st.comm, "0123456789abcdef");
	assert_int_equal(proc_stat_parse("", &st), -EINVAL);
	assert_int_equal(proc_stat_parse("x (sh) S 1 1", &st), -EINVAL);
	assert_int_equal(proc_stat_parse("12 (sh S 1 1 1 0 -1 0 0 0 0 0 1 2", &st), -EINVAL);
	assert_int_equal(proc_stat_parse("12 (sh) S 1 1 1 0 -1 0 0 0 0 0 1", &st), -EINVAL);
	assert_int_equal(proc_stat_parse("12 (sh) 7 1 1 1 0 -1 0 0 0 0 0 1 2", &st), -EINVAL);
	assert_int_equal(proc_stat_read(getpid(), &st), 0);
	assert_int_equal(st.pid, getpid());
	assert_int_equal(st.ppid, getppid());
	assert_int_equal(st.state, 'R');
	/* a child of ours is among our descendants, and nobody else is */
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_true(child > 0);
	for (int tries = 0; tries < 100; tries++) {
		n = proc_descendants(getpid(), desc, 4);
		if (n == 1)
			break;
		usleep(10000);
	}
	assert_int_equal(n, 1);
	assert_int_equal(desc[0].pid, child);
	assert_int_equal(desc[0].ppid, getpid());
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(proc_descendants(getpid(), desc, 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_int_list),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_fmt_count),
		cmocka_unit_test(test_proc_maps),
		cmocka_unit_test(test_proc_maps_short_line),
		cmocka_unit_test(test_command_path),
		cmocka_unit_test(test_part_clock),
		cmocka_unit_test(test_proc_stat),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
