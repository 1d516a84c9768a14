// SPDX-License-Identifier: GPL-2.0
/* Naming lock addresses (kernel data symbols, user globals) and the
 * report's group table with a max-combined sample type. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "model/profile.h"
#include "output/output.h"
#include "symbol/elf_objects.h"
#include "symbol/kallsyms_data.h"

int test_data_obj[4] = { 1, 2, 3, 4 };
int test_bss_obj[1024];

static void test_kallsyms_data(void **state)
{
	char *text = strdup("ffffffff81000000 T some_func\n"
			    "ffffffff82000000 d rtnl_mutex\n"
			    "ffffffff82000100 D cgroup_mutex\n"
			    "0000000000000000 d hidden\n"
			    "ffffffffa0001000 b mod_lock\t[ext4]\n"
			    "ffffffffa0002000 b last_one\t[ext4]\n");
	struct ksyms_data *kd = ksyms_data_parse(text);
	char buf[128];

	assert_int_equal(kd->n, 4);
	assert_string_equal(ksyms_data_name(kd, 0xffffffff82000000ULL, 4096, buf, sizeof(buf)),
			    "rtnl_mutex");
	assert_string_equal(ksyms_data_name(kd, 0xffffffff82000108ULL, 4096, buf, sizeof(buf)),
			    "cgroup_mutex+0x8");
	assert_string_equal(ksyms_data_name(kd, 0xffffffffa0001000ULL, 4096, buf, sizeof(buf)),
			    "mod_lock");
	/* a text address, a slab address, past the last symbol, too far: not named */
	assert_null(ksyms_data_name(kd, 0xffffffff81000000ULL, 4096, buf, sizeof(buf)));
	assert_null(ksyms_data_name(kd, 0xffff888100000000ULL, 4096, buf, sizeof(buf)));
	assert_null(ksyms_data_name(kd, 0xffffffffa0002000ULL, 4096, buf, sizeof(buf)));
	assert_null(ksyms_data_name(kd, 0xffffffff82002000ULL, 4096, buf, sizeof(buf)));
	ksyms_data_free(kd);
}

static void test_user_globals(void **state)
{
	struct data_namer *dn = data_namer_new();
	char *s;
	int *heap = malloc(64);

	s = data_namer_user(dn, getpid(), (uintptr_t)&test_data_obj[0]);
	assert_string_equal(s, "test_data_obj");
	free(s);
	s = data_namer_user(dn, getpid(), (uintptr_t)&test_data_obj[2]);
	assert_string_equal(s, "test_data_obj+0x8");
	free(s);
	/* .bss, possibly past the file's pages in an anonymous mapping */
	s = data_namer_user(dn, getpid(), (uintptr_t)&test_bss_obj[1000]);
	assert_string_equal(s, "test_bss_obj+0xfa0");
	free(s);
	s = data_namer_user(dn, getpid(), (uintptr_t)heap);
	assert_non_null(s);
	assert_null(strstr(s, "test_"));
	free(s);
	assert_null(data_namer_user(dn, getpid(), 8));	/* nothing mapped there */
	free(heap);
	data_namer_free(dn);
}

static void test_group_table(void **state)
{
	struct profile *p = profile_new();
	uint32_t f1, f2, big, quiet, ids[2];
	char *out = NULL;
	size_t len = 0;
	FILE *m;
	int maxt;

	profile_add_type(p, "contentions", "count");
	profile_add_type(p, "delay", "nanoseconds");
	maxt = profile_add_type(p, "max_delay", "nanoseconds");
	p->combine[maxt] = COMBINE_MAX;
	f1 = profile_location(p, FRAME_USER, 1, 0x10, false);
	f2 = profile_location(p, FRAME_USER, 1, 0x20, false);
	p->locs[f1].name = profile_intern(p, "take_a");
	p->locs[f2].name = profile_intern(p, "take_b");
	p->locs[f1].module = p->locs[f2].module = profile_intern(p, "/bin/app");
	big = profile_group_frame(p, "lock", "lock:big (mutex)");
	quiet = profile_group_frame(p, "lock", "lock:quiet (mutex)");
	assert_int_equal(big, profile_group_frame(p, "lock", "lock:big (mutex)"));
	ids[1] = big;
	ids[0] = f1;
	profile_add_sample(p, ids, 2, 1, 0, "app", (int64_t[]){ 3, 3000, 2000 });
	ids[0] = f2;
	profile_add_sample(p, ids, 2, 1, 0, "app", (int64_t[]){ 1, 5000, 5000 });
	ids[1] = quiet;
	profile_add_sample(p, ids, 2, 1, 0, "app", (int64_t[]){ 1, 10, 10 });

	m = open_memstream(&out, &len);
	assert_int_equal(write_report(p, &(struct write_opts){ .type = 1, .top = 10 }, m), 0);
	fclose(m);
	/* big first: 4 waits, 8 us in all, the longest 5 us, 2 us on average */
	assert_non_null(strstr(out, "Top by lock, by delay:"));
	assert_non_null(strstr(out, "4       8.0 us       5.0 us       2.0 us  lock:big (mutex)"));
	assert_true(strstr(out, "lock:big (mutex)") < strstr(out, "lock:quiet (mutex)"));
	/* group frames are not functions */
	assert_null(strstr(out, "lock:big (mutex)  [lock]\n        0 ns"));
	free(out);

	/* folded: the max type merges lines by max, not by sum */
	out = NULL;
	m = open_memstream(&out, &len);
	p->locs[f2].name = p->locs[f1].name;
	assert_int_equal(write_folded(p, &(struct write_opts){ .type = maxt, .top = 10 }, m), 0);
	fclose(m);
	assert_non_null(strstr(out, "app;lock:big (mutex);take_a 5000\n"));
	free(out);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kallsyms_data),
		cmocka_unit_test(test_user_globals),
		cmocka_unit_test(test_group_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
