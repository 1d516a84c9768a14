// SPDX-License-Identifier: GPL-2.0
/*
 * Function latency: the time from a function's entry to its return.
 *
 * Entries go on a per-thread stack of calls in progress (entry time, the
 * stack pointer the call returns to, the function), so recursion and many
 * threads pair each return with its own entry.  A return pairs with the
 * top entry that returns to the same stack pointer; entries deeper than
 * the returning frame were left without a return (longjmp, an exception
 * unwinding past them) and are counted as such, as are the entries of a
 * thread that exits.  Kernel functions have no user stack pointer: they
 * pair with the top entry of the same function.
 *
 * User functions: a uprobe and a uretprobe per function, the function's
 * id in the attach cookie.  System calls: raw sys_enter/sys_exit filtered
 * here to the traced numbers.  Kernel functions: kprobes (the same
 * programs, the cookie's LAT_COOKIE_KERNEL bit set) or fentry/fexit.
 *
 * Durations go into a per-CPU log2 histogram per function (no atomics on
 * the hot path); totals per caller (--by) into a hash map; calls slower
 * than --slow into a ring buffer with the caller's stack.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "latency.h"
#include "stacks.bpf.h"
#include "targets.bpf.h"
#include "life.bpf.h"

#define LAT_MAX_SYSCALLS	1024

const volatile __u32 by_mode = LAT_BY_CALLER;
const volatile __u64 slow_ns = 0;	/* 0: no slow-call events */
const volatile __u32 kern_func = 0;	/* the function fentry/fexit time */

/* The interval user space is in: which max_ns slot of lat_hist is current. */
__u32 gen;
/*
 * Set once every probe is in, cleared before the first comes out: probes
 * attach and detach one at a time (a grace period each, ~0.1 s), and two
 * functions must be timed over the same window to compare.
 */
__u32 active;

struct frame {
	__u64 ts;
	__u64 ret_sp;		/* user stack pointer after the return; 0: kernel */
	__u32 func;
	__u32 pad;
};

struct thread_calls {
	__u32 depth;		/* frames in use */
	__u32 overflow;		/* calls entered past LAT_MAX_DEPTH, not timed */
	struct frame frames[LAT_MAX_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);	/* threads in a call at once */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct thread_calls);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);		/* one per function: sized by user space */
	__type(key, __u32);
	__type(value, struct lat_hist);
} hists SEC(".maps");

/* System call number -> function id + 1; 0: not traced. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LAT_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u32);
} sys_funcs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);	/* sized by user space */
	__type(key, struct lat_by_key);
	__type(value, struct lat_by_val);
} by SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} slow_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LAT_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lat_drops SEC(".maps");

static const struct thread_calls no_calls;

static __always_inline void lat_drop(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&lat_drops, &reason);

	if (n)
		*n += 1;
}

/* floor(log2(v)) + 1, 0 for 0: the bucket of hist_bucket() with scale 1. */
static __always_inline __u32 slot_of(__u64 v)
{
	__u32 r = 0, s;

	if (!v)
		return 0;
	s = (v > 0xffffffffULL) << 5; v >>= s; r |= s;
	s = (v > 0xffff) << 4; v >>= s; r |= s;
	s = (v > 0xff) << 3; v >>= s; r |= s;
	s = (v > 0xf) << 2; v >>= s; r |= s;
	s = (v > 0x3) << 1; v >>= s; r |= s;
	r |= (v >> 1);
	r += 1;
	return r < LAT_HIST_SLOTS ? r : LAT_HIST_SLOTS - 1;
}

static __always_inline void count_unreturned(__u32 func)
{
	struct lat_hist *h = bpf_map_lookup_elem(&hists, &func);

	if (h)
		h->unreturned++;
}

static __always_inline void push(__u32 func, __u64 ret_sp)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, d;
	struct thread_calls *t;
	struct frame *f;

	if (!active || !target_match(id >> 32, tid))
		return;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t) {
		if (map_update_err(bpf_map_update_elem(&threads, &tid, &no_calls, BPF_NOEXIST)) &&
		    !bpf_map_lookup_elem(&threads, &tid)) {
			lat_drop(LAT_DROP_THREADS_FULL);
			return;
		}
		t = bpf_map_lookup_elem(&threads, &tid);
		if (!t)
			return;
	}
	d = t->depth;
	if (d >= LAT_MAX_DEPTH) {
		t->overflow++;
		lat_drop(LAT_DROP_TOO_DEEP);
		return;
	}
	f = &t->frames[d & (LAT_MAX_DEPTH - 1)];
	f->func = func;
	f->ret_sp = ret_sp;
	t->depth = d + 1;
	/* last: the time of the call itself, not of this bookkeeping */
	f->ts = bpf_ktime_get_ns();
}

static __always_inline void by_add(struct lat_by_key *k, __u64 dur)
{
	struct lat_by_val *v, init = { 1, dur, dur };

	v = bpf_map_lookup_elem(&by, k);
	if (!v) {
		int err = map_update_err(bpf_map_update_elem(&by, k, &init, BPF_NOEXIST));

		if (!err)
			return;
		v = err == -EEXIST ? bpf_map_lookup_elem(&by, k) : NULL;
		if (!v) {
			lat_drop(LAT_DROP_BY_FULL);
			return;
		}
	}
	__sync_fetch_and_add(&v->calls, 1);
	__sync_fetch_and_add(&v->total_ns, dur);
	/* two CPUs racing on a new maximum may keep the smaller: rare, one call */
	if (dur > v->max_ns)
		v->max_ns = dur;
}

/* A call of func by the current thread took dur: account for it. */
static __always_inline void record(void *ctx, __u32 func, __u64 dur, __u64 now, __u64 caller)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct lat_by_key k = { .func = func, .pid = id >> 32 };
	__u64 stack = STACK_ID_NONE;
	struct lat_hist *h;
	__u32 g = gen, s = g & 1;

	h = bpf_map_lookup_elem(&hists, &func);
	if (h) {
		__u32 k = slot_of(dur);

		/* kept as masked: clang drops a mask it can prove redundant,
		 * and 6.1's verifier then loses the bound of its branches */
		barrier_var(k);
		h->slots[k & (LAT_HIST_SLOTS - 1)]++;
		h->count++;
		h->sum_ns += dur;
		if (h->max_gen[s] != g) {
			h->max_gen[s] = g;
			h->max_ns[s] = 0;
		}
		if (dur > h->max_ns[s])
			h->max_ns[s] = dur;
	}
	switch (by_mode) {
	case LAT_BY_CALLER:
		k.where = caller;
		break;
	case LAT_BY_STACK:
		stack = stack_capture(ctx, 1);
		k.where = stack;
		break;
	case LAT_BY_TID:
		k.tid = (__u32)id;
		break;
	}
	bpf_get_current_comm(k.comm, sizeof(k.comm));
	if (k.where) {
		/* the calling program, as cpu tags a sample: a forked child's
		 * code before and after its exec may lie at the same addresses */
		k.life = task_life((struct task_struct *)bpf_get_current_task());
		proc_announce(k.pid);
	}
	by_add(&k, dur);
	if (slow_ns && dur >= slow_ns) {
		struct lat_slow_event *e;

		if (by_mode != LAT_BY_STACK)
			stack = stack_capture(ctx, 1);
		proc_announce(k.pid);
		e = bpf_ringbuf_reserve(&slow_events, sizeof(*e), 0);
		if (!e) {
			lat_drop(LAT_DROP_SLOW_FULL);
			return;
		}
		e->end_ns = now;
		e->dur_ns = dur;
		e->stack = stack;
		e->pid = k.pid;
		e->tid = (__u32)id;
		e->func = func;
		e->life = k.where ? k.life : task_life((struct task_struct *)bpf_get_current_task());
		__builtin_memcpy(e->comm, k.comm, sizeof(e->comm));
		bpf_ringbuf_submit(e, 0);
	}
}

/*
 * The return of func to user stack pointer ret_sp (0: a kernel function):
 * pair it with its entry, count the entries it leaves behind.
 */
static __always_inline void pop(void *ctx, __u32 func, __u64 ret_sp, __u64 caller)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), d;
	struct thread_calls *t;
	struct frame *f;
	__u64 dur;
	int i;

	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t)
		return;
	d = t->depth;
	/* deeper frames than the one returning were jumped over */
	for (i = 0; ret_sp && i < LAT_MAX_DEPTH; i++) {
		if (!d || d > LAT_MAX_DEPTH)
			break;
		f = &t->frames[(d - 1) & (LAT_MAX_DEPTH - 1)];
		if (f->ret_sp >= ret_sp)
			break;
		count_unreturned(f->func);
		d--;
		t->overflow = 0;
	}
	t->depth = d;
	if (!d || d > LAT_MAX_DEPTH) {
		if (t->overflow)
			t->overflow--;
		return;
	}
	f = &t->frames[(d - 1) & (LAT_MAX_DEPTH - 1)];
	if (f->ret_sp != ret_sp || f->func != func) {
		/* a call entered past the depth bound, now returning */
		if (t->overflow)
			t->overflow--;
		return;
	}
	dur = now - f->ts;
	t->depth = d - 1;
	t->overflow = 0;
	record(ctx, func, dur, now, caller);
}

SEC("uprobe")
int BPF_KPROBE(lat_enter)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);

	/* a uprobe at the first instruction: [sp] is the return address */
	push((__u32)cookie, cookie & LAT_COOKIE_KERNEL ? 0 : PT_REGS_SP(ctx) + 8);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(lat_return)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	bool kern = cookie & LAT_COOKIE_KERNEL;

	/* after the return: ip is in the caller, sp where the entry said */
	pop(ctx, (__u32)cookie, kern ? 0 : PT_REGS_SP(ctx), kern ? 0 : PT_REGS_IP(ctx));
	return 0;
}

SEC("fentry")
int BPF_PROG(lat_fentry)
{
	push(kern_func, 0);
	return 0;
}

SEC("fexit")
int BPF_PROG(lat_fexit)
{
	pop(ctx, kern_func, 0, 0);
	return 0;
}

static __always_inline __u32 sys_func(long nr)
{
	__u32 k = (__u32)nr, *f;

	if (nr < 0 || nr >= LAT_MAX_SYSCALLS)
		return 0;
	f = bpf_map_lookup_elem(&sys_funcs, &k);
	return f ? *f : 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(lat_sys_enter, struct pt_regs *regs, long nr)
{
	__u32 f = sys_func(nr);

	if (f)
		push(f - 1, PT_REGS_SP_CORE(regs));
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(lat_sys_exit, struct pt_regs *regs, long ret)
{
	__u32 f = sys_func(BPF_CORE_READ(regs, orig_ax));

	/* the caller: the instruction after the system call, in its wrapper */
	if (f)
		pop(ctx, f - 1, PT_REGS_SP_CORE(regs), PT_REGS_IP_CORE(regs));
	return 0;
}

/* A thread that exits leaves its calls in progress: none will return. */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(lat_thread_exit, struct task_struct *task)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), d;
	struct thread_calls *t = bpf_map_lookup_elem(&threads, &tid);
	int i;

	if (!t)
		return 0;
	d = t->depth;
	for (i = 0; i < LAT_MAX_DEPTH; i++) {
		if (i >= d)
			break;
		count_unreturned(t->frames[i & (LAT_MAX_DEPTH - 1)].func);
	}
	bpf_map_delete_elem(&threads, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
