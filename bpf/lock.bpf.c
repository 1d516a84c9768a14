// SPDX-License-Identifier: GPL-2.0
/*
 * Lock contention, kernel and user space.
 *
 * Kernel locks: lock:contention_begin/contention_end (always compiled in,
 * no lockdep needed).  The waiting stack is taken at begin; the wait is
 * end - begin of the same thread.  Attached as tp_btf, or as raw_tp where
 * the kernel refuses BTF tracing programs: both programs are here, user
 * space loads one.
 *
 * User-space locks: pthread mutexes, rwlocks and condition variables
 * block in futex(2).  raw_tp sys_enter/sys_exit (no tracefs needed) time
 * FUTEX_WAIT, FUTEX_WAIT_BITSET and FUTEX_LOCK_PI calls; only calls that
 * really slept are counted (-EAGAIN means the value had already changed),
 * and the user stack is taken at exit, so a futex call that did not block
 * costs no stack walk.
 *
 * Waits are summed in the kernel per (lock, stacks, thread, owner).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "lock.h"
#include "blocked.h"
#include "stacks.bpf.h"
#include "targets.bpf.h"
#include "life.bpf.h"

#define FUTEX_WAIT		0
#define FUTEX_LOCK_PI		6
#define FUTEX_WAIT_BITSET	9
#define FUTEX_WAIT_REQUEUE_PI	11
#define FUTEX_LOCK_PI2		13
#define FUTEX_CMD_MASK		0x7f	/* without FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME */
#define EAGAIN			11
#define FUTEX_TID_MASK		0x3fffffff
#define LLL_LOCK_CONTENDED	2	/* glibc: the value a mutex waiter sleeps on */
#define MUTEX_OWNER_OFF		8	/* glibc: pthread_mutex_t.__data.__owner */

const volatile bool user_stacks = true;
const volatile bool kernel_stacks = true;
const volatile long futex_nr = 202;	/* set from SYS_futex by user space */

/* A kernel wait in progress, per thread. */
struct kwait {
	__u64 ts;
	__u64 addr;
	__u64 user_stack;
	__u64 kern_stack;
	__u32 flags;
	__u32 owner;
	char owner_comm[TASK_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct kwait);
} kwaits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct lock_uwait);	/* include/blocked.h: the iterator parks waits here too */
} uwaits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);	/* resized by user space before load */
	__type(key, struct lock_key);
	__type(value, struct lock_stat);
} waits SEC(".maps");

/* Futexes already named: each new (process, address) goes to user space
 * once, so it is named while the process and its mappings are alive. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct futex_note);
	__type(value, __u8);
} futex_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} lock_events SEC(".maps");

/* The scratch key, per CPU: too large for the BPF stack with the rest. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lock_key);
} key_buf SEC(".maps");

static __always_inline void account(struct lock_key *key, __u64 delta)
{
	struct lock_stat *st, init = { 1, delta, delta };
	int err;

	st = bpf_map_lookup_elem(&waits, key);
	if (!st) {
		err = map_update_err(bpf_map_update_elem(&waits, key, &init, BPF_NOEXIST));
		if (!err)
			return;
		if (err != -EEXIST) {
			count_drop(DROP_COUNTS_FULL);
			return;
		}
		st = bpf_map_lookup_elem(&waits, key);
		if (!st)
			return;
	}
	__sync_fetch_and_add(&st->count, 1);
	__sync_fetch_and_add(&st->total_ns, delta);
	if (delta > st->max_ns)
		st->max_ns = delta;	/* racy by design: a lost max is another wait's */
}

static __always_inline struct lock_key *key_get(__u32 tgid, __u32 tid)
{
	__u32 zero = 0;
	struct lock_key *key = bpf_map_lookup_elem(&key_buf, &zero);

	if (!key)
		return NULL;
	__builtin_memset(key, 0, sizeof(*key));
	key->pid = tgid;
	key->tid = tid;
	/* the waiting program, as cpu tags a sample: a forked child's code
	 * before and after its exec may lie at the same addresses */
	key->life = task_life((struct task_struct *)bpf_get_current_task());
	bpf_get_current_comm(key->comm, sizeof(key->comm));
	return key;
}

/* ---- kernel locks ------------------------------------------------------ */

static __always_inline int on_begin(void *ctx, void *lock, unsigned int flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct task_struct *task;
	struct kwait w = {}, *old;
	__u64 mm, sighand;

	if (!target_match(tgid, tid))
		return 0;
	/* A mutex spins (LCB_F_SPIN) before it sleeps: one wait, timed from the first begin. */
	old = bpf_map_lookup_elem(&kwaits, &tid);
	if (old && old->addr == (__u64)lock)
		return 0;

	w.addr = (__u64)lock;
	w.flags = flags & LCB_F_MASK;
	/* Name two locks the way perf lock contention -b does: by identity
	 * with the waiter's own mm and signal handlers. */
	task = (struct task_struct *)bpf_get_current_task();
	mm = (__u64)BPF_CORE_READ(task, mm);
	sighand = (__u64)BPF_CORE_READ(task, sighand);
	if (mm && (__u64)lock == mm + bpf_core_field_offset(struct mm_struct, mmap_lock))
		w.flags |= LOCK_F_MMAP;
	else if (sighand &&
		 (__u64)lock == sighand + bpf_core_field_offset(struct sighand_struct, siglock))
		w.flags |= LOCK_F_SIGHAND;
	if (flags & LCB_F_MUTEX) {
		struct mutex *m = lock;
		long owner = BPF_CORE_READ(m, owner.counter);
		struct task_struct *ot = (struct task_struct *)(owner & ~0x07L);

		if (ot) {
			w.owner = BPF_CORE_READ(ot, pid);
			BPF_CORE_READ_STR_INTO(&w.owner_comm, ot, comm);
		}
	}
	if (user_stacks && !task_is_kthread())
		w.user_stack = stack_capture(ctx, 1);
	if (kernel_stacks)
		w.kern_stack = stack_capture_skip(ctx, 0, 2);	/* the program, bpf_trace_run2 */
	proc_announce(tgid);
	w.ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&kwaits, &tid, &w, BPF_ANY);
	return 0;
}

static __always_inline int on_end(void *lock)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct lock_key *key;
	struct kwait *w;
	__u64 now = bpf_ktime_get_ns();

	w = bpf_map_lookup_elem(&kwaits, &tid);
	if (!w)
		return 0;
	if (w->addr != (__u64)lock)
		return 0;	/* the end of a nested wait: the outer one goes on */
	key = key_get(tgid, tid);
	if (key) {
		key->addr = w->addr;
		key->user_stack = w->user_stack;
		key->kern_stack = w->kern_stack;
		key->flags = w->flags;
		key->owner = w->owner;
		__builtin_memcpy(key->owner_comm, w->owner_comm, sizeof(key->owner_comm));
		account(key, now - w->ts);
	}
	bpf_map_delete_elem(&kwaits, &tid);
	return 0;
}

SEC("tp_btf/contention_begin")
int BPF_PROG(lock_begin_btf, void *lock, unsigned int flags)
{
	return on_begin(ctx, lock, flags);
}

SEC("tp_btf/contention_end")
int BPF_PROG(lock_end_btf, void *lock, int ret)
{
	return on_end(lock);
}

SEC("raw_tp/contention_begin")
int BPF_PROG(lock_begin_raw, void *lock, unsigned int flags)
{
	return on_begin(ctx, lock, flags);
}

SEC("raw_tp/contention_end")
int BPF_PROG(lock_end_raw, void *lock, int ret)
{
	return on_end(lock);
}

/* ---- futexes ----------------------------------------------------------- */

/*
 * Each new (process, futex) goes to user space to be named when its wait
 * begins: a long wait often ends just before its process exits (a join, a
 * condition variable signalled at the end), too late to read its maps.
 */
static __always_inline void futex_note(__u32 tgid, __u64 addr)
{
	struct futex_note note = { .addr = addr, .pid = tgid };
	struct futex_note *e;
	__u8 one = 1;

	if (bpf_map_lookup_elem(&futex_seen, &note) ||
	    bpf_map_update_elem(&futex_seen, &note, &one, BPF_NOEXIST))
		return;
	e = bpf_ringbuf_reserve(&lock_events, sizeof(*e), 0);
	if (e) {
		*e = note;
		bpf_ringbuf_submit(e, 0);
	} else {
		count_drop(DROP_PROC_EVENTS);
		bpf_map_delete_elem(&futex_seen, &note);
	}
}

SEC("raw_tp/sys_enter")
int BPF_PROG(futex_enter, struct pt_regs *regs, long nr)
{
	__u64 id;
	__u32 tgid, tid, op;
	struct lock_uwait w = {};
	__u32 word = 0;

	if (nr != futex_nr)
		return 0;
	id = bpf_get_current_pid_tgid();
	tgid = id >> 32;
	tid = (__u32)id;
	if (!target_match(tgid, tid))
		return 0;
	op = PT_REGS_PARM2_CORE_SYSCALL(regs) & FUTEX_CMD_MASK;
	/* what the call says of its kind; user space asks the stack first */
	switch (op) {
	case FUTEX_WAIT:
		if (PT_REGS_PARM3_CORE_SYSCALL(regs) == LLL_LOCK_CONTENDED)
			w.flags = LOCK_F_LLL;
		break;
	case FUTEX_WAIT_BITSET:
		break;
	case FUTEX_WAIT_REQUEUE_PI:
		w.flags = LOCK_F_REQUEUE;
		break;
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
		w.flags = LOCK_F_PI;
		break;
	default:
		return 0;
	}
	w.flags |= LOCK_F_FUTEX;
	w.addr = PT_REGS_PARM1_CORE_SYSCALL(regs);
	/* Who holds it: a PI futex word is the owner's tid; glibc's plain
	 * mutex waiter sleeps on 2 and the owner's tid is in __owner.  User
	 * space believes it only if it is a thread of the process. */
	if (w.flags & LOCK_F_PI) {
		if (!bpf_probe_read_user(&word, sizeof(word), (void *)w.addr))
			w.owner = word & FUTEX_TID_MASK;
	} else if (PT_REGS_PARM3_CORE_SYSCALL(regs) == LLL_LOCK_CONTENDED &&
		   !bpf_probe_read_user(&word, sizeof(word), (void *)(w.addr + MUTEX_OWNER_OFF))) {
		w.owner = word;
	}
	futex_note(tgid, w.addr);
	/* here, not only at the exit: a new process's first wait then ends
	 * after user space has read its maps, so its stack gets its Python
	 * frames and its tables (a no-op for a process already announced) */
	proc_announce(tgid);
	w.ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&uwaits, &tid, &w, BPF_ANY);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(futex_exit, struct pt_regs *regs, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct lock_key *key;
	struct lock_uwait *w;
	__u64 now;

	w = bpf_map_lookup_elem(&uwaits, &tid);
	if (!w)
		return 0;
	now = bpf_ktime_get_ns();
	/* -EAGAIN: the futex word had changed, the call never slept */
	if (ret == -EAGAIN)
		goto out;
	key = key_get(tgid, tid);
	if (!key)
		goto out;
	key->addr = w->addr;
	key->flags = w->flags;
	key->owner = w->owner;
	if (user_stacks)
		key->user_stack = stack_capture(ctx, 1);
	proc_announce(tgid);
	account(key, now - w->ts);

out:
	bpf_map_delete_elem(&uwaits, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
