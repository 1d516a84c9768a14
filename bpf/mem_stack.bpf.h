/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user stack at an allocator's entry, remembered per thread.
 *
 * An unwind is a function of the registers it starts from and of the
 * stack words it reads: with the same ip, sp and fp, and the same values
 * in the same words, it reads nothing else and makes the same frames.
 * A thread that allocates in a loop calls malloc from the same few places
 * at the same depth, so each walk here also notes which words it read,
 * and the thread keeps {registers, words, stack id} in a few slots of its
 * task storage.  The next call from there reads the stack once
 * (one bpf_probe_read_user of the span those words lie in), compares the
 * words, and has its stack id: no table searches, no hashing, no lookup
 * in the stacks map.  A word that differs is a miss and a new walk.
 *
 * Only what is a function of those inputs is remembered: a walk that
 * failed to read a word, or went through code without a row (JIT code,
 * or a library whose tables are not loaded yet: a frame-pointer step
 * stands in for the rows that may come later), is walked again at the
 * next call; one through a Go C call (words off this stack) is left to
 * the general unwinder, for a while.  The allocator's own frame needs no
 * row: at its first instruction the caller's return address is at [sp].
 * Slots hold the thread's exec count: after exec the process has other
 * tables.
 */
#ifndef PROFILER_MEM_STACK_BPF_H
#define PROFILER_MEM_STACK_BPF_H

#include "stacks.bpf.h"

#define MEM_SC_SLOTS	8	/* remembered stacks per thread (a power of two) */
#define MEM_SC_WORDS	32	/* words a remembered stack is checked by */
#define MEM_SC_SPAN	4096	/* bytes above sp those words may lie in */
#define MEM_SC_RETRY	1024	/* calls a "general unwinder" slot stands for */

enum { SC_EMPTY, SC_STACK, SC_GENERAL };

struct mem_sc_slot {
	__u64 ip, sp, fp;	/* the registers at the allocator's entry */
	__u64 exec_id;		/* the thread's self_exec_id */
	__u64 id;		/* SC_STACK: the stack id */
	__u16 kind;
	__u16 truncated;	/* counted as truncated again at each use */
	__u16 n;		/* words to compare */
	__u16 span;		/* bytes to read from sp to compare them */
	__u32 uses;		/* SC_GENERAL: calls left before a new walk */
	__u32 site;		/* SC_STACK: its site's index + 1 once known (see below) */
	__u16 idx[MEM_SC_WORDS];	/* the words' index above sp, in 8-byte words */
	__u64 val[MEM_SC_WORDS];
};

struct mem_sc {
	struct mem_sc_slot slot[MEM_SC_SLOTS];
};

/* Per CPU: the stack words read for a check, and a count of such reads. */
struct mem_sc_read {
	__u64 gen;
	__u64 words[MEM_SC_SPAN / 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mem_sc_read);
} mem_sc_buf SEC(".maps");

#define SC_UNSURE	0xffff	/* n of a walk that cannot be remembered */

/*
 * Note that the walk read w at addr; a word it cannot keep makes the walk
 * one that cannot be remembered.  The verdict stays in the slot, not in a
 * register, so that the verifier's states at each frame stay alike.
 */
static __always_inline void sc_note(struct mem_sc_slot *s, __u64 addr, __u64 w)
{
	__u64 off = addr - s->sp;
	__u32 n = s->n;

	if (off >= MEM_SC_SPAN || (off & 7) || n >= MEM_SC_WORDS) {
		s->n = SC_UNSURE;
		return;
	}
	s->idx[n] = off / 8;
	s->val[n] = w;
	s->n = n + 1;
	if (off + 8 > s->span)
		s->span = off + 8;
}

/* The slot's stack id if the thread's stack still holds its words, else 0. */
static __always_inline __u64 sc_check(struct mem_sc_slot *s)
{
	__u32 zero = 0, span = s->span, n = s->n, i;
	struct mem_sc_read *r = bpf_map_lookup_elem(&mem_sc_buf, &zero);
	__u64 gen;

	if (!r || span == 0 || span > MEM_SC_SPAN)
		return 0;
	gen = ++r->gen;
	if (bpf_probe_read_user(r->words, span, (void *)s->sp))
		return 0;
	for (i = 0; i < MEM_SC_WORDS; i++) {
		if (i >= n)
			break;
		if (r->words[s->idx[i] & (MEM_SC_SPAN / 8 - 1)] != s->val[i])
			return 0;
	}
	/* another program on this CPU, run in between, would have read its own */
	if (r->gen != gen)
		return 0;
	if (s->truncated)
		count_drop(DROP_TRUNCATED);
	return s->id;
}

/* ---- the walks, as stacks.bpf.h and unwind.bpf.h make them, noting words ---- */

/*
 * stack_entry_walk()'s note: the words of a frame-pointer walk.  A failed
 * read (addr 0) lies off the span, which makes the walk one that cannot be
 * remembered, with no branch of its own: one per word read would multiply
 * the verifier's states at every frame.
 */
static __always_inline void sc_note_fp(void *arg, __u64 addr, __u64 w)
{
	sc_note(arg, addr, w);
}

/*
 * By frame pointers from the allocator's first instruction, as
 * stack_capture_entry() does, noting words: the stack id, or STACK_ID_LOST.
 */
static __always_inline __u64 sc_walk_fp(struct mem_sc_slot *s, struct stack_frames *buf,
					__u16 *truncated)
{
	__u32 nr;
	__u64 id = stack_entry_walk(buf, s->ip, s->sp, s->fp, sc_note_fp, s, &nr);

	*truncated = nr >= max_depth;
	return id;
}

#if defined(__TARGET_ARCH_x86)

struct sc_cfi {
	__u64 ip, sp, fp;
	struct unwind_proc *proc;
	struct stack_frames *buf;
	struct mem_sc_slot *slot;
	__u32 nr;
	__u32 general;	/* met what only the general unwinder does */
};

/*
 * bpf_loop callback: unw_step() for the rows it handles, noting words.
 *
 * Frame 0 is the allocator's first instruction (a uprobe at its entry):
 * there the return address is at [sp] and the CFA is sp + 8 whatever the
 * table says, and the frame pointer is still the caller's.  That rule is
 * used for it, not its row: a binary without rows there (libc's table cut
 * by the time limit, or code without CFI) would otherwise take a
 * frame-pointer step from the caller's frame pointer and skip the caller.
 * Further frames without a row take that frame-pointer step, as
 * unw_step() does; such a walk is not remembered (the rows may come).
 */
static long sc_cfi_step(__u64 i, void *ctx)
{
	struct sc_cfi *w = ctx;
	struct stack_frames *buf = w->buf;
	struct unwind_row *r;
	__u64 cfa, ra, at = i, fr[2];
	__s8 fp_off = 0;

	barrier_var(at);
	if (at >= MAX_STACK_DEPTH || !buf || !w->slot)
		return 1;
	buf->ips[at] = w->ip;
	w->nr = at + 1;
	if (at == 0) {
		cfa = w->sp + 8;
		goto read;
	}
	/* a return address points after its call, maybe past the caller's end */
	r = unw_row_find(w->proc, w->ip - 1);
	if (!r || r->cfa == UNW_UNKNOWN) {
		w->slot->n = SC_UNSURE;
		if (w->fp < w->sp || w->fp - w->sp > UNW_STACK_SPAN || (w->fp & 7) ||
		    bpf_probe_read_user(fr, sizeof(fr), (void *)w->fp))
			return 1;
		w->sp = w->fp + 16;
		w->fp = fr[0];
		w->ip = fr[1];
		return w->ip ? 0 : 1;
	}
	switch (r->cfa) {
	case UNW_CFA_SP:
		cfa = w->sp + r->cfa_off;
		break;
	case UNW_CFA_FP:
		cfa = w->fp + r->cfa_off;
		break;
	case UNW_CFA_PLT:
		cfa = w->sp + r->cfa_off + ((w->ip & 15) >= 11 ? 8 : 0);
		break;
	case UNW_END:
		return 1;
	default:
		w->general = 1;	/* Go's system stack */
		return 1;
	}
	fp_off = r->fp_off;
read:
	if (cfa <= w->sp || cfa - w->sp > UNW_STACK_SPAN)
		return 1;
	if (bpf_probe_read_user(&ra, sizeof(ra), (void *)(cfa - 8))) {
		w->slot->n = SC_UNSURE;
		return 1;
	}
	sc_note(w->slot, cfa - 8, ra);
	if (!ra)
		return 1;
	if (fp_off) {
		__u64 at_fp = cfa + (__s64)fp_off * 8;

		if (bpf_probe_read_user(&w->fp, sizeof(w->fp), (void *)at_fp)) {
			w->slot->n = SC_UNSURE;
			return 1;
		}
		sc_note(w->slot, at_fp, w->fp);
	}
	w->sp = cfa;
	w->ip = ra;
	return 0;
}

/*
 * The stack from .eh_frame, noting words: the number of frames, or -1 when
 * the general unwinder must make it (no tables for the process, or a frame
 * only it handles).  The first frame needs no row (sc_cfi_step()).
 */
static __always_inline int sc_walk_cfi(struct mem_sc_slot *s, struct stack_frames *buf)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sc_cfi w = {};

	w.proc = bpf_map_lookup_elem(&unw_procs, &tgid);
	if (!w.proc)
		return -1;
	w.ip = s->ip;
	w.sp = s->sp;
	w.fp = s->fp;
	w.buf = buf;
	w.slot = s;
	bpf_loop(max_depth, sc_cfi_step, &w, 0);
	if (w.general)
		return -1;
	return w.nr;
}

#else

static __always_inline int sc_walk_cfi(struct mem_sc_slot *s, struct stack_frames *buf)
{
	return -1;
}

#endif

/*
 * Keep a walked stack, as unw_user_stack() and stack_store() do, with the
 * thread's Python frames after it when python (a constant at each call).
 */
static __always_inline __u64 sc_keep(struct stack_frames *buf, __u32 nr, __u16 *truncated,
				     bool python)
{
	*truncated = nr >= max_depth;
	if (nr < max_depth)
		buf->ips[nr & (MAX_STACK_DEPTH - 1)] = 0;	/* user space reads up to the first 0 */
	else
		count_drop(DROP_TRUNCATED);
	return stack_store_as(buf, nr, 1, python);
}

/* What the general unwinders make of it: .eh_frame, else frame pointers. */
static __always_inline __u64 sc_general(struct pt_regs *regs)
{
	__u64 id = stack_capture_cfi();

	if (id == STACK_ID_NONE)
		id = stack_capture_entry(regs);
	return id;
}

/*
 * A CPython process's stack: its native frames, then its Python frames.
 * The native words do not tell its Python functions apart (each allocates
 * from the same _PyEval_EvalFrameDefault frame), so it is walked at every
 * call and not remembered; the slot is only the walk's scratch.  From
 * .eh_frame, else (no tables yet, or a frame only the general unwinder
 * reads: not CPython's) by frame pointers, each with its one Python walk:
 * a copy for each of the general unwinder's ways would pass the
 * verifier's limit.
 */
static __always_inline __u64 sc_python(struct mem_sc_slot *s, struct stack_frames *buf)
{
	__u16 truncated;
	__u64 h;
	int n;

	s->kind = SC_EMPTY;
	s->n = 0;
	s->span = 0;
	s->site = 0;
	n = cfi_unwind ? sc_walk_cfi(s, buf) : -1;
	if (n <= 0) {
		n = stack_entry_frames(buf, s->ip, s->sp, s->fp, NULL, NULL, &h);
		if (!n)
			return STACK_ID_LOST;
		n = stack_depth_unknown(buf, n);
	}
	return sc_keep(buf, n, &truncated, true);
}

/*
 * The user stack at an allocator's entry (regs: the uprobe's), through the
 * thread's slots: its stack id, STACK_ID_LOST when it could not be kept.
 */
static __always_inline __u64 mem_stack(struct pt_regs *regs, struct mem_sc *sc, __u64 exec_id,
				       __u32 *slot, __u32 *site)
{
	__u64 ip = PT_REGS_IP(regs), sp = PT_REGS_SP(regs), fp = PT_REGS_FP(regs), id;
	__u32 zero = 0, nr = 0, tgid = bpf_get_current_pid_tgid() >> 32;
	struct stack_frames *buf;
	struct mem_sc_slot *s;
	int n;

	*slot = mix64(ip ^ sp ^ (fp << 17)) & (MEM_SC_SLOTS - 1);
	*site = 0;
	s = &sc->slot[*slot & (MEM_SC_SLOTS - 1)];
	if (python_frames && bpf_map_lookup_elem(&py_procs, &tgid)) {
		buf = bpf_map_lookup_elem(&stack_buf, &zero);
		if (!buf)
			return STACK_ID_LOST;
		s->ip = ip;
		s->sp = sp;
		s->fp = fp;
		s->exec_id = exec_id;
		return sc_python(s, buf);
	}
	if (s->kind != SC_EMPTY && s->ip == ip && s->sp == sp && s->fp == fp &&
	    s->exec_id == exec_id) {
		if (s->kind == SC_STACK) {
			id = sc_check(s);
			if (id) {
				*site = s->site;
				return id;
			}
		} else if (s->uses) {
			s->uses--;
			return sc_general(regs);
		}
	}
	buf = bpf_map_lookup_elem(&stack_buf, &zero);
	if (!buf)
		return STACK_ID_LOST;
	s->kind = SC_EMPTY;
	s->ip = ip;
	s->sp = sp;
	s->fp = fp;
	s->exec_id = exec_id;
	s->n = 0;
	s->span = 0;
	s->site = 0;
	if (cfi_unwind) {
		n = sc_walk_cfi(s, buf);
		if (n < 0) {
			/* the general unwinder's; a process without tables yet
			 * is not marked, so that its tables are used once made */
			if (bpf_map_lookup_elem(&unw_procs, &tgid)) {
				s->kind = SC_GENERAL;
				s->uses = MEM_SC_RETRY;
			}
			return sc_general(regs);
		}
		nr = n;
		id = sc_keep(buf, nr, &s->truncated, false);
	} else {
		id = sc_walk_fp(s, buf, &s->truncated);
	}
	if (s->n <= MEM_SC_WORDS && id != STACK_ID_LOST) {
		s->id = id;
		s->kind = SC_STACK;
	}
	return id;
}

/*
 * The site (index + 1 in the caller's array of totals) of the stack that
 * slot gave: kept with it, so that the next call from there adds to its
 * totals without hashing.  The site's key is (process, stack, thread
 * name); the slot is the thread's and goes at exec, and a name changed by
 * prctl keeps its first name here, as user space keeps a stack's first
 * name in any case.
 */
static __always_inline void mem_sc_site(struct mem_sc *sc, __u32 slot, __u64 id, __u32 site)
{
	struct mem_sc_slot *s = &sc->slot[slot & (MEM_SC_SLOTS - 1)];

	if (s->kind == SC_STACK && s->id == id)
		s->site = site;
}

#endif /* PROFILER_MEM_STACK_BPF_H */
