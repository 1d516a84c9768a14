/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User stacks unwound with the binaries' .eh_frame, for code built without
 * frame pointers (Debian's libc): a frame-pointer walk stops at the first
 * such function, and every caller above it is lost.
 *
 * User space compiles each mapped binary's CFI into rows (include/unwind.h)
 * kept in an array of its own, one slot of the array of maps unw_rows, and
 * gives each process a sorted list of its
 * mappings with a table, unw_procs.  Here each frame costs two
 * fixed-length binary searches (mapping, then row) and two or three
 * reads of the user stack.  Where a frame has no row (JIT code, a gap
 * between functions) one frame-pointer step stands in for it.
 */
#ifndef PROFILER_UNWIND_BPF_H
#define PROFILER_UNWIND_BPF_H

#include "common.bpf.h"
#include "unwind.h"

/* Set by user space when tables are kept: --unwind dwarf, bpf_loop present. */
const volatile bool cfi_unwind = false;
/* --max-depth: frames kept of a stack; the stacks maps' values hold as many */
const volatile __u32 max_depth = MAX_STACK_DEPTH;

/* One binary's rows; each is sized to its table (BPF_F_INNER_MAP) */
struct unw_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	/* sizes, not types: clang writes a type seen only here as a forward */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct unwind_row));
};

/* Made by user space (src/runtime/unwind.c) and given to every object */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, UNWIND_MAX_TABLES);
	__type(key, __u32);
	__array(values, struct unw_table);
} unw_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);	/* resized by user space before load */
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* 2 KiB a process: allocated as used */
	__type(key, __u32);		/* tgid */
	__type(value, struct unwind_proc);
} unw_procs SEC(".maps");

#if defined(__TARGET_ARCH_x86)

#define UNW_STACK_SPAN	(64ULL << 20)	/* a frame-pointer chain deeper than this is not one */

struct unw_state {
	__u64 ip, sp, fp;
	struct unwind_proc *proc;
	struct stack_frames *buf;
#ifdef UNW_TASK_MEM
	struct task_struct *task;	/* another task, read with bpf_copy_from_user_task */
#endif
	__u32 nr;
	__u32 base;	/* the frame index bpf_loop's 0 stands for (unw_resume) */
};

/*
 * Read the unwound task's user memory: the current task's, or, in a
 * sleepable program that defines UNW_TASK_MEM (bpf/blocked.bpf.c, a task
 * iterator), another task's, which may fault pages in.
 */
static __always_inline long unw_read(struct unw_state *s, void *dst, __u32 size, __u64 addr)
{
#ifdef UNW_TASK_MEM
	return bpf_copy_from_user_task(dst, size, (void *)addr, s->task, 0);
#else
	return bpf_probe_read_user(dst, size, (void *)addr);
#endif
}

/*
 * 1 when a <= b, for a and b below 2^63 (user addresses are below 2^47):
 * the sign of their difference, without a branch the verifier would have
 * to follow both ways at every step of a search.
 */
static __always_inline __u64 unw_le(__u64 a, __u64 b)
{
	return ((b - a) >> 63) ^ 1;
}

/*
 * The searches are global functions: the verifier checks each once, on its
 * own, instead of at every place and every pass over the per-frame
 * callback that calls them.
 */

/* The index of p's mapping that holds ip, or -1. */
__noinline long unw_map_index(struct unwind_proc *p, __u64 ip)
{
	__u32 n, base = 0, len;
	struct unwind_map *m;
	int k;

	if (!p)
		return -1;
	n = len = p->nr;
	if (n == 0 || n > UNWIND_MAX_MAPS)
		return -1;
	/* the last map whose start is at or below ip; base + len <= n throughout */
	for (k = 0; k < UNWIND_MAP_SEARCH; k++) {
		__u32 half = len >> 1;
		__u32 mid = (base + half) & (UNWIND_MAX_MAPS - 1);

		base += half * unw_le(p->maps[mid].start, ip);
		len -= half;
	}
	base &= UNWIND_MAX_MAPS - 1;
	m = &p->maps[base];
	if (ip < m->start || ip >= m->end)
		return -1;
	return base;
}

/* The index in its slot of the row that covers ELF address pc among the
 * len rows of table (UNWIND_TABLE: a slot and its first row), or -1. */
__noinline long unw_row_index(__u32 table, __u32 len, __u64 pc)
{
	__u32 slot = table & UNWIND_SLOT_MASK, base = table >> UNWIND_SLOT_BITS;
	struct unwind_row *r;
	void *rows;
	int k;

	if (len == 0)
		return -1;
	rows = bpf_map_lookup_elem(&unw_rows, &slot);
	if (!rows)
		return -1;
	/* as many halvings as the table needs: libc's 2^15 rows take 15, not 24 */
	for (k = 0; k < UNWIND_ROW_SEARCH && len > 1; k++) {
		__u32 half = len >> 1, idx = base + half;

		r = bpf_map_lookup_elem(rows, &idx);
		if (!r)
			return -1;
		base += half * unw_le(r->pc, pc);
		len -= half;
	}
	r = bpf_map_lookup_elem(rows, &base);
	if (!r || r->pc > pc)
		return -1;
	return base;
}

/* The row of proc's tables that covers address pc, or NULL. */
static __always_inline struct unwind_row *unw_row_find(struct unwind_proc *proc, __u64 pc)
{
	struct unwind_row *r = NULL;
	long mi, ri;

	mi = proc ? unw_map_index(proc, pc) : -1;
	/* clang knows the range the callee returns; the verifier must see it checked */
	barrier_var(mi);
	if (proc && mi >= 0 && mi < UNWIND_MAX_MAPS) {
		struct unwind_map *m = &proc->maps[mi];
		__u32 idx, slot = m->table & UNWIND_SLOT_MASK;
		void *rows;

		ri = unw_row_index(m->table, m->row_count, pc - m->bias);
		idx = ri;
		rows = ri >= 0 ? bpf_map_lookup_elem(&unw_rows, &slot) : NULL;
		if (rows)
			r = bpf_map_lookup_elem(rows, &idx);
	}
	return r;
}

/* One frame-pointer step, for code without a row: 1 to go on, 0 to stop. */
static __always_inline int unw_fp_step(struct unw_state *s)
{
	__u64 fr[2];

	if (s->fp < s->sp || s->fp - s->sp > UNW_STACK_SPAN || (s->fp & 7))
		return 0;
	if (unw_read(s, fr, sizeof(fr), s->fp))
		return 0;
	s->sp = s->fp + 16;
	s->fp = fr[0];
	s->ip = fr[1];
	return 1;
}

/*
 * Go's C calls (UNW_GO_CGO): the goroutine's stack pointer from what
 * runtime.asmcgocall saved on the system stack, its depth below the top
 * of the goroutine's stack (g->stack.hi, g's second word); 0 when
 * unreadable.
 */
static __always_inline __u64 unw_go_cgo_cfa(struct unw_state *s, __s16 off)
{
	__u64 w[2], hi;

	if (off < 0 || unw_read(s, w, sizeof(w), s->sp + off))
		return 0;
	if (!w[1])
		return w[0] + 8;	/* called on the system stack: its own SP */
	if (unw_read(s, &hi, sizeof(hi), w[1] + 8) || hi < w[0])
		return 0;
	return hi - w[0] + 8;
}

/*
 * bpf_loop callback: record frame i, then find its caller.  The loop index
 * is the frame index, which the verifier bounds once rather than tracking
 * a counter through the state.
 */
static long unw_step(__u64 i, void *ctx)
{
	struct unw_state *s = ctx;
	struct stack_frames *buf = s->buf;
	struct unwind_proc *proc = s->proc;
	struct unwind_row *r;
	__u64 pc, cfa, ra;
	__u64 at = i + s->base;

	/* checked on the very register used: clang may otherwise test a copy */
	barrier_var(at);
	if (at >= MAX_STACK_DEPTH || !buf)
		return 1;
	buf->ips[at] = s->ip;
	s->nr = at + 1;

	/* a return address points after its call, maybe past the caller's end */
	pc = s->ip - (at ? 1 : 0);
	r = unw_row_find(proc, pc);
	if (!r || r->cfa == UNW_UNKNOWN)
		return unw_fp_step(s) && s->ip ? 0 : 1;

	switch (r->cfa) {
	case UNW_CFA_SP:
		cfa = s->sp + r->cfa_off;
		break;
	case UNW_CFA_FP:
		cfa = s->fp + r->cfa_off;
		break;
	case UNW_CFA_PLT:
		cfa = s->sp + r->cfa_off + ((s->ip & 15) >= 11 ? 8 : 0);
		break;
	case UNW_GO_CGO:
		cfa = unw_go_cgo_cfa(s, r->cfa_off);
		if (!cfa)
			return 1;
		break;
	default:
		return 1;	/* UNW_END: the outermost frame */
	}
	/* the caller's frame lies above this one (a switch of stacks aside):
	 * anything else is not a stack */
	if (r->cfa != UNW_GO_CGO && (cfa <= s->sp || cfa - s->sp > UNW_STACK_SPAN))
		return 1;
	if (unw_read(s, &ra, sizeof(ra), cfa - 8) || !ra)
		return 1;
	if (r->fp_off && unw_read(s, &s->fp, sizeof(s->fp), cfa + (__s64)r->fp_off * 8))
		return 1;
	s->sp = cfa;
	s->ip = ra;
	return 0;
}

/*
 * Unwind the current task's user stack into buf: the number of frames, or
 * -1 when the process has no tables or its first frame has none (the
 * caller then walks frame pointers as before).  A global function
 * (GLOBAL_FUNC).
 */
GLOBAL_FUNC int unw_user_stack(struct stack_frames *buf)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;
	struct unw_state s = {};
	__u32 nr, tgid = bpf_get_current_pid_tgid() >> 32;

	if (!cfi_unwind || !buf)
		return -1;
	s.proc = bpf_map_lookup_elem(&unw_procs, &tgid);
	if (!s.proc) {
		PART_FLAG(PF_NOTAB);
		return -1;
	}
	PART_FLAG(PF_TAB);
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs)
		return -1;
	s.ip = BPF_CORE_READ(regs, ip);
	s.sp = BPF_CORE_READ(regs, sp);
	s.fp = BPF_CORE_READ(regs, bp);
	if (unw_map_index(s.proc, s.ip) < 0)
		return -1;
	s.buf = buf;
	bpf_loop(max_depth, unw_step, &s, 0);
	nr = s.nr;
	barrier_var(nr);
	/* the mask (a power of two) bounds it where the verifier can see it */
	if (nr < max_depth)
		buf->ips[nr & (MAX_STACK_DEPTH - 1)] = 0;	/* user space reads up to the first 0 */
	else
		count_drop(DROP_TRUNCATED);
	return nr;
}

/*
 * A frame-pointer walk (fp_walk_user: a stack whose first frame has no row,
 * JIT code for one) ends at the first caller built without frame pointers,
 * above which every frame was lost: a node process's JIT samples ended at
 * libc's __libc_start_call_main, not _start.  The tables go on from the
 * walk's last frame, buf->ips[nr - 1], if the process has them: sp is that
 * frame's stack pointer (the CFA of the frame it returns from), fp the
 * frame pointer it gets back.  The new frame count (nr where no row helps).
 */
static __always_inline int unw_resume(struct stack_frames *buf, int nr, __u64 sp, __u64 fp)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct unw_state s = {};

	if (!cfi_unwind || nr < 2 || nr >= max_depth || nr > MAX_STACK_DEPTH)
		return nr;
	s.proc = bpf_map_lookup_elem(&unw_procs, &tgid);
	if (!s.proc)
		return nr;
	s.base = nr - 1;
	s.ip = buf->ips[s.base & (MAX_STACK_DEPTH - 1)];
	s.sp = sp;
	s.fp = fp;
	s.buf = buf;
	s.nr = nr;
	bpf_loop(max_depth - s.base, unw_step, &s, 0);
	return s.nr > (__u32)nr ? s.nr : nr;
}

#ifdef UNW_TASK_MEM
/*
 * Another task's user stack, from the registers it saved when it entered
 * the kernel: with its process's tables where it has them, by frame
 * pointers (one step a frame, as for code without rows) where it has none.
 * The number of frames, or 0.
 */
static __always_inline int unw_task_stack(struct task_struct *task, struct stack_frames *buf)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct unw_state s = {};
	__u32 nr, tgid = task->tgid;

	if (!regs)
		return 0;
	s.proc = cfi_unwind ? bpf_map_lookup_elem(&unw_procs, &tgid) : NULL;
	s.ip = BPF_CORE_READ(regs, ip);
	s.sp = BPF_CORE_READ(regs, sp);
	s.fp = BPF_CORE_READ(regs, bp);
	s.task = task;
	s.buf = buf;
	if (!s.ip)
		return 0;
	bpf_loop(max_depth, unw_step, &s, 0);
	nr = s.nr;
	barrier_var(nr);
	if (nr < max_depth)
		buf->ips[nr & (MAX_STACK_DEPTH - 1)] = 0;
	else
		count_drop(DROP_TRUNCATED);
	return nr;
}
#endif

#else /* no tables for this architecture: frame pointers only */

static __always_inline int unw_user_stack(struct stack_frames *buf)
{
	return -1;
}

static __always_inline int unw_resume(struct stack_frames *buf, int nr, __u64 sp, __u64 fp)
{
	return nr;
}

#ifdef UNW_TASK_MEM
static __always_inline int unw_task_stack(struct task_struct *task, struct stack_frames *buf)
{
	return 0;	/* no saved-register layout known here: no user stack */
}
#endif

#endif

#endif /* PROFILER_UNWIND_BPF_H */
