// SPDX-License-Identifier: GPL-2.0
/*
 * Off-CPU time: at sched_switch the task leaving the CPU is still current,
 * so its user and kernel stacks are taken then and kept per thread; when
 * the thread is switched back in, the time it spent away is added to a
 * kernel-side aggregation keyed like the cpu collector's.
 *
 * Context switches can pass a million per second machine-wide, so every
 * switch first goes through target_match and the state test, and only a
 * target thread that blocks pays for its stacks.  The switch-in side is a
 * single lookup by thread id in a map that only holds blocked targets.
 *
 * The same body is attached as tp_btf (cheapest: typed arguments, direct
 * reads) or, where the kernel refuses tracing programs, as raw_tp.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "life.bpf.h"
#include "offcpu.h"
#include "stacks.bpf.h"
#include "targets.bpf.h"

#define TASK_RUNNING	0x0000
#define TASK_DEAD	0x0080	/* include/linux/sched.h: not in BTF */
#define TASK_STOPPED_BITS	(0x0004 | 0x0008)	/* __TASK_STOPPED, __TASK_TRACED */
/* bpf_trace_runN and the program itself, above __schedule in kernel stacks */
#define TRACE_FRAMES	2

const volatile bool all_states = false;	/* count preemption too, not only blocking */
const volatile __u64 min_block_ns = 0;
const volatile __u64 max_block_ns = ~0ULL;

/* Threads off the CPU now, by thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);	/* resized by user space before load */
	__type(key, __u32);
	__type(value, struct offcpu_start);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);	/* resized by user space before load */
	__type(key, struct cpu_key);
	__type(value, struct offcpu_val);
} counts SEC(".maps");

/* Kernels before 5.14 call the field "state". */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline unsigned int task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

/*
 * Switch-ins this program never saw, found at the thread's next switch-out:
 * on some kernels a switch away from certain threads does not reach the
 * tracepoint's programs (on this project's test VM, from the host agent's
 * threads: 1 wait in ~700 of a thread sleeping 2 ms at a time).  Read by
 * user space for -v.
 */
__u64 missed_switch_ins = 0;

/* Per-CPU scratch: struct offcpu_start does not fit the 512-byte BPF stack well. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct offcpu_start);
} scratch SEC(".maps");

/* delta ns off the CPU for key, if --min-block and --max-block let it count */
static __always_inline void add_wait(const struct cpu_key *key, __u64 delta)
{
	struct offcpu_val one = { delta, 1 }, *v;

	if (delta < min_block_ns || delta > max_block_ns)
		return;
	v = bpf_map_lookup_elem(&counts, key);
	if (!v) {
		if (!bpf_map_update_elem(&counts, key, &one, BPF_NOEXIST))
			return;
		/* another CPU created it meanwhile, or the map is full */
		v = bpf_map_lookup_elem(&counts, key);
		if (!v) {
			count_drop(DROP_COUNTS_FULL);
			return;
		}
	}
	__sync_fetch_and_add(&v->ns, delta);
	__sync_fetch_and_add(&v->count, 1);
}

/*
 * An entry still here when its thread leaves the CPU again: the thread was
 * switched back in without this program seeing it.  Its wait ended at that
 * switch-in, and it has been on the CPU since for as long as its run time
 * grew, so it was off the CPU for the time between the two switch-outs less
 * that.  An entry parked by user space (run_ns 0) cannot be told: it goes.
 */
static __always_inline void missed_switch_in(__u32 tid, struct offcpu_start *old,
					     struct task_struct *prev, __u64 now)
{
	__u64 run = BPF_CORE_READ(prev, se.sum_exec_runtime), wall = now - old->ts;

	__sync_fetch_and_add(&missed_switch_ins, 1);
	if (old->run_ns && now > old->ts && run >= old->run_ns && run - old->run_ns <= wall)
		add_wait(&old->key, wall - (run - old->run_ns));
	bpf_map_delete_elem(&start, &tid);
}

static __always_inline void switch_out(void *ctx, bool preempt, struct task_struct *prev)
{
	__u32 tgid = BPF_CORE_READ(prev, tgid), tid = BPF_CORE_READ(prev, pid);
	unsigned int state;
	struct offcpu_start *s, *old;
	__u32 zero = 0;

	/* prev is current here, but said so: its cgroup is the one that counts */
	if (!target_match_task(tgid, tid, prev))
		return;
	/* before the state's tests: an exit or a preemption ends it too */
	old = bpf_map_lookup_elem(&start, &tid);
	if (old)
		missed_switch_in(tid, old, prev, bpf_ktime_get_ns());
	state = task_state(prev);
	if (state & TASK_DEAD)
		return;		/* exiting: it will never be switched back in */
	/* stopped by a signal or a tracer (Ctrl-Z, a debugger, our own hold of
	 * -- COMMAND at its entry point): not a wait of the program's own */
	if (state & TASK_STOPPED_BITS)
		return;
	if (!all_states && (preempt || state == TASK_RUNNING))
		return;		/* preempted, still runnable: not waiting on anything */
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return;
	/* prev is current here: bpf_get_stack() unwinds the task going to sleep */
	s->key.pid = tgid;
	s->key.life = task_life((struct task_struct *)bpf_get_current_task());
	bpf_get_current_comm(s->key.comm, sizeof(s->key.comm));
	s->key.user_stack = task_is_kthread() ? STACK_ID_NONE : stack_capture(ctx, 1);
	s->key.kern_stack = stack_capture_skip(ctx, 0, TRACE_FRAMES);
	s->ts = bpf_ktime_get_ns();
	s->run_ns = BPF_CORE_READ(prev, se.sum_exec_runtime);
	proc_announce(tgid);
	if (bpf_map_update_elem(&start, &tid, s, BPF_ANY))
		count_drop(DROP_COUNTS_FULL);
}

static __always_inline void switch_in(struct task_struct *next)
{
	__u32 tid = BPF_CORE_READ(next, pid);
	struct offcpu_start *s;

	s = bpf_map_lookup_elem(&start, &tid);
	if (!s)
		return;
	add_wait(&s->key, bpf_ktime_get_ns() - s->ts);
	bpf_map_delete_elem(&start, &tid);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	switch_out(ctx, preempt, prev);
	switch_in(next);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	switch_out(ctx, preempt, prev);
	switch_in(next);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
