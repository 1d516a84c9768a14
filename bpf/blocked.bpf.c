// SPDX-License-Identifier: GPL-2.0
/*
 * Threads that are off the CPU right now: a sleepable task iterator run by
 * user space at the start and at the end of an offcpu, wall or lock
 * profile.  A thread blocked since before the run (the stuck thread of a
 * hung service) never passes through sched_switch or sys_exit while it is
 * profiled, so the collectors' own programs cannot see it.
 *
 * For each target thread that is blocked (not running, not on a CPU on its
 * way out) it takes the kernel stack (bpf_get_task_stack), the user stack
 * from the registers the thread saved on entering the kernel, unwound with
 * the .eh_frame tables (bpf/unwind.bpf.h, reading the thread's memory with
 * bpf_copy_from_user_task, hence sleepable), the system call and its
 * arguments, and for a futex wait on a glibc mutex the owner's tid.  One
 * struct blocked_rec per thread goes to the iterator's seq_file.
 *
 * At the start it also parks the thread in the collector's own map
 * (offcpu's "start", lock's "uwaits": reused by fd) with the time of the
 * start, so that the collector's switch-in or sys_exit program ends the
 * wait as if it had begun at the start of the run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#define UNW_TASK_MEM
#include "blocked.h"
#include "life.bpf.h"
#include "lock.h"
#include "offcpu.h"
#include "stacks.bpf.h"
#include "targets.bpf.h"

#define TASK_RUNNING		0x0000
#define FUTEX_WAIT		0
#define FUTEX_LOCK_PI		6
#define FUTEX_WAIT_BITSET	9
#define FUTEX_WAIT_REQUEUE_PI	11
#define FUTEX_LOCK_PI2		13
#define FUTEX_CMD_MASK		0x7f
#define FUTEX_TID_MASK		0x3fffffff
#define LLL_LOCK_CONTENDED	2	/* glibc: the value a mutex waiter sleeps on */
#define MUTEX_OWNER_OFF		8	/* glibc: pthread_mutex_t.__data.__owner */

const volatile int mode = BLOCKED_MODE_REPORT;
const volatile long futex_nr = 202;	/* set from SYS_futex by user space */
/* Set by user space before the first run, cleared for the one at the end. */
bool park = false;

/* The collectors' maps, reused by fd: only the one of mode is used. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct offcpu_start);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lock_uwait);
} uwaits SEC(".maps");

/* Per-CPU scratch: the record and the parked entry are large for the stack. */
struct scratch {
	struct blocked_rec rec;
	struct offcpu_start os;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} blk_scratch SEC(".maps");

/* The futex wait a thread is in (from its syscall arguments): LOCK_F_* or 0. */
static __always_inline __u32 futex_wait_flags(struct blocked_rec *r, struct task_struct *task)
{
	__u32 op, word = 0;

	if (!(r->flags & BLOCKED_F_SYSCALL) || r->syscall != futex_nr)
		return 0;
	op = r->args[1] & FUTEX_CMD_MASK;
	switch (op) {
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
		/* a PI futex word is the owner's tid, and flag bits */
		if (!bpf_copy_from_user_task(&word, sizeof(word), (void *)r->args[0], task, 0))
			r->owner = word & FUTEX_TID_MASK;
		return LOCK_F_FUTEX | LOCK_F_PI;
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
	case FUTEX_WAIT_REQUEUE_PI:
		/* glibc's lock wait sleeps on 2 ("locked, with waiters"); the
		 * owner's tid is then in __owner.  User space checks that it
		 * is a thread of the process before believing it. */
		if (r->args[2] == LLL_LOCK_CONTENDED &&
		    !bpf_copy_from_user_task(&word, sizeof(word),
					     (void *)(r->args[0] + MUTEX_OWNER_OFF), task, 0))
			r->owner = word;
		return LOCK_F_FUTEX;
	}
	return 0;
}

/*
 * How long the thread has been off the CPU.  se.exec_start is its
 * runqueue's clock (clock_task) when it last stopped running; the same
 * field of the running task (this iterator's) is that clock now, less at
 * most a scheduler tick.  The runqueue itself (runqueues) is not reachable
 * without CONFIG_KALLSYMS_ALL.
 */
static __always_inline void off_since(struct blocked_rec *r, struct task_struct *task)
{
	struct task_struct *me = bpf_get_current_task_btf();
	__u64 now, left;

	now = me->se.exec_start;
	left = task->se.exec_start;
	if (left && left <= now) {
		r->off_ns = now - left;
		r->flags |= BLOCKED_F_SINCE;
	}
}

/* Park the thread in the collector's map as if it had blocked now. */
static __always_inline void park_thread(struct scratch *sc, struct task_struct *task)
{
	struct blocked_rec *r = &sc->rec;
	__u32 tid = r->tid;
	struct lock_uwait w = {}, *wp;
	struct offcpu_start *op;

	if (mode == BLOCKED_MODE_OFFCPU) {
		sc->os.ts = r->now_ns;
		sc->os.run_ns = 0;	/* not known: a missed switch-in cannot be told */
		sc->os.key.pid = r->pid;
		sc->os.key.life = r->life;
		__builtin_memcpy(sc->os.key.comm, r->comm, sizeof(r->comm));
		sc->os.key.user_stack = r->user_stack;
		sc->os.key.kern_stack = r->kern_stack;
		/* a thread the switch program parked meanwhile keeps its own entry */
		if (bpf_map_update_elem(&start, &tid, &sc->os, BPF_NOEXIST))
			return;
	} else if (mode == BLOCKED_MODE_LOCK && r->lock_flags) {
		w.ts = r->now_ns;
		w.addr = r->args[0];
		w.flags = r->lock_flags;
		w.owner = r->owner;
		if (bpf_map_update_elem(&uwaits, &tid, &w, BPF_NOEXIST))
			return;
	} else {
		return;
	}
	r->flags |= BLOCKED_F_PARKED;
	/* Woken between the look at its state and the update: its switch-in
	 * (or sys_exit) may have come before the entry did, and the entry
	 * would then count to the end.  Take it back unless it is gone or the
	 * collector's own; what is lost is the few microseconds in between. */
	if (task->__state != TASK_RUNNING && !task->on_rq)
		return;
	if (mode == BLOCKED_MODE_OFFCPU) {
		op = bpf_map_lookup_elem(&start, &tid);
		if (op && op->ts == r->now_ns)
			bpf_map_delete_elem(&start, &tid);
	} else {
		wp = bpf_map_lookup_elem(&uwaits, &tid);
		if (wp && wp->ts == r->now_ns)
			bpf_map_delete_elem(&uwaits, &tid);
	}
	r->flags &= ~BLOCKED_F_PARKED;
}

SEC("iter.s/task")
int blocked_tasks(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct stack_frames *buf;
	struct blocked_rec *r;
	struct scratch *sc;
	__u32 zero = 0, one = 1;
	long len;
	int nr;

	if (!task)
		return 0;
	if (!target_match_task(task->tgid, task->pid, task))
		return 0;
	/* running or runnable, exiting, or still on a CPU on its way to sleep
	 * (the switch program takes that one) */
	if (task->__state == TASK_RUNNING || task->exit_state || task->on_cpu ||
	    (task->flags & PF_KTHREAD))
		return 0;
	sc = bpf_map_lookup_elem(&blk_scratch, &zero);
	if (!sc)
		return 0;
	r = &sc->rec;
	__builtin_memset(r, 0, sizeof(*r));
	r->pid = task->tgid;
	r->tid = task->pid;
	r->state = task->__state;
	r->now_ns = bpf_ktime_get_ns();
	r->syscall = BLOCKED_NO_SYSCALL;
	r->switches = task->nvcsw + task->nivcsw;
	r->life = task_life(task);
	bpf_probe_read_kernel_str(r->comm, sizeof(r->comm), task->comm);
	off_since(r, task);

#if defined(__TARGET_ARCH_x86)
	/* the system call it is in: orig_ax is -1 outside one */
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	if (regs) {
		long nr_sys = BPF_CORE_READ(regs, orig_ax);

		r->user_ip = PT_REGS_IP_CORE(regs);
		if (nr_sys >= 0) {
			r->flags |= BLOCKED_F_SYSCALL;
			r->syscall = nr_sys;
			r->args[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
			r->args[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
			r->args[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
		}
	}
#endif
	r->lock_flags = futex_wait_flags(r, task);

	buf = bpf_map_lookup_elem(&stack_buf, &one);
	if (buf) {
		len = bpf_get_task_stack(task, buf->ips, sizeof(buf->ips), 0);
		if (len > 0)
			r->kern_stack = stack_store(buf, len / sizeof(__u64), 0);
		else if (len < 0)
			count_drop(DROP_KERN_STACK_FAULT);
	}
	buf = bpf_map_lookup_elem(&stack_buf, &zero);
	if (buf) {
		nr = unw_task_stack(task, buf);
		if (nr > 0)
			r->user_stack = stack_store(buf, nr, 1);
	}
	proc_announce_task(r->pid, task);
	if (park)
		park_thread(sc, task);
	bpf_seq_write(seq, r, sizeof(*r));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
