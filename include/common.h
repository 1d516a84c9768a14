/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Definitions shared by the BPF programs and user space.  Only fixed-size
 * __u32/__u64 types: the same layout must come out of clang -target bpf and
 * of gcc on the host.
 */
#ifndef PROFILER_COMMON_H
#define PROFILER_COMMON_H

#define TASK_COMM_LEN		16
/*
 * Frames of one stack: --max-depth picks up to this many (the stacks
 * maps' values are sized to it, so a stack costs what the depth asks).
 * The default keeps whole a Python program importing modules: a nested
 * import costs some 20 native frames.  The kernel's own frame-pointer
 * walk stops at its perf_event_max_stack (127) whatever is asked.
 */
#define MAX_STACK_DEPTH		1024
#define DEFAULT_STACK_DEPTH	512

/*
 * Stack ids handed from BPF to user space.  A real id is a 63-bit hash of
 * the frames with the top bit set, so it can never collide with these.
 */
#define STACK_ID_NONE		0ULL	/* no stack asked for, or none exists */
#define STACK_ID_LOST		1ULL	/* a stack existed but could not be kept */
#define STACK_ID_VALID_BIT	(1ULL << 63)

/*
 * A user frame the unwinder cannot see: the return address of a function
 * that has no frame of its own (a leaf, a libc syscall wrapper), read from
 * the user stack near its stack pointer.  Each of the first LEAF_RA_WORDS
 * words there that may be one travels as a candidate at the end of the
 * user stack (user space moves them to just after the first frame) with
 * the top bit set and the word's index above the stack pointer in bits
 * 56-58; user space keeps the one the function's CFI says holds the return
 * address, and drops the others.
 */
#define LEAF_RA_MARK		(1ULL << 63)
#define LEAF_RA_SLOT_SHIFT	56
#define LEAF_RA_ADDR_MASK	((1ULL << 56) - 1)
#define LEAF_RA_WORDS		4

/* Why a stack or a sample was lost; counted per CPU in the "drops" map. */
enum drop_reason {
	DROP_USER_STACK_FAULT,	/* bpf_get_stack() failed on a user stack */
	DROP_KERN_STACK_FAULT,	/* bpf_get_stack() failed on a kernel stack */
	DROP_STACKS_FULL,	/* the stacks map had no room for a new stack */
	DROP_COUNTS_FULL,	/* the aggregation map had no room: sample lost */
	DROP_PROC_EVENTS,	/* ring buffer full: a new process not announced */
	DROP_TRUNCATED,		/* stack deeper than --max-depth (kept, cut) */
	DROP_LIVE_FULL,		/* profiler mem: no room to track a live allocation */
	DROP_PY_CODES,		/* a Python code object not sent (ring buffer full) */
	DROP_MAX,
};

/*
 * A process's start time (CLOCK_MONOTONIC ns, task->start_time of its
 * leader) cut to 32 bits of ~µs: a pid used twice in one profile belongs to
 * two processes with different tags, and the fork record (PERF_RECORD_FORK,
 * stamped on the same clock just after) of each tells its mappings apart.
 * Wraps after 73 minutes; 0 means "not taken".
 */
#define LIFE_TAG(ns)		((__u32)((ns) >> 10) | 1)

struct stack_frames {
	__u64 ips[MAX_STACK_DEPTH];
};

/* Sent through the "proc_events" ring buffer when a process is first seen. */
struct proc_note {
	__u32 pid;
	__u32 flags;
	__u64 cgroup;		/* its cgroup v2 id (kernfs node id) when announced */
};

#endif /* PROFILER_COMMON_H */
