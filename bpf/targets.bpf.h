/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which tasks a collector looks at, and the announcement of each new
 * process to user space, shared by every collector.
 *
 * Filtering is done here, in BPF, before any stack is taken: a
 * system-wide event costs the rest of the machine one map lookup.
 */
#ifndef PROFILER_TARGETS_BPF_H
#define PROFILER_TARGETS_BPF_H

#include "common.bpf.h"
#include "unwind.bpf.h"

#define PF_KTHREAD	0x00200000	/* include/linux/sched.h: not in BTF */

const volatile bool filter_pids = false;	/* match targets by process (tgid) */
const volatile bool filter_tids = false;	/* match targets by thread id */
const volatile bool include_idle = false;	/* sample the idle task (pid 0) */

/* The pids or tids to look at; processes forked by a target join it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/* Processes already announced to user space. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, __u8);
} procs_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} proc_events SEC(".maps");

static __always_inline bool target_match(__u32 tgid, __u32 tid)
{
	if (tid == 0 && !include_idle)
		return false;
	if (filter_pids)
		return bpf_map_lookup_elem(&targets, &tgid) != NULL;
	if (filter_tids)
		return bpf_map_lookup_elem(&targets, &tid) != NULL;
	return true;
}

/*
 * Tell user space the first time a process shows up, so that it can read
 * the process's mappings while the process is still alive: a process that
 * exits before the profile is printed is still symbolized.
 */
static __always_inline void proc_announce(__u32 tgid)
{
	struct proc_note *e;
	__u8 one = 1;

	if (tgid == 0 || bpf_map_lookup_elem(&procs_seen, &tgid))
		return;
	if (bpf_map_update_elem(&procs_seen, &tgid, &one, BPF_NOEXIST))
		return;		/* another CPU announced it first */
	e = bpf_ringbuf_reserve(&proc_events, sizeof(*e), 0);
	if (!e) {
		count_drop(DROP_PROC_EVENTS);
		bpf_map_delete_elem(&procs_seen, &tgid);
		return;
	}
	e->pid = tgid;
	e->flags = 0;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline bool task_is_kthread(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, flags) & PF_KTHREAD;
}

/* A child of a followed process is followed too (profiler X -- CMD). */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(follow_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	struct unwind_proc *up;
	__u8 one = 1;

	if (ptgid == ctgid || !bpf_map_lookup_elem(&targets, &ptgid))
		return 0;
	bpf_map_update_elem(&targets, &ctgid, &one, BPF_ANY);
	/* same mappings until it execs: unwound from its first sample */
	up = cfi_unwind ? bpf_map_lookup_elem(&unw_procs, &ptgid) : NULL;
	if (up)
		bpf_map_update_elem(&unw_procs, &ctgid, up, BPF_ANY);
	return 0;
}

/* After exec the process has new mappings: announce it again. */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(proc_exec, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);

	bpf_map_delete_elem(&procs_seen, &tgid);
	/* its tables were the old program's; user space makes new ones */
	if (cfi_unwind)
		bpf_map_delete_elem(&unw_procs, &tgid);
	return 0;
}

#endif /* PROFILER_TARGETS_BPF_H */
