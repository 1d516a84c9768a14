/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A task's lifetime tag (include/common.h, LIFE_TAG_EXECS): which process
 * of a reused pid, and which program of that process, a stack was taken
 * in, so that user space names its addresses from that program's mappings.
 */
#ifndef PROFILER_LIFE_BPF_H
#define PROFILER_LIFE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include "common.h"

static __always_inline __u32 task_life(struct task_struct *task)
{
	__u64 start = BPF_CORE_READ(task, group_leader, start_time);
	/* a fork copies self_exec_id and sets parent_exec_id to it; each exec
	 * adds one to self_exec_id (64-bit since Linux 5.7; before, unknown) */
	__u64 execs = LIFE_EXECS_UNKNOWN;

	if (bpf_core_field_size(task->self_exec_id) == sizeof(__u64))
		execs = BPF_CORE_READ(task, self_exec_id) - BPF_CORE_READ(task, parent_exec_id);
	return LIFE_TAG_EXECS(start, execs);
}

#endif /* PROFILER_LIFE_BPF_H */
