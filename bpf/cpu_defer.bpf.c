// SPDX-License-Identifier: GPL-2.0
/*
 * On-CPU sampling where the kernel has task work and the task-VMA
 * iterator (6.18): a young process's first samples wait for its return
 * to user mode, where its unwind entry is made (bpf/unwind_make.bpf.h).
 * Its maps are bpf/cpu.bpf.c's, shared by user space; of that object only
 * the processes' announcements run beside this one.
 */
#define CPU_DEFER
#include "cpu_sample.bpf.h"

/*
 * The entries made here go with their processes (user space deletes
 * only those it wrote): at the exit of the thread group's leader, the
 * last thread as a rule (another thread left running remakes it at its
 * next sample).
 */
SEC("raw_tp/sched_process_exit")
int cpu_made_exit(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = task->tgid;
	struct unwind_proc *up;

	if (task->pid != tgid)
		return 0;
	up = bpf_map_lookup_elem(&unw_procs, &tgid);
	if (up && up->made && !bpf_map_delete_elem(&unw_procs, &tgid))
		__sync_fetch_and_add(&unw_made_gone, 1);
	return 0;
}

/*
 * The same, where the kernel has task work and the task-VMA iterator
 * (6.18): a process's first samples wait for its return to user mode,
 * where its unwind entry is made (bpf/unwind_make.bpf.h).  User space
 * loads one of the two.
 */
SEC("perf_event")
int cpu_sample_defer(struct bpf_perf_event_data *ctx)
{
	return cpu_sample_body(ctx, true);
}

char LICENSE[] SEC("license") = "GPL";
