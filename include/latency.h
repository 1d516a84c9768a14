/* SPDX-License-Identifier: GPL-2.0 */
/* Maps and events of the latency collector, shared by bpf/latency.bpf.c and src/collectors/latency*.c. */
#ifndef PROFILER_LATENCY_H
#define PROFILER_LATENCY_H

#include "common.h"

/*
 * Durations in log2 buckets of nanoseconds: slot 0 holds [0, 1 ns), slot
 * k > 0 holds [2^(k-1), 2^k) ns.  hist_bucket() with scale 1 in
 * src/model/histogram.c, and as many buckets (HIST_BUCKETS): a power of
 * two, so that 6.1's verifier sees the index masked in bounds.
 */
#define LAT_HIST_SLOTS		64

/* Calls in progress one thread keeps: deeper recursion is counted, not timed. */
#define LAT_MAX_DEPTH		32

/* The most functions one run may time (ids 0 .. LAT_MAX_FUNCS - 1). */
#define LAT_MAX_FUNCS		1024

/* A function's id in the attach cookie; a kernel function has this bit too. */
#define LAT_COOKIE_KERNEL	(1ULL << 32)

/* What --by keys the per-caller totals on. */
enum lat_by {
	LAT_BY_CALLER,		/* the return address: the calling function */
	LAT_BY_STACK,		/* the caller's whole user stack */
	LAT_BY_TID,
	LAT_BY_PID,
};

/* Losses and counts of the latency collector, per CPU in "lat_drops". */
enum lat_drop {
	LAT_DROP_TOO_DEEP,	/* a call deeper than LAT_MAX_DEPTH: not timed */
	LAT_DROP_THREADS_FULL,	/* no room for another thread's calls: not timed */
	LAT_DROP_BY_FULL,	/* no room in the per-caller map: timed, not attributed */
	LAT_DROP_SLOW_FULL,	/* ring buffer full: a slow call not listed */
	LAT_DROP_MAX,
};

/*
 * One function's durations, per CPU (no atomics): counts only grow, so
 * user space hands over the difference from its last read.  The maximum
 * is kept per interval in two slots by the parity of the interval number
 * `gen`, so that user space reads the closed one while the next fills.
 */
struct lat_hist {
	__u64 slots[LAT_HIST_SLOTS];
	__u64 count;
	__u64 sum_ns;
	__u64 unreturned;	/* calls that never returned (longjmp, throw, exit) */
	__u64 max_ns[2];
	__u32 max_gen[2];
};

/* Calls and time per function and caller (or stack, thread, process). */
struct lat_by_key {
	__u32 func;
	__u32 pid;
	__u32 tid;		/* LAT_BY_TID only */
	__u32 life;		/* with where: the caller's LIFE_TAG_EXECS (include/common.h),
				 * 0 unknown: where is named from that program */
	__u64 where;		/* return address (caller) or stack id (stack) */
	char comm[TASK_COMM_LEN];
};

struct lat_by_val {
	__u64 calls;
	__u64 total_ns;
	__u64 max_ns;
};

/* One call slower than --slow, through the "slow_events" ring buffer. */
struct lat_slow_event {
	__u64 end_ns;		/* CLOCK_MONOTONIC at return */
	__u64 dur_ns;
	__u64 stack;		/* the caller's user stack id */
	__u32 pid;
	__u32 tid;
	__u32 func;
	__u32 life;		/* the caller's LIFE_TAG_EXECS: stack is named from that program */
	char comm[TASK_COMM_LEN];
};

#endif /* PROFILER_LATENCY_H */
