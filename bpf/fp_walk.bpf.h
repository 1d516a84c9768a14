/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user stack by frame pointers, walked here instead of by
 * bpf_get_stack(BPF_F_USER_STACK).
 *
 * The kernel's walk reads whatever the frame pointer register holds and
 * follows it: code built without frame pointers (most of Debian: libc, a
 * compiler's cc1) keeps data in rbp, and each such word read is a fault
 * taken and fixed up in the kernel, or a frame of garbage that makes the
 * stack unique.  Under process churn on this machine's VM that walk cost
 * 8-10 µs a sample.  Here a frame pointer is read only when it lies above
 * the last frame, within USER_STACK_SPAN of it and aligned, and each frame
 * is one 16-byte read (saved frame pointer and return address together),
 * so a chain that is not one ends before it is read.
 */
#ifndef PROFILER_FP_WALK_BPF_H
#define PROFILER_FP_WALK_BPF_H

#include "common.bpf.h"
#include "unwind.bpf.h"

/* Set by user space where bpf_loop and bpf_task_pt_regs exist. */
const volatile bool fp_walk = false;

#define FP_WALK_SPAN	(64ULL << 20)	/* a chain deeper than this above sp is not a stack */

struct fp_walk_state {
	struct stack_frames *buf;
	__u64 fp, lo;
	__u32 nr;
};

/* bpf_loop callback: frame i + 1 from the frame at fp; 1 to stop. */
static long fp_walk_step(__u64 i, void *ctx)
{
	struct fp_walk_state *w = ctx;
	__u64 at = i + 1, fr[2];

	barrier_var(at);
	if (at >= MAX_STACK_DEPTH || !w->buf)
		return 1;
	if (w->fp < w->lo || w->fp - w->lo > FP_WALK_SPAN || (w->fp & 7))
		return 1;
	if (bpf_probe_read_user(fr, sizeof(fr), (void *)w->fp) || !fr[1])
		return 1;
	w->buf->ips[at] = fr[1];
	w->nr = at + 1;
	w->lo = w->fp + sizeof(fr);
	w->fp = fr[0];
	return 0;
}

/*
 * The current task's user stack into buf by frame pointers: the number of
 * frames, 0 when it has none (a kernel thread), -1 when it cannot be
 * walked here (the caller then asks bpf_get_stack()).  Where the chain
 * breaks (a caller without frame pointers), .eh_frame's rows go on if the
 * process has tables (unw_resume).  A global function
 * (GLOBAL_FUNC).
 */
GLOBAL_FUNC int fp_walk_user(struct stack_frames *buf)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;
	struct fp_walk_state w = {};

	if (!fp_walk || !buf)
		return -1;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs)
		return -1;
	buf->ips[0] = PT_REGS_IP_CORE(regs);
	if (!buf->ips[0])
		return 0;
	w.lo = PT_REGS_SP_CORE(regs);
	w.fp = PT_REGS_FP_CORE(regs);
	w.buf = buf;
	w.nr = 1;
	if (max_depth > 1)
		bpf_loop(max_depth - 1, fp_walk_step, &w, 0);
	/* where the chain broke, the process's tables may go on */
	return unw_resume(buf, w.nr, w.lo, w.fp);
}

#endif /* PROFILER_FP_WALK_BPF_H */
