/* SPDX-License-Identifier: GPL-2.0 */
/* Aggregation key and value of the lock collector, shared by bpf/lock.bpf.c and src/collectors/lock.c. */
#ifndef PROFILER_LOCK_H
#define PROFILER_LOCK_H

#include "common.h"

/* include/trace/events/lock.h: what contention_begin says about the lock. */
#define LCB_F_SPIN	(1U << 0)
#define LCB_F_READ	(1U << 1)
#define LCB_F_WRITE	(1U << 2)
#define LCB_F_RT	(1U << 3)
#define LCB_F_PERCPU	(1U << 4)
#define LCB_F_MUTEX	(1U << 5)
#define LCB_F_MASK	0x3fU

/* Set by the lock collector above the kernel's flags. */
#define LOCK_F_FUTEX	(1U << 16)	/* a user-space futex wait, not a kernel lock */
#define LOCK_F_MMAP	(1U << 17)	/* the waiter's own mm->mmap_lock */
#define LOCK_F_SIGHAND	(1U << 18)	/* the waiter's own sighand->siglock */
#define LOCK_F_PI	(1U << 19)	/* futex: FUTEX_LOCK_PI (a pthread PI mutex) */
#define LOCK_F_LLL	(1U << 20)	/* futex: FUTEX_WAIT for the value 2, glibc's contended lock */
#define LOCK_F_REQUEUE	(1U << 21)	/* futex: FUTEX_WAIT_REQUEUE_PI (a PI condition variable) */

struct lock_key {
	__u64 addr;		/* kernel lock address, or user futex address */
	__u64 user_stack;	/* STACK_ID_* or a stack id */
	__u64 kern_stack;
	__u32 pid;		/* thread group id */
	__u32 tid;		/* the waiting thread */
	__u32 flags;		/* LCB_F_* | LOCK_F_* */
	__u32 owner;		/* tid holding a mutex when the wait began, 0: unknown */
	__u32 life;		/* the waiter's LIFE_TAG_EXECS (include/common.h), 0:
				 * unknown: its user stack is named from that program */
	__u32 pad;
	char comm[TASK_COMM_LEN];
	char owner_comm[TASK_COMM_LEN];
};

struct lock_stat {
	__u64 count;		/* contentions */
	__u64 total_ns;		/* time waited */
	__u64 max_ns;		/* the longest single wait */
};

/* Sent through the "lock_events" ring buffer for each new (process, futex). */
struct futex_note {
	__u64 addr;
	__u32 pid;
	__u32 pad;
};

#endif /* PROFILER_LOCK_H */
