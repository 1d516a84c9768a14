// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of a CPU sample, for the BPF time per sample under churn
 * (scripts/bench/churn_bpf.sh): what any sampler that takes the
 * interrupted thread's user and kernel stacks from BPF pays at least.
 *  - the first read of the process's stack, 8 bytes at its user stack
 *    pointer: on this VM a young process's first touch of that page is
 *    most of a sample's cost (docs/performance.md);
 *  - for a sample that interrupted the kernel, the kernel's own walk of
 *    its stack (bpf_get_stack), 127 frames at most, as perf's.
 * Nothing is kept: a sum only, so that the compiler keeps the read.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define FLOOR_KDEPTH	127
#define PF_KTHREAD	0x00200000	/* include/linux/sched.h: not in BTF */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[FLOOR_KDEPTH]);
} kbuf SEC(".maps");

__u64 sink;

SEC("perf_event")
int floor_sample(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	/* the interrupted registers by their UAPI index, as cpu_sample reads them */
	const volatile __u64 *regs = (const volatile __u64 *)ctx;
	struct pt_regs *uregs;
	__u64 w = 0, sp;
	__u32 zero = 0;
	void *buf;

	if ((regs[17] & 3) == 0) {	/* cs: the kernel was interrupted */
		buf = bpf_map_lookup_elem(&kbuf, &zero);
		if (buf)
			w += bpf_get_stack(ctx, buf, FLOOR_KDEPTH * sizeof(__u64), 0);
	}
	if (task->flags & PF_KTHREAD)
		goto out;
	uregs = (struct pt_regs *)bpf_task_pt_regs(task);
	sp = BPF_CORE_READ(uregs, sp);
	if (sp)
		bpf_probe_read_user(&w, sizeof(w), (void *)sp);
out:
	__sync_fetch_and_add(&sink, w);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
