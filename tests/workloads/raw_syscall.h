/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A system call made in the workload's own function, not in libc:
 * Debian's libc wrappers have no frame pointer, so a frame-pointer walk
 * from inside one skips its caller.  Inlined, the user stack of the call
 * starts in the function that made it.
 */
#ifndef WORKLOAD_RAW_SYSCALL_H
#define WORKLOAD_RAW_SYSCALL_H

#include <sys/syscall.h>
#include <unistd.h>

static inline __attribute__((always_inline)) long sys4(long nr, long a, long b, long c, long d)
{
#ifdef __x86_64__
	register long r10 __asm__("r10") = d;
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
#else
	return syscall(nr, a, b, c, d);
#endif
}

#endif
