// SPDX-License-Identifier: GPL-2.0
#include "testutil.h"
#include "symbol/demangle.h"

static void expect(const char *mangled, const char *want)
{
	char *got = demangle(mangled);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_cpp(void **state)
{
	expect("_ZN3foo3barEi", "foo::bar(int)");
	expect("_ZNSt6vectorIiSaIiEE9push_backERKi",
	       "std::vector<int, std::allocator<int> >::push_back(int const&)");
	expect("_ZN9namespace5ClassC2Ev", "namespace::Class::Class()");
}

static void test_rust(void **state)
{
	/* legacy mangling: the hash is dropped */
	expect("_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write");
	/* v0 mangling */
	expect("_RNvCs1234_7mycrate3foo", "mycrate::foo");
}

static void test_plain_names_untouched(void **state)
{
	assert_null(demangle("main"));
	assert_null(demangle("__libc_start_main"));
	assert_null(demangle("_start"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpp),
		cmocka_unit_test(test_rust),
		cmocka_unit_test(test_plain_names_untouched),
	};

	return cmocka_run_group_tests_name("demangle", tests, NULL, NULL);
}
