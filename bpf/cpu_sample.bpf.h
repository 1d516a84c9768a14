/* SPDX-License-Identifier: GPL-2.0 */
/*
 * On-CPU sampling: a software cpu-clock perf event on every CPU runs the
 * program; samples are counted in the kernel per (process, user stack,
 * kernel stack, comm), so user space reads one entry per unique stack
 * instead of one record per sample.
 *
 * The counts go to whichever of two maps counts_sel points at.  User space
 * drains one while the other fills: it swaps the pointer (the update
 * returns only once no program still runs with the old map, as for any
 * map-in-map update) and reads and empties the old map at leisure, so a
 * long run never fills the kernel's map and no increment races a delete.
 *
 * Two objects are built from this: bpf/cpu.bpf.c, and bpf/cpu_defer.bpf.c
 * (CPU_DEFER) whose program leaves a young process's user stack to task
 * work (6.18).  The second calls kfuncs, for which libbpf reads and parses
 * the kernel's whole BTF at load (5.5 MB: ~12 ms and ~9 MiB at its peak),
 * so it is an object of its own, loaded only where it is used; it shares
 * every map of the first (src/collectors/cpu.c).
 */
#ifndef PROFILER_CPU_SAMPLE_BPF_H
#define PROFILER_CPU_SAMPLE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cpu.h"
#include "life.bpf.h"
#include "stacks.bpf.h"
#include "targets.bpf.h"
#ifdef CPU_DEFER
#include "unwind_make.bpf.h"
#endif

const volatile bool user_stacks = true;
const volatile bool kernel_stacks = true;

/*
 * Allocated as keys come, not preallocated: two preallocated maps of 65,536
 * keys (a 30 s system-wide run's size) took 40 ms of system time at every
 * start on this machine's VM, 13 MiB of kernel memory touched page by page,
 * most of it never used (18,000 keys under churn).  A key's element is
 * small, from the kernel's order-0 slabs: in 3 x 30 s of churn none was
 * refused (DROP_COUNTS_NOMEM says so if one is).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);	/* resized by user space before load */
	__type(key, struct cpu_key);
	__type(value, __u64);
} counts SEC(".maps");

typeof(counts) counts_spare SEC(".maps");

/*
 * Not used: makes clang emit struct cpu_key whole.  Reached only through
 * pointers (map keys behind counts_sel's array of pointers) it is emitted
 * as a forward declaration, and libbpf cannot size the inner map's key.
 */
static struct cpu_key cpu_key_btf __attribute__((used));

/* Slot 0: the counts map being filled, set by user space before attach. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, typeof(counts));
} counts_sel SEC(".maps");

/*
 * For the tests only (PROFILER_TEST_COUNTS_NOMEM): a new key whose stacks'
 * ids xored have these bits clear is refused as if the allocator had
 * nothing at hand, a failure no test can cause on demand.  0: off.
 */
const volatile __u64 counts_test_mask = 0;

/* Keys added so far, over both maps: user space drains at half full. */
__u64 counts_added;

/*
 * Whether the sample interrupted the kernel.  Only then has it a kernel
 * stack: bpf_get_stack() on user-mode registers finds none, but costs
 * some 3 µs a sample under process churn on this machine's VM to say so.
 */
static __always_inline bool sample_in_kernel(struct bpf_perf_event_data *ctx)
{
	/*
	 * The context is read a whole word at a time, by its UAPI index
	 * (bpf_user_pt_regs_t at offset 0, a fixed layout): the verifier
	 * refuses a narrower load of it, and a field access would be a CO-RE
	 * relocation, which fails where the field's size differs (cs is a
	 * u16 in a union since 6.9, an unsigned long before).
	 */
	const volatile __u64 *regs = (const volatile __u64 *)ctx;

#if defined(__TARGET_ARCH_x86)
	return (regs[17] & 3) == 0;		/* cs, after r15 ... orig_ax, ip */
#elif defined(__TARGET_ARCH_arm64)
	return (regs[33] & 0xf) != 0;		/* pstate, after regs[31], sp, pc: not EL0t */
#else
	return true;	/* unknown here: ask */
#endif
}

/* Count one sample of key in the counts map being filled. */
static __always_inline void cpu_count(struct cpu_key *key)
{
	__u64 one = 1, *val;
	__u32 zero = 0;
	void *counts_now;
	int err;

	counts_now = bpf_map_lookup_elem(&counts_sel, &zero);
	if (!counts_now) {
		count_drop(DROP_COUNTS_FULL);
		return;
	}
	val = bpf_map_lookup_elem(counts_now, key);
	if (val) {
		__sync_fetch_and_add(val, 1);
		return;
	}
	if (counts_test_mask && !((key->user_stack ^ key->kern_stack) & counts_test_mask))
		err = -ENOMEM;
	else
		err = map_update_err(bpf_map_update_elem(counts_now, key, &one, BPF_NOEXIST));
	if (!err) {
		PART_FLAG(PF_NEWKEY);
		__sync_fetch_and_add(&counts_added, 1);
	} else if (err == -EEXIST) {
		val = bpf_map_lookup_elem(counts_now, key);
		if (val)
			__sync_fetch_and_add(val, 1);
	} else {
		count_drop(err == -ENOMEM ? DROP_COUNTS_NOMEM : DROP_COUNTS_FULL);
	}
}

#ifdef CPU_DEFER
/*
 * A sample of a process without an unwind entry, its user stack left for
 * the thread's return to user mode (cpu_sample_defer): the rest of its
 * key, and the task work that finishes it.
 */
struct cpu_deferred {
	struct cpu_key key;
	struct bpf_task_work tw;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);	/* threads with a sample waiting */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);		/* tid */
	__type(value, struct cpu_deferred);
} cpu_deferred SEC(".maps");

/* One task-work callback at a time per CPU: preempted, another would share unw_scratch */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} defer_busy SEC(".maps");

/*
 * Samples deferred, finished with an entry, taken at once; entries
 * deleted at exit; the task work's time in all (its runs are not the
 * program's: bpf_enable_stats does not count them)
 */
__u64 deferred, deferred_done, deferred_fallback, unw_made_gone, deferred_ns;

extern int bpf_task_work_schedule_resume_impl(struct task_struct *task, struct bpf_task_work *tw,
					      void *map__map,
					      int (*cb)(struct bpf_map *, void *, void *),
					      void *aux__prog) __ksym __weak;

/*
 * A binary of this process has no table yet: user space makes it now
 * (its loop otherwise reads the rings on a timer), and the process's
 * next samples have it.
 */
static __always_inline void cpu_note_tables(__u32 tgid)
{
	struct proc_note *e = bpf_ringbuf_reserve(&proc_events, sizeof(*e), 0);

	if (!e) {
		count_drop(DROP_PROC_EVENTS);
		return;
	}
	e->pid = tgid;
	e->flags = PROC_NOTE_TABLES;
	e->cgroup = 0;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

/*
 * At the thread's return to user mode: nothing has run in user mode since
 * the sample, so the registers and the stack are the sample's.  Make the
 * process's entry, unwind with it, and count the sample.
 */
static int cpu_deferred_run(struct bpf_map *map, void *tid, void *value)
{
	struct cpu_deferred *d = value;
	struct cpu_key key = d->key;
	__u32 zero = 0, *busy = bpf_map_lookup_elem(&defer_busy, &zero);
	__u64 t0 = bpf_ktime_get_ns();
	bool lacking = false;

	bpf_map_delete_elem(&cpu_deferred, tid);
	if (busy && !*busy) {
		*busy = 1;
		if (unw_make_entry(key.pid, &lacking))
			__sync_fetch_and_add(&deferred_done, 1);
		key.user_stack = stack_capture_task_user();
		*busy = 0;
	} else {
		key.user_stack = STACK_ID_LOST;
	}
	cpu_count(&key);
	if (lacking)
		cpu_note_tables(key.pid);
	__sync_fetch_and_add(&deferred_ns, bpf_ktime_get_ns() - t0);
	return 0;
}

/*
 * Leave the user stack of this sample to cpu_deferred_run: true when the
 * task work is set, false to take it now.  Only for a process without an
 * entry that will return to user mode (not exiting), one sample a thread
 * at a time (a second one before the return is taken now).
 */
static __always_inline bool cpu_defer(struct cpu_key *key, __u32 tid)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct cpu_deferred *d;

	if (!cfi_unwind)
		return false;
	if (task->flags & (PF_EXITING | PF_KTHREAD) || !BPF_CORE_READ(task, mm))
		return false;
	if (bpf_map_update_elem(&cpu_deferred, &tid, key, BPF_NOEXIST))
		return false;	/* one waits already, or no room */
	d = bpf_map_lookup_elem(&cpu_deferred, &tid);
	if (!d)
		return false;
	if (bpf_task_work_schedule_resume_impl(task, &d->tw, &cpu_deferred, cpu_deferred_run,
					       NULL)) {
		bpf_map_delete_elem(&cpu_deferred, &tid);
		__sync_fetch_and_add(&deferred_fallback, 1);
		return false;
	}
	__sync_fetch_and_add(&deferred, 1);
	return true;
}

#endif /* CPU_DEFER */

static __always_inline int cpu_sample_body(struct bpf_perf_event_data *ctx, bool defer)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct cpu_key key = {};
	bool later = false;

	if (!target_match(tgid, tid)) {
		PART_T0(t_f);

		PART_ADD(PART_FILTERED, t_f);
		return 0;
	}

	PART_T0(t_all);
	PART_FLAGS_RESET();
	PART_T0(t_proc);

	key.pid = tgid;
	if (tgid) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		key.life = task_life(task);
#ifdef PART_TIMING
		if (bpf_ktime_get_ns() - BPF_CORE_READ(task, group_leader, start_time) < 20000000ULL)
			PART_FLAG(PF_YOUNG);
#endif
	}
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	PART_ADD(PART_PROC, t_proc);
#ifdef PART_TIMING
	if (user_stacks && !task_is_kthread()) {
		struct pt_regs *r = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
		__u64 w, sp = r ? BPF_CORE_READ(r, sp) : 0;
		PART_T0(t_touch);

		if (sp)
			bpf_probe_read_user(&w, sizeof(w), (void *)sp);
		PART_ADD(PART_TOUCH, t_touch);
	}
#endif
	/* the user stack: now, or at the return to user mode (later) */
#ifdef CPU_DEFER
	later = defer && cfi_unwind && user_stacks && tgid && !task_in_execve() &&
		!task_is_kthread() && unw_entry_wanted(tgid);
#endif
	if (user_stacks && !task_is_kthread() && !later)
		key.user_stack = stack_capture(ctx, 1);
	if (kernel_stacks && sample_in_kernel(ctx)) {
		PART_T0(t_kern);

		PART_FLAG(PF_KMODE);

		key.kern_stack = stack_capture(ctx, 0);
		PART_ADD(PART_KERN, t_kern);
	}
	PART_T0(t_ann);
	proc_announce(tgid);
	PART_ADD(PART_ANN, t_ann);
#ifdef CPU_DEFER
	if (later && cpu_defer(&key, tid))
		return 0;
#endif
	if (later)
		key.user_stack = stack_capture(ctx, 1);
	PART_T0(t_counts);
	cpu_count(&key);
	PART_ADD(PART_COUNTS, t_counts);
	PART_END(t_all);
	return 0;
}

#endif /* PROFILER_CPU_SAMPLE_BPF_H */
