/* SPDX-License-Identifier: GPL-2.0 */
/* Aggregation key of the cpu collector, shared by bpf/cpu.bpf.c and src/collectors/cpu.c. */
#ifndef PROFILER_CPU_H
#define PROFILER_CPU_H

#include "common.h"

struct cpu_key {
	__u32 pid;		/* thread group id: the process */
	__u32 life;		/* which lifetime of a reused pid, and which
				 * program of it: LIFE_TAG_EXECS of the process's
				 * start time and its execs (0: not taken) */
	__u64 user_stack;	/* STACK_ID_* or a stack id */
	__u64 kern_stack;
	char comm[TASK_COMM_LEN];
};

#endif /* PROFILER_CPU_H */
