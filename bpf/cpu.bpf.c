// SPDX-License-Identifier: GPL-2.0
/*
 * On-CPU sampling: a software cpu-clock perf event on every CPU runs this
 * program; samples are counted in the kernel per (process, user stack,
 * kernel stack, comm), so user space reads one entry per unique stack
 * instead of one record per sample.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cpu.h"
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

SEC("perf_event")
int cpu_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct cpu_key key = {};
	__u64 one = 1, *val;
	int err;

	if (!target_match(tgid, tid))
		return 0;

	key.pid = tgid;
	if (tgid) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		key.life = LIFE_TAG(BPF_CORE_READ(task, group_leader, start_time));
	}
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	if (user_stacks && !task_is_kthread())
		key.user_stack = stack_capture(ctx, 1);
	if (kernel_stacks)
		key.kern_stack = stack_capture(ctx, 0);
	proc_announce(tgid);

	val = bpf_map_lookup_elem(&counts, &key);
	if (val) {
		__sync_fetch_and_add(val, 1);
		return 0;
	}
	err = map_update_err(bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST));
	if (err == -EEXIST) {
		val = bpf_map_lookup_elem(&counts, &key);
		if (val)
			__sync_fetch_and_add(val, 1);
	} else if (err) {
		count_drop(DROP_COUNTS_FULL);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
