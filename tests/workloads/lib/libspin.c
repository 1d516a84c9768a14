// SPDX-License-Identifier: GPL-2.0
/* A library loaded with dlopen by tests/workloads/dlopen_late.c. */
static volatile unsigned long sink;

__attribute__((noinline)) void lib_keep(unsigned long x)
{
	sink = x;
}

__attribute__((noinline)) void lib_spin(unsigned long n)
{
	unsigned long x = sink;

	for (unsigned long i = 0; i < n; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	lib_keep(x);
}
