// SPDX-License-Identifier: GPL-2.0
/* The /run copy of kallsyms: written on a miss, read on a hit, and trusted
 * only inside the core kernel's text and the modules' ranges. */
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "symbol/kallsyms_cache.h"

static void test_miss_then_hit(void **state)
{
	char dir[] = "/tmp/kcache-XXXXXX";
	struct ksyms *a, *b;
	const struct ksym *s1, *s2;
	bool cached;
	uint64_t text;

	assert_non_null(mkdtemp(dir));
	a = kallsyms_cached(dir, "/proc/kallsyms", &cached);
	assert_non_null(a);
	if (!a->n) {
		ksyms_free(a);
		rmdir(dir);
		skip();	/* not root: addresses hidden, nothing is cached */
	}
	assert_false(cached);
	assert_false(a->from_cache);
	b = kallsyms_cached(dir, "/proc/kallsyms", &cached);
	assert_non_null(b);
	assert_true(cached);
	assert_true(b->from_cache);
	/* the same core-kernel answers from both */
	s1 = ksyms_lookup(a, a->syms[a->n / 4].addr);
	assert_non_null(s1);
	text = s1->addr;
	if (!s1->module) {
		assert_true(kallsyms_covers(b, text));
		s2 = ksyms_lookup(b, text);
		assert_non_null(s2);
		assert_string_equal(s1->name, s2->name);
	}
	/* nothing the cache does not know is answered from it */
	assert_false(kallsyms_covers(b, 0x1000));
	assert_false(kallsyms_covers(b, b->core_hi + (1ULL << 30)) && !b->nmods);
	assert_true(kallsyms_covers(a, 0x1000));	/* the real file answers all */
	ksyms_free(a);
	ksyms_free(b);
	/* a tampered file (writable by others) is not trusted */
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "chmod 666 %s/kallsyms-*", dir);
		assert_int_equal(system(cmd), 0);
		b = kallsyms_cached(dir, "/proc/kallsyms", &cached);
		assert_false(cached);
		ksyms_free(b);
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_miss_then_hit),
	};

	return cmocka_run_group_tests_name("kallsyms_cache", tests, NULL, NULL);
}
