// SPDX-License-Identifier: GPL-2.0
/*
 * An allocator whose entry points have no CFI: nocfi_malloc and nocfi_free
 * are written in top-level asm, which gets no .cfi directives, so this
 * binary's .eh_frame has no row for them (as libc's malloc has none when
 * its table was cut by the time limit).  Profiled with
 * `mem --lib <this binary> --prefix nocfi_`:
 *   leak_site    1000 x nocfi_malloc(4096), never freed: 4,096,000 bytes
 *   churn_site   1000 x nocfi_malloc(64) + nocfi_free: 0 outstanding
 * each called from main.  The stack at the allocator's entry must read
 * main;leak_site;nocfi_malloc: a frame-pointer step from the allocator's
 * first instruction would go from nocfi_malloc straight to main.
 */
#include <stdlib.h>

void *nocfi_malloc(size_t n);
void nocfi_free(void *p);

#if defined(__x86_64__)
/* tail calls: the uprobes see the entry, the uretprobe malloc's return */
__asm__("	.text\n"
	"	.globl nocfi_malloc\n"
	"	.type nocfi_malloc, @function\n"
	"nocfi_malloc:\n"
	"	jmp malloc@PLT\n"
	"	.size nocfi_malloc, .-nocfi_malloc\n"
	"	.globl nocfi_free\n"
	"	.type nocfi_free, @function\n"
	"nocfi_free:\n"
	"	jmp free@PLT\n"
	"	.size nocfi_free, .-nocfi_free\n");
#else
/* elsewhere with CFI, as any function: the test is x86-64's */
__attribute__((noinline)) void *nocfi_malloc(size_t n)
{
	return malloc(n);
}

__attribute__((noinline)) void nocfi_free(void *p)
{
	free(p);
}
#endif

void *volatile kept[1000];	/* global and volatile: the calls stay */

__attribute__((noinline)) void leak_site(int i)
{
	kept[i] = nocfi_malloc(4096);
}

__attribute__((noinline)) void churn_site(void)
{
	void *volatile p = nocfi_malloc(64);

	nocfi_free(p);
}

int main(void)
{
	for (int i = 0; i < 1000; i++)
		leak_site(i);
	for (int i = 0; i < 1000; i++)
		churn_site();
	return 0;
}
