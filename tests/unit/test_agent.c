// SPDX-License-Identifier: GPL-2.0
/* The agent's pure parts: --keep limits and pruning, files' pages dropped. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "agent/agent.h"
#include "agent/files.h"

static char dir[] = "/tmp/test_agent_XXXXXX";

static void put(const char *name, size_t size)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < size; i++)
		fputc('x', f);
	fclose(f);
}

static bool exists(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void test_keep_parse(void **state)
{
	struct keep k = {};

	assert_int_equal(keep_parse(&k, "100"), 0);
	assert_int_equal(k.count, 100);
	assert_int_equal(keep_parse(&k, "30m,2G"), 0);
	assert_int_equal(k.age_s, 1800);
	assert_int_equal(k.bytes, 2ULL << 30);
	assert_int_equal(keep_parse(&k, "7d"), 0);
	assert_int_equal(k.age_s, 7 * 86400);
}

static void test_keep_parse_refuses(void **state)
{
	static const char *const bad[] = { "0", "-1", "5x", ",1h", "M", "1h,,2" };
	struct keep k = {};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(keep_parse(&k, bad[i]), -EINVAL);
}

/* 2026-12-02 00:00:00 UTC, and files a minute apart before it */
#define NOW 1796169600ULL

static void test_prune_count_age_size(void **state)
{
	struct keep k = { .count = 2 };

	put("cpu-20261201T235700.000Z.pb.gz", 10);
	put("cpu-20261201T235800.000Z.pb.gz", 10);
	put("cpu-20261201T235900.000Z.pb.gz", 10);
	put("offcpu-20261201T235700.000Z.pb.gz", 10);
	put("notes.txt", 10);
	put("cpu-latest.pb.gz", 10);
	/* a count per type: offcpu's one file stays */
	dir_prune(dir, &k, NOW);
	assert_false(exists("cpu-20261201T235700.000Z.pb.gz"));
	assert_true(exists("cpu-20261201T235800.000Z.pb.gz"));
	assert_true(exists("cpu-20261201T235900.000Z.pb.gz"));
	assert_true(exists("offcpu-20261201T235700.000Z.pb.gz"));
	/* by age: older than 90 s before NOW goes */
	k = (struct keep){ .age_s = 90 };
	dir_prune(dir, &k, NOW);
	assert_false(exists("cpu-20261201T235800.000Z.pb.gz"));
	assert_false(exists("offcpu-20261201T235700.000Z.pb.gz"));
	assert_true(exists("cpu-20261201T235900.000Z.pb.gz"));
	/* by size: the newest that fit */
	put("cpu-20261202T000000.000Z.pb.gz", 10);
	k = (struct keep){ .bytes = 15 };
	dir_prune(dir, &k, NOW);
	assert_true(exists("cpu-20261202T000000.000Z.pb.gz"));
	assert_false(exists("cpu-20261201T235900.000Z.pb.gz"));
	/* never a file of another name */
	assert_true(exists("notes.txt"));
	assert_true(exists("cpu-latest.pb.gz"));
}

static void test_dir_write_names_by_time(void **state)
{
	assert_int_equal(dir_write(dir, "lock", NOW * 1000000000ULL + 123456789ULL, "abc", 3), 0);
	assert_true(exists("lock-20261202T000000.123Z.pb.gz"));
}

/* RssFile + RssShmem of /proc/self/status (a tmpfs /tmp's files are shmem), in KiB. */
static long rss_file_kib(void)
{
	char line[256];
	long kib = 0, v;
	FILE *f = fopen("/proc/self/status", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "RssFile: %ld", &v) == 1 || sscanf(line, "RssShmem: %ld", &v) == 1)
			kib += v;
	fclose(f);
	return kib;
}

/*
 * A read-only file mapping's pages leave RSS and read back the same; a
 * private writable mapping keeps the page written into it.
 */
static void test_drop_file_pages(void **state)
{
	const size_t size = 8 << 20, page = (size_t)sysconf(_SC_PAGESIZE);
	char path[256];
	unsigned char *ro, *rw;
	uint64_t sum = 0, again = 0;
	long before, touched, after;
	int fd;

	snprintf(path, sizeof(path), "%s/data", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	for (size_t i = 0; i < size / page; i++) {
		unsigned char buf[4096];

		memset(buf, (int)(i * 7 + 1), sizeof(buf));
		assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	}
	ro = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	rw = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	assert_true(ro != MAP_FAILED && rw != MAP_FAILED);
	rw[0] = 0xAB;
	before = rss_file_kib();
	for (size_t i = 0; i < size; i += page)
		sum += ro[i] + ro[i + page - 1];
	touched = rss_file_kib();
	assert_true(touched - before >= 7 << 10);	/* 8 MiB touched */
	assert_true(agent_drop_file_pages() >= size);
	after = rss_file_kib();
	assert_true(touched - after >= 7 << 10);
	for (size_t i = 0; i < size; i += page)
		again += ro[i] + ro[i + page - 1];
	assert_int_equal(again, sum);
	assert_int_equal(rw[0], 0xAB);
	munmap(ro, size);
	munmap(rw, page);
	close(fd);
}

/*
 * A file we also run (here our own executable), mapped whole read-only
 * as libelf maps it to read symbols: its pages leave RSS too, while the
 * loader's mappings of it, relocated pages included, stay.
 */
static void test_drop_own_file_pages(void **state)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int fd = open("/proc/self/exe", O_RDONLY);
	uint64_t sum = 0, again = 0;
	long touched, after;
	unsigned char *ro;
	struct stat st;
	size_t size;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	size = (size_t)st.st_size & ~(page - 1);
	assert_true(size >= 2 << 20);
	ro = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(ro != MAP_FAILED);
	for (size_t i = 0; i < size; i += page)
		sum += ro[i];
	touched = rss_file_kib();
	assert_true(agent_drop_file_pages() >= size);
	after = rss_file_kib();
	assert_true(touched - after >= (long)(size >> 10) - 512);
	for (size_t i = 0; i < size; i += page)
		again += ro[i];
	assert_int_equal(again, sum);
	/* our relocated read-only pages were kept: a call through the PLT works */
	assert_int_equal(strcmp("a", "a"), 0);
	munmap(ro, size);
	close(fd);
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keep_parse),
		cmocka_unit_test(test_keep_parse_refuses),
		cmocka_unit_test(test_prune_count_age_size),
		cmocka_unit_test(test_dir_write_names_by_time),
		cmocka_unit_test(test_drop_file_pages),
		cmocka_unit_test(test_drop_own_file_pages),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
