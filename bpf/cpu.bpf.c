// SPDX-License-Identifier: GPL-2.0
/*
 * On-CPU sampling: a software cpu-clock perf event on every CPU runs this
 * program; samples are counted in the kernel per (process, user stack,
 * kernel stack, comm), so user space reads one entry per unique stack
 * instead of one record per sample.
 *
 * The counts go to whichever of two maps counts_sel points at.  User space
 * drains one while the other fills: it swaps the pointer (the update
 * returns only once no program still runs with the old map, as for any
 * map-in-map update) and reads and empties the old map at leisure, so a
 * long run never fills the kernel's map and no increment races a delete.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cpu.h"
#include "life.bpf.h"
#include "stacks.bpf.h"
#include "targets.bpf.h"

const volatile bool user_stacks = true;
const volatile bool kernel_stacks = true;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
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

SEC("perf_event")
int cpu_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct cpu_key key = {};
	__u64 one = 1, *val;
	__u32 zero = 0;
	void *counts_now;
	int err;

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
	if (user_stacks && !task_is_kthread())
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
	PART_T0(t_counts);

	counts_now = bpf_map_lookup_elem(&counts_sel, &zero);
	if (!counts_now) {
		count_drop(DROP_COUNTS_FULL);
		return 0;
	}
	val = bpf_map_lookup_elem(counts_now, &key);
	if (val) {
		__sync_fetch_and_add(val, 1);
		PART_ADD(PART_COUNTS, t_counts);
		PART_END(t_all);
		return 0;
	}
	err = map_update_err(bpf_map_update_elem(counts_now, &key, &one, BPF_NOEXIST));
	if (!err) {
		PART_FLAG(PF_NEWKEY);
		__sync_fetch_and_add(&counts_added, 1);
	} else if (err == -EEXIST) {
		val = bpf_map_lookup_elem(counts_now, &key);
		if (val)
			__sync_fetch_and_add(val, 1);
	} else {
		count_drop(DROP_COUNTS_FULL);
	}
	PART_ADD(PART_COUNTS, t_counts);
	PART_END(t_all);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
