/* SPDX-License-Identifier: GPL-2.0 */
/* Maps and events of the io collector, shared by bpf/io.bpf.c and src/collectors/io.c. */
#ifndef PROFILER_IO_H
#define PROFILER_IO_H

#include "common.h"

/*
 * Latency buckets, in microseconds: slot 0 holds [0, 1 us), slot k > 0
 * holds [2^(k-1), 2^k) us; the last slot also holds everything longer.
 * The same rule as hist_bucket() in src/core/histogram.c with scale 1000 ns.
 */
#define IO_HIST_SLOTS		32
#define IO_HIST_SCALE_NS	1000

/* What a histogram measures. */
enum io_kind {
	IO_KIND_DEVICE,		/* issue to completion: the device's time */
	IO_KIND_QUEUED,		/* insert (or allocation) to issue: time in the queue */
};

/* Request operations as the report groups them (REQ_OP_* otherwise). */
enum io_op {
	IO_OP_READ,
	IO_OP_WRITE,
	IO_OP_FLUSH,
	IO_OP_DISCARD,
	IO_OP_OTHER,
	IO_OP_MAX,
};

/* Losses of the io collector, per CPU in the "io_drops" map. */
enum io_drop {
	IO_DROP_REQS_FULL,	/* in-flight request map full: request not timed */
	IO_DROP_HISTS_FULL,	/* histogram map full */
	IO_DROP_SLOW_FULL,	/* ring buffer full: a slow request not listed */
	IO_DROP_MAX,
};

struct io_hist_key {
	__u32 dev;		/* the kernel's dev_t: major << 20 | minor */
	__u16 op;		/* enum io_op */
	__u16 kind;		/* enum io_kind */
};

struct io_hist {
	__u64 slots[IO_HIST_SLOTS];
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
};

/* Requests, bytes and device time per submitter and submitting stack. */
struct io_attr_key {
	__u32 pid;
	__u32 life;		/* the submitter's LIFE_TAG_EXECS (include/common.h), 0:
				 * unknown: its user stack is named from that program */
	__u64 user_stack;
	__u64 kern_stack;
	char comm[TASK_COMM_LEN];
};

struct io_attr_val {
	__u64 requests;
	__u64 bytes;
	__u64 latency_ns;
};

/* One request slower than --slow, through the "slow_events" ring buffer. */
struct io_slow_event {
	__u64 done_ns;		/* CLOCK_MONOTONIC at completion */
	__u64 latency_ns;	/* issue to completion */
	__u64 queued_ns;	/* insert (or allocation) to issue, 0 when unknown */
	__u64 sector;
	__u32 bytes;
	__u32 dev;
	__u32 pid;
	__u32 op;		/* enum io_op */
	char comm[TASK_COMM_LEN];
};

#endif /* PROFILER_IO_H */
