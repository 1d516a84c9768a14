// SPDX-License-Identifier: GPL-2.0
/* .eh_frame lookups that decide whether a return-address candidate is kept. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "testutil.h"
#include "model/profile.h"
#include "symbol/cfi.h"

static uint64_t nm_addr(const char *file, const char *name)
{
	char cmd[512], line[512];
	unsigned long long a = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm --defined-only %s", file);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long long v;
		char type, sym[256];

		if (sscanf(line, "%llx %c %255s", &v, &type, sym) == 3 && !strcmp(sym, name))
			a = v;
	}
	pclose(p);
	return a;
}

static void test_entry_and_leaf(void **state)
{
	char path[512];
	struct cfi *c;
	uint64_t alpha, beta;
	int fd;

	snprintf(path, sizeof(path), "%s/fixtures/sym-pie", build_dir());
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	c = cfi_open(fd);
	close(fd);
	assert_non_null(c);
	alpha = nm_addr(path, "fixture_alpha");
	beta = nm_addr(path, "fixture_beta");
	/* at any function's first instruction the return address is at [sp] */
	assert_int_equal(cfi_sp_offset(c, alpha), 8);
	assert_int_equal(cfi_sp_offset(c, beta), 8);
	/* fixture_alpha is a leaf built without a frame: [sp] all the way */
	assert_int_equal(cfi_sp_offset(c, alpha + 4), 8);
	/* no CFI outside any function */
	assert_int_equal(cfi_sp_offset(c, 0x10), 0);
	cfi_close(c);
}

/* Code without symbols: the function its FDE gives, and _start at the entry */
static void test_function_start(void **state)
{
	char path[512], cmd[600], line[128];
	unsigned long long entry = 0;
	uint64_t alpha, start = 0;
	bool is_entry = true;
	struct cfi *c;
	FILE *p;
	int fd;

	snprintf(path, sizeof(path), "%s/fixtures/sym-pie", build_dir());
	alpha = nm_addr(path, "fixture_alpha");
	snprintf(cmd, sizeof(cmd), "readelf -h %s | sed -n 's/.*Entry point address: *//p'", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	entry = strtoull(line, NULL, 16);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	c = cfi_open(fd);
	close(fd);
	assert_non_null(c);
	/* every address of a function gives its first one */
	assert_int_equal(cfi_function_start(c, alpha + 4, &start, &is_entry), 0);
	assert_int_equal(start, alpha);
	assert_false(is_entry);
	assert_int_equal(cfi_function_start(c, alpha, &start, &is_entry), 0);
	assert_int_equal(start, alpha);
	/* the entry point is _start's FDE */
	assert_int_equal(cfi_function_start(c, entry + 1, &start, &is_entry), 0);
	assert_int_equal(start, entry);
	assert_true(is_entry);
	/* no FDE there: nobody's */
	assert_int_equal(cfi_function_start(c, 0x10, &start, &is_entry), -ENOENT);
	assert_int_equal(cfi_function_start(NULL, alpha, &start, &is_entry), -ENOENT);
	cfi_close(c);
}

static void test_candidates_kept_or_dropped(void **state)
{
	struct profile *p = profile_new();
	uint32_t leaf, leaf2, leaf_framed, cand, cand2, root, ids[3], ids4[4];

	profile_add_type(p, "samples", "count");
	leaf = profile_location(p, FRAME_USER, 1, 0x100, false);
	leaf_framed = profile_location(p, FRAME_USER, 1, 0x180, false);
	leaf2 = profile_location(p, FRAME_USER, 1, 0x140, false);
	cand = profile_location_slot(p, FRAME_USER, 1, 0x200, true, 1);
	root = profile_location(p, FRAME_USER, 1, 0x300, true);
	assert_int_not_equal(cand, profile_location(p, FRAME_USER, 1, 0x200, true));
	p->locs[leaf].cfa_sp = 8;	/* frameless: return address at [sp] */
	p->locs[leaf_framed].cfa_sp = 0;	/* CFA kept from the frame pointer */
	ids[0] = leaf, ids[1] = cand, ids[2] = root;
	profile_add_sample(p, ids, 3, 1, 0, "x", (int64_t[]){ 1 });
	ids[0] = leaf_framed;
	profile_add_sample(p, ids, 3, 1, 0, "x", (int64_t[]){ 1 });
	/* several candidates: only the word the CFI names stays */
	cand2 = profile_location_slot(p, FRAME_USER, 1, 0x280, true, 2);
	p->locs[leaf2].cfa_sp = 16;	/* one push: return address at [sp + 8] */
	ids4[0] = leaf2, ids4[1] = cand, ids4[2] = cand2, ids4[3] = root;
	profile_add_sample(p, ids4, 4, 1, 0, "x", (int64_t[]){ 1 });
	ids4[0] = leaf;
	profile_add_sample(p, ids4, 4, 1, 0, "x", (int64_t[]){ 1 });
	profile_check_leaf_candidates(p);
	assert_int_equal(p->samples[2].nframes, 3);
	assert_int_equal(profile_sample_frames(p, 2)[1], cand2);
	assert_int_equal(profile_sample_frames(p, 2)[2], root);
	assert_int_equal(p->samples[3].nframes, 3);
	assert_int_equal(profile_sample_frames(p, 3)[1], cand);
	assert_int_equal(profile_sample_frames(p, 3)[2], root);
	assert_int_equal(p->samples[0].nframes, 3);
	assert_int_equal(profile_sample_frames(p, 0)[1], cand);
	assert_int_equal(p->samples[1].nframes, 2);
	assert_int_equal(profile_sample_frames(p, 1)[1], root);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_and_leaf),
		cmocka_unit_test(test_function_start),
		cmocka_unit_test(test_candidates_kept_or_dropped),
	};

	return cmocka_run_group_tests_name("cfi", tests, NULL, NULL);
}
