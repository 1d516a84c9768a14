// SPDX-License-Identifier: GPL-2.0
/*
 * C++ allocations with a known truth for profiler mem: make_widget() calls
 * operator new 1000 times for 4096 bytes and keeps every block, so
 * 4,096,000 bytes are outstanding at main;make_many;make_widget;operator
 * new;malloc.  Debian's libstdc++ has no frame pointers: a frame-pointer
 * walk from malloc skips make_widget, the function that leaks.
 */
#include <cstdio>
#include <vector>

struct widget {
	char buf[4096];
};

static std::vector<widget *> kept;

__attribute__((noinline)) void make_widget()
{
	kept.push_back(new widget);
}

__attribute__((noinline)) void make_many()
{
	kept.reserve(1000);
	for (int i = 0; i < 1000; i++)
		make_widget();
}

int main()
{
	make_many();
	printf("%zu widgets\n", kept.size());
	return 0;
}
