/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by bpf/offcpu.bpf.c and src/collectors/offcpu.c.  The aggregation
 * key is the cpu collector's (struct cpu_key): one profile shape, and
 * profiler wall can put both side by side.
 */
#ifndef PROFILER_OFFCPU_H
#define PROFILER_OFFCPU_H

#include "cpu.h"

/* What a thread left the CPU with, kept until it runs again. */
struct offcpu_start {
	__u64 ts;		/* bpf_ktime_get_ns() at switch-out */
	__u64 run_ns;		/* the thread's CPU time then (se.sum_exec_runtime), 0: unknown */
	struct cpu_key key;	/* process, its stacks and comm at that moment */
};

/* Aggregated per key: time off the CPU and how many times. */
struct offcpu_val {
	__u64 ns;
	__u64 count;
};

#endif /* PROFILER_OFFCPU_H */
