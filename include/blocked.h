/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Threads found off the CPU by bpf/blocked.bpf.c (a task iterator) at the
 * start and at the end of a profile, shared with src/core/blocked.c.
 */
#ifndef PROFILER_BLOCKED_H
#define PROFILER_BLOCKED_H

#include "common.h"

/* What the iterator does besides reporting (its rodata "mode"). */
#define BLOCKED_MODE_REPORT	0	/* only report */
#define BLOCKED_MODE_OFFCPU	1	/* also park each thread in offcpu's "start" map */
#define BLOCKED_MODE_LOCK	2	/* also park each futex wait in lock's "uwaits" map */

/* struct blocked_rec.flags */
#define BLOCKED_F_SYSCALL	(1U << 0)	/* in a system call: nr and args are set */
#define BLOCKED_F_PARKED	(1U << 1)	/* parked in the collector's map by the iterator */
#define BLOCKED_F_SINCE		(1U << 2)	/* off_ns is known */
#define BLOCKED_F_PROC		(1U << 3)	/* from /proc, not the iterator: no stacks */

#define BLOCKED_NO_SYSCALL	(~0ULL)

/* One thread off the CPU, as the iterator writes it to its seq_file. */
struct blocked_rec {
	__u32 pid;		/* thread group id */
	__u32 tid;
	__u32 state;		/* task->__state */
	__u32 flags;		/* BLOCKED_F_* */
	__u64 now_ns;		/* bpf_ktime_get_ns() when it was seen */
	__u64 off_ns;		/* how long it had been off the CPU then */
	__u64 user_stack;	/* STACK_ID_* or a stack id */
	__u64 kern_stack;
	__u64 syscall;		/* the system call it is in, or BLOCKED_NO_SYSCALL */
	__u64 args[3];		/* its first three arguments */
	__u64 user_ip;		/* where it entered the kernel */
	__u64 switches;		/* nvcsw + nivcsw: unchanged between two looks, it never ran */
	__u32 owner;		/* futex on a mutex: the tid glibc says holds it, 0 unknown */
	__u32 lock_flags;	/* futex wait: LOCK_F_* as the lock collector keys it */
	char comm[TASK_COMM_LEN];
	__u32 life;		/* its lifetime tag (bpf/life.bpf.h): whose mappings name user_stack */
	__u32 pad;
};

/* A futex call in progress, per thread: bpf/lock.bpf.c's "uwaits" value. */
struct lock_uwait {
	__u64 ts;
	__u64 addr;
	__u32 flags;
	__u32 owner;		/* the mutex's owner tid when the wait began, 0 unknown */
};

#endif /* PROFILER_BLOCKED_H */
