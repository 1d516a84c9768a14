// SPDX-License-Identifier: GPL-2.0
/* The /run copy of kallsyms: a binary file written on a miss and mapped on
 * a hit, refused unless root-owned, made for this key and valid throughout,
 * and trusted only inside the core kernel's text and the modules' ranges. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "symbol/kallsyms_cache.h"
#include "symbol/kallsyms_file.h"
#include "util/util.h"

static const char sample[] =
	"ffffffff81000000 T _stext\n"
	"ffffffff81000000 T startup_64\n"
	"ffffffff81001000 t do_one_initcall\n"
	"ffffffff81002000 D some_data\n"
	"ffffffff81003000 T vfs_read\n"
	"ffffffff81004000 T _etext\n"
	"ffffffffa0000000 t bpf_prog_1234_x\t[bpf]\n"
	"ffffffffc0001000 t ext4_read_folio\t[ext4]\n"
	"ffffffffc0002000 T ext4_file_read_iter\t[ext4]\n"
	"ffffffffc0100000 t xfs_gone\t[xfs]\n";

static const struct ksyms_module mods[] = {
	{ "ext4", { 0xffffffffc0000000, 0xffffffffc0010000 } },
};

static const struct ksyms_file_key key = { "boot-1", 0x1234 };

struct fixture {
	char dir[32];
	char path[64];
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct ksyms *ks = ksyms_parse(xstrdup(sample));
	int err;

	snprintf(f->dir, sizeof(f->dir), "/tmp/kfile-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/kallsyms-test", f->dir);
	err = ksyms_file_write(f->path, ks, &key, mods, 1);
	ksyms_free(ks);
	*state = f;
	return err;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	free(f);
	return system(cmd);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct ksyms *ks = ksyms_file_map(f->path, &key);
	struct ksym s;
	struct stat st;

	assert_non_null(ks);
	assert_true(ks->from_cache);
	/* _stext and startup_64 share an address: one kept; D, [bpf] and the
	 * unloaded [xfs] are not */
	assert_int_equal(ks->n, 6);
	assert_true(ksyms_lookup(ks, 0xffffffff81003010, &s));
	assert_string_equal(s.name, "vfs_read");
	assert_null(s.module);
	assert_true(ksyms_lookup(ks, 0xffffffff81000000, &s));
	assert_string_equal(s.name, "_stext");
	assert_true(ksyms_lookup(ks, 0xffffffffc0002004, &s));
	assert_string_equal(s.name, "ext4_file_read_iter");
	assert_string_equal(s.module, "ext4");
	assert_false(ksyms_lookup(ks, 0xffffffff80000000, &s));
	/* it answers for the core text and ext4, and sends the rest elsewhere */
	assert_int_equal(ks->core_lo, 0xffffffff81000000);
	assert_int_equal(ks->core_hi, 0xffffffff81004000);
	assert_true(kallsyms_covers(ks, 0xffffffff81001234));
	assert_true(kallsyms_covers(ks, 0xffffffffc0001234));
	assert_false(kallsyms_covers(ks, 0xffffffffa0000010));
	assert_false(kallsyms_covers(ks, 0xffffffffc0100000));
	ksyms_free(ks);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_wrong_key_refused(void **state)
{
	struct fixture *f = *state;
	struct ksyms_file_key other = key;

	other.modules++;
	assert_null(ksyms_file_map(f->path, &other));
	other = key;
	other.boot_id[0] = 'B';
	assert_null(ksyms_file_map(f->path, &other));
}

static void test_no_etext_not_written(void **state)
{
	struct fixture *f = *state;
	struct ksyms *ks = ksyms_parse(xstrdup("ffffffff81000000 T _stext\n"));
	char path[96];

	snprintf(path, sizeof(path), "%s/noetext", f->dir);
	assert_int_equal(ksyms_file_write(path, ks, &key, NULL, 0), -EINVAL);
	assert_int_not_equal(access(path, F_OK), 0);
	ksyms_free(ks);
}

static size_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (size_t)st.st_size;
}

/* Overwrite len bytes at off; then the file must be refused. */
static void corrupt(const char *path, off_t off, const void *bytes, size_t len)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, len, off), (ssize_t)len);
	close(fd);
}

static void test_truncated_refused(void **state)
{
	struct fixture *f = *state;
	size_t size = file_size(f->path);

	/* cut anywhere: in the strings, the entries, the header */
	assert_int_equal(truncate(f->path, (off_t)size - 1), 0);
	assert_null(ksyms_file_map(f->path, &key));
	assert_int_equal(truncate(f->path, sizeof(struct ksyms_file_hdr) + 8), 0);
	assert_null(ksyms_file_map(f->path, &key));
	assert_int_equal(truncate(f->path, 4), 0);
	assert_null(ksyms_file_map(f->path, &key));
	assert_int_equal(truncate(f->path, 0), 0);
	assert_null(ksyms_file_map(f->path, &key));
}

static void test_grown_refused(void **state)
{
	struct fixture *f = *state;
	int fd = open(f->path, O_WRONLY | O_APPEND);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_null(ksyms_file_map(f->path, &key));
}

static void test_bad_header_refused(void **state)
{
	struct fixture *f = *state;
	uint32_t version = KSYMS_FILE_VERSION + 1;
	uint64_t huge = UINT64_MAX / 8;
	struct ksyms *ks;

	corrupt(f->path, offsetof(struct ksyms_file_hdr, version), &version, sizeof(version));
	assert_null(ksyms_file_map(f->path, &key));
	version = KSYMS_FILE_VERSION;
	corrupt(f->path, offsetof(struct ksyms_file_hdr, version), &version, sizeof(version));
	ksyms_free(ks = ksyms_file_map(f->path, &key));
	assert_non_null(ks);
	/* counts that would overflow the size computation */
	corrupt(f->path, offsetof(struct ksyms_file_hdr, nsyms), &huge, sizeof(huge));
	assert_null(ksyms_file_map(f->path, &key));
}

static void test_bad_magic_refused(void **state)
{
	struct fixture *f = *state;

	/* the text format of the previous version, for one */
	corrupt(f->path, 0, "ffffffff", 8);
	assert_null(ksyms_file_map(f->path, &key));
}

static void test_bad_entries_refused(void **state)
{
	struct fixture *f = *state;
	off_t first = sizeof(struct ksyms_file_hdr);
	struct ksym_entry e;
	int fd = open(f->path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &e, sizeof(e), first), sizeof(e));
	close(fd);

	/* a name past the strings */
	{
		struct ksym_entry bad = e;

		bad.name = 1u << 30;
		corrupt(f->path, first, &bad, sizeof(bad));
		assert_null(ksyms_file_map(f->path, &key));
	}
	/* a module past the strings */
	{
		struct ksym_entry bad = e;

		bad.module = 1u << 30;
		corrupt(f->path, first, &bad, sizeof(bad));
		assert_null(ksyms_file_map(f->path, &key));
	}
	/* out of order: binary search would answer wrong */
	{
		struct ksym_entry bad = e;

		bad.addr = UINT64_MAX;
		corrupt(f->path, first, &bad, sizeof(bad));
		assert_null(ksyms_file_map(f->path, &key));
	}
	corrupt(f->path, first, &e, sizeof(e));
	{
		struct ksyms *ks = ksyms_file_map(f->path, &key);

		assert_non_null(ks);
		ksyms_free(ks);
	}
	/* strings not terminated */
	corrupt(f->path, (off_t)file_size(f->path) - 1, "x", 1);
	assert_null(ksyms_file_map(f->path, &key));
}

static void test_owner_and_mode(void **state)
{
	struct fixture *f = *state;
	struct ksyms *ks;
	char link[96];

	if (geteuid() != 0)
		skip();	/* only root makes root-owned files */
	/* writable by the group or by anyone: refused */
	assert_int_equal(chmod(f->path, 0620), 0);
	assert_null(ksyms_file_map(f->path, &key));
	assert_int_equal(chmod(f->path, 0602), 0);
	assert_null(ksyms_file_map(f->path, &key));
	assert_int_equal(chmod(f->path, 0644), 0);
	ks = ksyms_file_map(f->path, &key);
	assert_non_null(ks);
	ksyms_free(ks);
	/* owned by someone else: refused */
	assert_int_equal(chown(f->path, 65534, 65534), 0);
	assert_null(ksyms_file_map(f->path, &key));
	assert_int_equal(chown(f->path, 0, 0), 0);
	/* a symbolic link is not followed */
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	assert_null(ksyms_file_map(link, &key));
}

/* The real thing: a miss reads /proc/kallsyms and writes the file, a hit maps it. */
static void test_miss_then_hit(void **state)
{
	char dir[] = "/tmp/kcache-XXXXXX";
	struct ksyms *a, *b;
	struct ksym s1, s2;
	bool cached;
	char cmd[256];

	assert_non_null(mkdtemp(dir));
	b = kallsyms_cached(dir, "/proc/kallsyms", &cached);
	assert_non_null(b);
	if (!b->n) {
		ksyms_free(b);
		rmdir(dir);
		skip();	/* not root: addresses hidden, nothing is cached */
	}
	assert_false(cached);
	/* a miss hands back the file it wrote, mapped: no parse kept on the heap */
	assert_true(b->from_cache);
	assert_null(b->own_syms);
	assert_null(b->own_strs);
	assert_non_null(b->map);
	ksyms_free(b);
	a = ksyms_load("/proc/kallsyms");
	assert_non_null(a);
	b = kallsyms_cached(dir, "/proc/kallsyms", &cached);
	assert_non_null(b);
	assert_true(cached);
	assert_true(b->from_cache);
	/* the same answers from both, for every core kernel symbol */
	for (size_t i = 0; i < a->n; i++) {
		ksyms_get(a, i, &s1);
		if (s1.module || !kallsyms_covers(b, s1.addr))
			continue;
		assert_true(ksyms_lookup(b, s1.addr, &s2));
		assert_int_equal(s1.addr, s2.addr);
		assert_string_equal(s1.name, s2.name);
	}
	/* nothing the cache does not know is answered from it */
	assert_false(kallsyms_covers(b, 0x1000));
	assert_true(kallsyms_covers(a, 0x1000));	/* the real file answers all */
	ksyms_free(a);
	ksyms_free(b);
	/* a corrupt file is rebuilt */
	snprintf(cmd, sizeof(cmd), "for f in %s/ksyms.v1-*; do printf garbage > $f; done", dir);
	assert_int_equal(system(cmd), 0);
	b = kallsyms_cached(dir, "/proc/kallsyms", &cached);
	assert_false(cached);
	ksyms_free(b);
	b = kallsyms_cached(dir, "/proc/kallsyms", &cached);
	assert_true(cached);
	ksyms_free(b);
	/* a tampered file (writable by others) is not trusted */
	snprintf(cmd, sizeof(cmd), "chmod 666 %s/ksyms.v1-*", dir);
	assert_int_equal(system(cmd), 0);
	b = kallsyms_cached(dir, "/proc/kallsyms", &cached);
	assert_false(cached);
	ksyms_free(b);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * The cache plus the lines it left out, read from the file: every address
 * named as by the whole file parsed (the [bpf] program, the unloaded
 * [xfs], the core and ext4 as before), and every address now answered for.
 */
static void test_uncovered_like_whole(void **state)
{
	struct fixture *f = *state;
	struct ksyms *ks = ksyms_file_map(f->path, &key), *whole = ksyms_parse(xstrdup(sample));
	const uint64_t addrs[] = { 0xffffffff80000000, 0xffffffff81000000, 0xffffffff81001010,
				   0xffffffff81003010, 0xffffffff81004000, 0xffffffff9fffffff,
				   0xffffffffa0000000, 0xffffffffa0000010, 0xffffffffc0000000,
				   0xffffffffc0001004, 0xffffffffc0002004, 0xffffffffc0100000,
				   0xffffffffc0100040, 0xffffffffffffff00 };
	char text[64];
	int fd;

	snprintf(text, sizeof(text), "%s/kallsyms-text", f->dir);
	fd = open(text, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, sample, strlen(sample)), (ssize_t)strlen(sample));
	close(fd);
	assert_non_null(ks);
	assert_false(kallsyms_covers(ks, 0xffffffffa0000010));
	assert_int_equal(kallsyms_add_uncovered(ks, text), 0);
	/* only the two lines the cache left out were parsed */
	assert_non_null(ks->extra);
	assert_int_equal(ks->extra->n, 2);
	for (size_t i = 0; i < sizeof(addrs) / sizeof(*addrs); i++) {
		struct ksym a, b;
		bool fa = ksyms_lookup(ks, addrs[i], &a), fb = ksyms_lookup(whole, addrs[i], &b);

		assert_true(kallsyms_covers(ks, addrs[i]));
		assert_int_equal(fa, fb);
		if (!fa)
			continue;
		assert_int_equal(a.addr, b.addr);
		assert_string_equal(a.name, b.name);
		assert_int_equal(!a.module, !b.module);
		if (a.module)
			assert_string_equal(a.module, b.module);
	}
	assert_int_equal(kallsyms_add_uncovered(ks, "/nonexistent/kallsyms"), -ENOENT);
	/* the mapped table's pages given back: the same answers after */
	ksyms_drop_pages(ks);
	ksyms_drop_pages(whole);	/* parsed: nothing to give back */
	for (size_t i = 0; i < sizeof(addrs) / sizeof(*addrs); i++) {
		struct ksym a, b;

		assert_int_equal(ksyms_lookup(ks, addrs[i], &a), ksyms_lookup(whole, addrs[i], &b));
		if (a.addr == b.addr && a.name)
			assert_string_equal(a.name, b.name);
	}
	ksyms_free(whole);
	ksyms_free(ks);
}

/*
 * A file many times the 64 KiB it is read by: every line the cache left
 * out is kept whatever read it was split across (names of changing
 * lengths move the line ends over the reads' edges), the covered ones
 * are not, and the last line counts without its newline.
 */
static void test_uncovered_streamed(void **state)
{
	struct fixture *f = *state;
	struct ksyms *ks = ksyms_file_map(f->path, &key), *whole;
	size_t len = 0, cap = 0, nbpf = 0;
	char *big = NULL, text[64], line[160];
	int fd;

	assert_non_null(ks);
	for (int i = 0; i < 20000; i++) {
		int n;

		if (i % 7 == 3 || i == 19999)	/* a BPF program: outside every range */
			n = snprintf(line, sizeof(line), "%016llx t bpf_prog_%0*d_f\t[bpf]%s",
				     0xffffffffa0000000ULL + (uint64_t)i * 16, 1 + i % 61, i,
				     i == 19999 ? "" : "\n");
		else if (i % 2)	/* ext4's range: the cache's */
			n = snprintf(line, sizeof(line), "%016llx t ext4_f%d\t[ext4]\n",
				     0xffffffffc0000000ULL + (uint64_t)i * 2, i);
		else		/* the core kernel: no tab */
			n = snprintf(line, sizeof(line), "%016llx T core_%d\n",
				     0xffffffff81000000ULL + (uint64_t)i, i);
		nbpf += i % 7 == 3 || i == 19999;
		GROW(big, cap, len + (size_t)n + 1);
		memcpy(big + len, line, (size_t)n + 1);
		len += (size_t)n;
	}
	assert_true(len > 10 * 65536);
	snprintf(text, sizeof(text), "%s/kallsyms-big", f->dir);
	fd = open(text, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, big, len), (ssize_t)len);
	close(fd);
	assert_int_equal(kallsyms_add_uncovered(ks, text), 0);
	assert_int_equal(ks->extra->n, nbpf);
	whole = ksyms_parse(big);
	for (int i = 3; i < 20000; i += 7) {
		uint64_t addr = 0xffffffffa0000000ULL + (uint64_t)i * 16 + 5;
		struct ksym a, b;

		assert_true(ksyms_lookup(ks, addr, &a));
		assert_true(ksyms_lookup(whole, addr, &b));
		assert_int_equal(a.addr, b.addr);
		assert_string_equal(a.name, b.name);
		assert_string_equal(a.module, "bpf");
	}
	/* the last line, without its newline */
	snprintf(line, sizeof(line), "bpf_prog_%0*d_f", 1 + 19999 % 61, 19999);
	assert_string_equal(ks->extra->strs + ks->extra->syms[ks->extra->n - 1].name, line);
	ksyms_free(whole);
	ksyms_free(ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_etext_not_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grown_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_header_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_magic_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_entries_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_and_mode, setup, teardown),
		cmocka_unit_test(test_miss_then_hit),
		cmocka_unit_test_setup_teardown(test_uncovered_like_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uncovered_streamed, setup, teardown),
	};

	return cmocka_run_group_tests_name("kallsyms_cache", tests, NULL, NULL);
}
