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

#define PF_EXITING	0x00000004	/* include/linux/sched.h: not in BTF */
#define PF_KTHREAD	0x00200000

const volatile bool filter_pids = false;	/* match targets by process (tgid) */
const volatile bool filter_tids = false;	/* match targets by thread id */
const volatile bool include_idle = false;	/* sample the idle task (pid 0) */
const volatile bool filter_cgroups = false;	/* only tasks in cgroup_targets or below */

/* A cgroup v2 hierarchy is rarely deeper than a dozen levels (a pod's
 * container under kubepods is 5); deeper tasks than this are not matched. */
#define MAX_CGROUP_LEVELS	32

/* The pids or tids to look at; processes forked by a target join it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/*
 * --cgroup: the ids (kernfs node ids, the directories' inode numbers) of
 * the cgroup v2 directories to look at; one map for the run, shared by
 * every object (session_cgroup_prepare).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u8);
} cgroup_targets SEC(".maps");

/*
 * Each cgroup's answer, once walked: a cgroup id is never reused, and the
 * targets do not change while the programs run, so an answer stays true.
 * Value 1: in a target or below it; 0: not.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} cgroup_verdicts SEC(".maps");

/*
 * Processes already announced to user space: the LIFE_TAG of each, since
 * an entry outlives its process (none is deleted at exit; under churn the
 * map stays full of the exited) and pids come round: a process forked
 * with an old one's pid, and no exec, is another and announced.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);	/* sized by user space (session_size_maps) */
	__type(key, __u32);
	__type(value, __u64);		/* 64 bits: what clang's BPF can swap */
} procs_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} proc_events SEC(".maps");

/*
 * The task's cgroup in the default (v2) hierarchy, read through CO-RE
 * rather than bpf_get_current_cgroup_id: the same code serves a task that
 * is not current (sched_switch's prev, an iterated task).
 */
static __always_inline __u64 task_cgroup_id(struct task_struct *task)
{
	return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
}

/* Whether task runs in one of the --cgroup targets or a cgroup below one. */
static __always_inline bool task_in_cgroups(struct task_struct *task)
{
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	__u64 own, id;
	__u8 *v, yes = 0;

	if (!cg)
		return false;
	own = BPF_CORE_READ(cg, kn, id);
	v = bpf_map_lookup_elem(&cgroup_verdicts, &own);
	if (v)
		return *v;
	/* up from the task's own cgroup: the self css's parent is the parent
	 * cgroup's, and a css points back at its cgroup */
	for (int i = 0; i < MAX_CGROUP_LEVELS && cg; i++) {
		id = BPF_CORE_READ(cg, kn, id);
		if (bpf_map_lookup_elem(&cgroup_targets, &id)) {
			yes = 1;
			break;
		}
		cg = BPF_CORE_READ(cg, self.parent, cgroup);
	}
	bpf_map_update_elem(&cgroup_verdicts, &own, &yes, BPF_ANY);
	return yes;
}

/*
 * Whether the task tgid/tid is looked at; task is whose cgroup counts for
 * --cgroup, NULL for the current task (a task that may not be current:
 * sched_switch's prev, an iterated task).
 */
static __always_inline bool target_match_task(__u32 tgid, __u32 tid, struct task_struct *task)
{
	if (tid == 0 && !include_idle)
		return false;
	if (filter_cgroups &&
	    !task_in_cgroups(task ? task : (struct task_struct *)bpf_get_current_task()))
		return false;
	if (filter_pids)
		return bpf_map_lookup_elem(&targets, &tgid) != NULL;
	if (filter_tids)
		return bpf_map_lookup_elem(&targets, &tid) != NULL;
	return true;
}

static __always_inline bool target_match(__u32 tgid, __u32 tid)
{
	return target_match_task(tgid, tid, NULL);
}

/*
 * Tell user space the first time a process shows up, so that it can read
 * the process's mappings while the process is still alive: a process that
 * exits before the profile is printed is still symbolized.
 */
static __always_inline void proc_announce_task(__u32 tgid, struct task_struct *task)
{
	struct proc_note *e;
	__u64 life, *seen, old;

	if (tgid == 0)
		return;
	life = LIFE_TAG(BPF_CORE_READ(task, group_leader, start_time));
	seen = bpf_map_lookup_elem(&procs_seen, &tgid);
	if (seen) {
		old = *seen;
		/* another CPU may take the same turn: one of them wins */
		if (old == life || __sync_val_compare_and_swap(seen, old, life) != old)
			return;
	} else if (bpf_map_update_elem(&procs_seen, &tgid, &life, BPF_NOEXIST)) {
		return;		/* another CPU announced it first */
	}
	PART_FLAG(PF_NEWPROC);
	e = bpf_ringbuf_reserve(&proc_events, sizeof(*e), 0);
	if (!e) {
		count_drop(DROP_PROC_EVENTS);
		bpf_map_delete_elem(&procs_seen, &tgid);
		return;
	}
	e->pid = tgid;
	e->flags = 0;
	/* the process's cgroup now, while it is alive: its label */
	e->cgroup = task_cgroup_id(task);
	/*
	 * Urgent when its tables are not in place (a process older than the
	 * run, or whose records were lost): it is unwound short until they
	 * come.  Most new processes had theirs made from their records.
	 */
	bpf_ringbuf_submit(e, cfi_unwind && !bpf_map_lookup_elem(&unw_procs, &tgid) ?
			   ring_wake_flags_urgent(&proc_events) : ring_wake_flags(&proc_events));
}

static __always_inline void proc_announce(__u32 tgid)
{
	proc_announce_task(tgid, (struct task_struct *)bpf_get_current_task());
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

/*
 * After exec the process has new mappings: announce it again.  With
 * tables, tell the loop at once (PROC_NOTE_EXEC): its mapping records are
 * read on a slower timer, and a 4 ms program needs its tables from them
 * before its first samples.
 */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(proc_exec, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct proc_note *e;

	bpf_map_delete_elem(&procs_seen, &tgid);
	if (!cfi_unwind)
		return 0;
	/* its tables were the old program's; user space makes new ones */
	bpf_map_delete_elem(&unw_procs, &tgid);
	if (!ring_wake_urgent() || !target_match_task(tgid, BPF_CORE_READ(task, pid), task))
		return 0;
	e = bpf_ringbuf_reserve(&proc_events, sizeof(*e), 0);
	if (!e)
		return 0;	/* the slower timer reads its records */
	e->pid = tgid;
	e->flags = PROC_NOTE_EXEC;
	e->cgroup = 0;
	bpf_ringbuf_submit(e, ring_wake_flags_urgent(&proc_events));
	return 0;
}

#endif /* PROFILER_TARGETS_BPF_H */
