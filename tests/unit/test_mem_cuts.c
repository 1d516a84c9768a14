// SPDX-License-Identifier: GPL-2.0
/*
 * What munmaps leave of an mmap'd region (profiler mem): mem_region_left;
 * and the file offsets mem's uprobes go to (elf_func_offsets, alloc_files).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>
#include "testutil.h"
#include "collectors/mem_lib.h"

#define P 4096ULL

static void test_region_left(void **state)
{
	/* pid 7's region at 0x100000, 16 pages, mapped at time 10 */
	struct mem_cut cuts[] = {
		{ 0x100000 + 4 * P, 4 * P, 20, 7 },	/* the middle */
		{ 0x100000 + 12 * P, 4 * P, 30, 7 },	/* the end */
		{ 0x100000 + 13 * P, 2 * P, 31, 7 },	/* again, inside the end: counted once */
		{ 0x100000, 16 * P, 5, 7 },		/* before it was mapped: another region's */
		{ 0x100000, 16 * P, 40, 8 },		/* another process */
		{ 0x0f0000, 0x10000 + P, 50, 9 },	/* pid 9: from below into its region */
	};
	size_t n = sizeof(cuts) / sizeof(cuts[0]);

	mem_cuts_sort(cuts, n);
	assert_true(mem_region_left(0x100000, 16 * P, 7, 10, cuts, n) == 8 * P);
	/* mapped after the middle cut: only the end cuts apply */
	assert_true(mem_region_left(0x100000, 16 * P, 7, 25, cuts, n) == 12 * P);
	/* pid 8: all of it */
	assert_true(mem_region_left(0x100000, 16 * P, 8, 10, cuts, n) == 0);
	/* pid 9: its first page */
	assert_true(mem_region_left(0x100000, 2 * P, 9, 10, cuts, n) == P);
	/* no cuts at all, and a size that is no page multiple */
	assert_true(mem_region_left(0x100000, 10000, 11, 10, cuts, n) == 10000);
	assert_true(mem_region_left(0x100000, 10000, 11, 10, NULL, 0) == 10000);
}

/*
 * A uprobe at the offset found must be on the function's first
 * instruction: the file's bytes there are the bytes the function runs
 * (libc's own, not the sanitizer's interceptors: dlsym on libc's handle).
 */
static void test_func_offsets(void **state)
{
	const char *names[] = { "qsort", "no_such_function_here", "bsearch" };
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	unsigned char in_file[16];
	uint64_t offs[3] = { 0 }, again[3] = { 0 };
	struct alloc_files *a;
	Dl_info info;
	void *fn;
	int fd;

	assert_non_null(libc);
	for (int i = 0; i < 3; i += 2) {
		fn = dlsym(libc, names[i]);
		assert_non_null(fn);
		assert_true(dladdr(fn, &info));
		assert_int_equal(elf_func_offsets(info.dli_fname, names, 3, offs), 0x5);
		fd = open(info.dli_fname, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(pread(fd, in_file, sizeof(in_file), offs[i]), sizeof(in_file));
		close(fd);
		assert_memory_equal(in_file, fn, sizeof(in_file));
	}
	/* the cache gives the same, read once for the file */
	a = alloc_files_new(names, 3);
	assert_int_equal(alloc_files_find(a, info.dli_fname, again), 0x5);
	assert_memory_equal(again, offs, sizeof(offs[0]));
	assert_true(again[2] == offs[2]);
	assert_int_equal(alloc_files_find(a, info.dli_fname, NULL), 0x5);
	/* not an ELF file, or no file: nothing */
	assert_int_equal(alloc_files_find(a, "/proc/self/status", again), 0);
	assert_int_equal(alloc_files_find(a, "/nonexistent/lib.so", again), 0);
	alloc_files_free(a);
	dlclose(libc);
}

/* In a non-PIE binary a function's address is not its file offset: its
 * text is at 0x401000 and at file offset 0x1000 (the fixture's layout) */
static void test_func_offsets_nopie(void **state)
{
	const char *names[] = { "fixture_alpha", "fixture_beta" };
	uint64_t offs[2] = { 0 };
	char path[4096];

	snprintf(path, sizeof(path), "%s/fixtures/sym-nopie", build_dir());
	assert_int_equal(elf_func_offsets(path, names, 2, offs), 0x3);
	for (int i = 0; i < 2; i++) {
		printf("%s at file offset %#llx\n", names[i], (unsigned long long)offs[i]);
		assert_true(offs[i] >= 0x1000 && offs[i] < 0x2000);
	}
	assert_true(offs[0] != offs[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_region_left),
		cmocka_unit_test(test_func_offsets),
		cmocka_unit_test(test_func_offsets_nopie),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
