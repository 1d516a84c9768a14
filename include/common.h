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
 * Stacks of fewer than STACK_SHORT_DEPTH frames are kept in values of that
 * many (the stacks map: 256 bytes), deeper ones in values of --max-depth
 * frames (stacks_deep: 4 KiB at the default 512): under churn nearly
 * every stack is new (each process's addresses are its own), and each
 * was a 4 KiB allocation and copy in the BPF program and in our reads.
 * An id says which (STACK_ID_DEEP_BIT): its hash keeps 62 bits.
 */
#define STACK_SHORT_DEPTH	32
#define STACK_ID_DEEP_BIT	(1ULL << 62)

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
	DROP_STACKS_FULL,	/* the stacks map had no room (max entries) for a new stack */
	DROP_COUNTS_FULL,	/* the aggregation map had no room: sample lost */
	DROP_PROC_EVENTS,	/* ring buffer full: a new process not announced */
	DROP_TRUNCATED,		/* stack deeper than --max-depth (kept, cut) */
	DROP_LIVE_FULL,		/* profiler mem: no room to track a live allocation */
	DROP_PY_CODES,		/* a Python code object not sent (ring buffer full) */
	DROP_STACKS_NOMEM,	/* the stacks map's allocator had nothing at hand, the
				 * spill map was full: a new stack not kept */
	DROP_COUNTS_NOMEM,	/* the aggregation map's allocator had nothing at
				 * hand for a new key: sample lost */
	DROP_MAX,
};

/*
 * A process's start time (CLOCK_MONOTONIC ns, task->start_time of its
 * leader) cut to 32 bits of ~16 µs: a pid used twice in one profile belongs
 * to two processes with different tags, and the fork record
 * (PERF_RECORD_FORK, stamped on the same clock just after) of each tells
 * its mappings apart.  Wraps after 73 minutes; 0 means "not taken".
 *
 * Bits 1-3 of a sample's tag (LIFE_TAG_EXECS) say how many execs the
 * process made since its fork (LIFE_EXECS_UNKNOWN: 7 or more, or not
 * read): a vfork child that execs another non-PIE program (Go's os/exec
 * running compile, link) maps the same addresses before and after its
 * exec, and only the count says which program a sample was in.
 */
#define LIFE_TAG(ns)		(((__u32)((ns) >> 10) & ~(__u32)0xf) | 1)
#define LIFE_EXECS_UNKNOWN	7
#define LIFE_TAG_EXECS(ns, n)	(LIFE_TAG(ns) | \
				 ((__u32)((n) < LIFE_EXECS_UNKNOWN ? (n) : LIFE_EXECS_UNKNOWN) << 1))
/* The start time part of a tag, as fork records are tagged. */
#define LIFE_BASE(tag)		((tag) & ~(__u32)0xe)
#define LIFE_EXECS(tag)		(((tag) >> 1) & 7)

struct stack_frames {
	__u64 ips[MAX_STACK_DEPTH];
};

struct stack_short {
	__u64 ips[STACK_SHORT_DEPTH];
};

/* Sent through the "proc_events" ring buffer when a process is first seen. */
struct proc_note {
	__u32 pid;
	__u32 flags;		/* PROC_NOTE_*: 0 for an announcement */
	__u64 cgroup;		/* its cgroup v2 id (kernfs node id) when announced */
};

/*
 * A target exec'd (bpf/targets.bpf.h, proc_exec): no announcement, only a
 * wake-up of the session loop, which then reads each mapping record at
 * once while the new program maps its libraries (src/session/loop.c).
 */
#define PROC_NOTE_EXEC		1
/*
 * An unwind entry the kernel made for pid (bpf/unwind_make.bpf.h) lacks
 * code that has no table yet (a binary not met before): make its tables
 * and write its entry now.  Sent at once, not batched.
 */
#define PROC_NOTE_TABLES	2

/*
 * How long an urgent record (an exec, a new process) may wait for the
 * session loop's read: a 4 ms process needs its unwind tables before
 * most of its samples (docs/architecture.md, Decisions: "The loop reads
 * the rings on a timer while they bring news").  Other records wait for
 * the loop's slower timer.
 */
#define RING_URGENT_NS		1000000ULL
/*
 * The slots of each object's ring_read_by array (bpf/common.bpf.h): the
 * promised read time, and whether urgent records wake the loop at all
 * (not for the front-ends that batch mapping records, the agent and top,
 * which forgo the tables of a program's first milliseconds).
 */
enum { RING_WAKE_BY, RING_WAKE_URGENT, RING_WAKE_SLOTS };

#endif /* PROFILER_COMMON_H */
