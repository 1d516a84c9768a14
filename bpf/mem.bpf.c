// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation tracking.  User space: uprobes on the allocator's entry points
 * (the stack and the size are taken at entry, the address at return);
 * kernel: the kmem tracepoints; page faults: a software perf event.
 *
 * Lean by design, since every probe hit is a trap in the target: an
 * allocation costs one stack capture, one insert into the live blocks and two
 * atomic adds on its site; a free costs one delete.  What is outstanding,
 * and how old, is worked out by user space from `live` at the end.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "mem.h"
#include "stacks.bpf.h"
#include "mem_stack.bpf.h"
#include "targets.bpf.h"
#include "life.bpf.h"

const volatile __u32 sample_every = 1;	/* track 1 in N allocations */
const volatile __u64 page_size = 4096;

/* Live allocations by address; sized by user space (a million by default). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 20);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mem_addr);
	__type(value, struct mem_live);
} live SEC(".maps");

/*
 * Live user-space blocks first: buckets claimed by compare-and-swap
 * (include/mem.h), a hash-free, lock-free and allocation-free insert and
 * delete.  A block goes to `live` instead when its bucket is full or its
 * (pid, address) has no one-word key.  Sized by user space.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8192);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct mem_live_bucket);
} live_slots SEC(".maps");

const volatile __u32 live_buckets = 8192;	/* live_slots' size, a power of two */
__u32 live_spilled;	/* a block of user space went to `live`: frees look there too */

/* Per (process, stack, name): its index in site_sums, given once. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEM_MAX_SITES);
	__type(key, struct mem_site);
	__type(value, __u32);
} sites SEC(".maps");

/*
 * The indexes of site_sums taken.  An index is taken by an insert that
 * fails when it is taken already, as a compare-and-swap: the instruction
 * set clang targets by default has no fetch-and-add that returns the old
 * value.  Twice the sites, so that probing stays short; allocated as used
 * (preallocated for kernel allocations, as `live`).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEM_SITE_SLOTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u8);
} site_taken SEC(".maps");

/* Allocated count and bytes per site: an array, found without hashing. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MEM_SITE_SLOTS);
	__type(key, __u32);
	__type(value, struct mem_totals);
} site_sums SEC(".maps");

/* munmaps user space must apply (struct mem_unmap -> length) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mem_unmap);
	__type(value, __u64);
} unmaps SEC(".maps");

/* Regions from mmap per process: only their munmaps are worth keeping. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} mmapped SEC(".maps");

__u64 unmaps_lost;	/* munmaps unmaps had no room for */

/*
 * A call in progress, from entry to return, and the thread's remembered
 * stacks: task storage, found without hashing at each of the two probes
 * and gone with the thread.
 */
struct pending {
	__u64 size;
	__u64 stack;		/* 0: not sampled */
	__u64 arg;		/* posix_memalign: where the pointer goes; realloc: the old block */
	struct mem_live old;	/* realloc: the block given back, until it returns */
	__u64 old_addr;
	__u64 announced;	/* 1 + the exec count at which its process was announced */
	__u64 life_exec;	/* 1 + the exec count at which life was taken */
	__u32 life;		/* task_life() of the thread's program */
	__u32 pad;
	__u32 nest;		/* allocator calls on this thread's stack */
	__u32 kind;
	__u32 slot;		/* the slot of sc the stack came from */
	__u32 site;		/* its site's index + 1, when the slot knew it */
	struct mem_sc sc;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pending);
} calls SEC(".maps");

enum { K_PLAIN, K_MEMALIGN_PTR, K_REALLOC, K_MMAP };

/* a load the compiler must make where it is written, once */
#define LIVE_KEY(b, i)	(*(volatile __u64 *)&(b)->key[i])

/* The bucket of a one-word key (0: none). */
static __always_inline struct mem_live_bucket *live_bucket(__u64 k)
{
	__u32 idx = mix64(k) & (live_buckets - 1);

	return k ? bpf_map_lookup_elem(&live_slots, &idx) : NULL;
}

/*
 * The block at addr, as `live` with BPF_ANY keeps it: a key already there
 * (a block whose free went unseen) takes the new value.  A free slot is
 * claimed by compare-and-swap, filled, and then given its key, so that a
 * reader never matches a half-written slot.
 */
static __always_inline void live_put(__u64 addr, __u32 addr_pid, const struct mem_live *v)
{
	struct mem_addr key = { .addr = addr, .pid = addr_pid };
	__u64 k = mem_live_key(addr, addr_pid), cur;
	struct mem_live_bucket *b = live_bucket(k);
	int i;

	if (b) {
		for (i = 0; i < MEM_LIVE_WAYS; i++) {
			if (LIVE_KEY(b, i) == k) {
				b->v[i] = *v;
				return;
			}
		}
		for (i = 0; i < MEM_LIVE_WAYS; i++) {
			cur = LIVE_KEY(b, i);
			if (cur != MEM_LIVE_EMPTY && cur != MEM_LIVE_FREED)
				continue;
			if (__sync_val_compare_and_swap(&b->key[i], cur, MEM_LIVE_BUSY) != cur)
				continue;	/* another thread took it */
			b->v[i] = *v;
			__sync_lock_test_and_set(&b->key[i], k);	/* after the value */
			/* an older block there whose free went unseen: this one replaces it */
			if (live_spilled)
				bpf_map_delete_elem(&live, &key);
			return;
		}
		/* before the insert: a free that misses the array looks in `live` */
		live_spilled = 1;
	}
	if (bpf_map_update_elem(&live, &key, v, BPF_ANY))
		count_drop(DROP_LIVE_FULL);
}

/* The block at addr, or NULL; in the array while its key is there. */
static __always_inline struct mem_live *live_find(__u64 addr, __u32 addr_pid)
{
	struct mem_addr key = { .addr = addr, .pid = addr_pid };
	__u64 k = mem_live_key(addr, addr_pid);
	struct mem_live_bucket *b = live_bucket(k);
	int i;

	if (b) {
		for (i = 0; i < MEM_LIVE_WAYS; i++)
			if (LIVE_KEY(b, i) == k)
				return &b->v[i];
		if (!live_spilled)
			return NULL;
	}
	return bpf_map_lookup_elem(&live, &key);
}

/* A free: the key's slot is freed by compare-and-swap, so that two frees
 * of one block (a bug of the program's) cannot free a slot claimed since. */
static __always_inline void untrack(__u64 addr, __u32 addr_pid)
{
	struct mem_addr key = { .addr = addr, .pid = addr_pid };
	__u64 k = mem_live_key(addr, addr_pid);
	struct mem_live_bucket *b = live_bucket(k);
	int i;

	if (b) {
		for (i = 0; i < MEM_LIVE_WAYS; i++)
			if (LIVE_KEY(b, i) == k &&
			    __sync_val_compare_and_swap(&b->key[i], k, MEM_LIVE_FREED) == k)
				return;
		if (!live_spilled)
			return;
	}
	bpf_map_delete_elem(&live, &key);
}

static __always_inline void site_sum(__u32 idx, __u64 bytes)
{
	struct mem_totals *t = bpf_map_lookup_elem(&site_sums, &idx);

	if (t) {
		__sync_fetch_and_add(&t->count, 1);
		__sync_fetch_and_add(&t->bytes, bytes);
	}
}

#define SITE_PROBES	16

/* A free index of site_sums, from the key's hash; -1 when none is left. */
static __always_inline long site_claim(const struct mem_site *key)
{
	const __u64 *w = (const __u64 *)key;
	__u32 h = mix64(w[0] ^ mix64(w[1] ^ mix64(w[2] ^ mix64(w[3])))), idx;
	__u8 one = 1;
	int k, err;

	for (k = 0; k < SITE_PROBES; k++) {
		idx = (h + k) & (MEM_SITE_SLOTS - 1);
		err = map_update_err(bpf_map_update_elem(&site_taken, &idx, &one, BPF_NOEXIST));
		if (!err)
			return idx;
		if (err != -EEXIST)
			return -1;	/* full, or no memory to hand */
	}
	return -1;
}

/* Add to the site of (pid, life, stack, this thread's name): its index + 1, or 0. */
static __always_inline __u32 site_add(__u32 pid, __u32 life, __u64 stack, __u64 bytes)
{
	struct mem_site key = { .pid = pid, .life = life, .stack = stack };
	__u32 *i, idx;
	long got;
	int err;

	bpf_get_current_comm(key.comm, sizeof(key.comm));
	i = bpf_map_lookup_elem(&sites, &key);
	if (i) {
		idx = *i;
	} else {
		got = site_claim(&key);
		if (got < 0) {
			count_drop(DROP_COUNTS_FULL);
			return 0;
		}
		idx = got;
		err = map_update_err(bpf_map_update_elem(&sites, &key, &idx, BPF_NOEXIST));
		if (err == -EEXIST) {
			/* a racing thread gave the site another index: that one
			 * counts, ours stays a row of zeros */
			i = bpf_map_lookup_elem(&sites, &key);
			if (!i)
				return 0;
			idx = *i;
		} else if (err) {
			count_drop(DROP_COUNTS_FULL);
			return 0;
		}
	}
	site_sum(idx, bytes);
	return idx + 1;
}

/*
 * Put a block in `live` and add it to its site: site is the site's index
 * + 1 when the caller knows it (0 when not); returns it, or 0.
 */
static __always_inline __u32 track(__u64 addr, __u32 addr_pid, __u32 pid, __u32 life, __u64 size,
				   __u64 stack, __u32 flags, __u32 site)
{
	struct mem_live v = { .size = size, .stack = stack, .ts = bpf_ktime_get_ns(), .pid = pid,
			      .flags = MEM_LIVE_FLAGS(life, flags) };

	live_put(addr, addr_pid, &v);
	if (site)
		site_sum(site - 1, size);
	else
		site = site_add(pid, life, stack, size);
	if (flags & MEM_LIVE_MMAP) {
		__u64 one = 1, *n = bpf_map_lookup_elem(&mmapped, &pid);

		if (n)
			__sync_fetch_and_add(n, 1);
		else
			bpf_map_update_elem(&mmapped, &pid, &one, BPF_NOEXIST);
	}
	return site;
}


static __always_inline bool sampled(void)
{
	return sample_every <= 1 || bpf_get_prandom_u32() % sample_every == 0;
}

/* Entry of an allocating call: remember its stack until it returns (the
 * caller adds its size and kind). */
static __always_inline struct pending *enter(struct pt_regs *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pending *c;

	c = bpf_task_storage_get(&calls, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c)
		return NULL;
	/* realloc(NULL, n) calling malloc inside: the outer call counts */
	if (c->nest++)
		return NULL;
	c->old_addr = 0;
	c->stack = 0;
	c->site = 0;
	if (sampled()) {
		/* .eh_frame where the process has tables: the walk from the
		 * frame pointers skips every caller of a function built without
		 * them, such as libstdc++'s operator new */
		c->stack = mem_stack(ctx, &c->sc, task->self_exec_id, &c->slot, &c->site);
		if (!c->stack)
			c->stack = STACK_ID_LOST;	/* 0 means "not sampled" here */
	}
	return c;
}

/* Return of an allocating call: the outermost one tracks the block. */
static __always_inline void leave(__u64 addr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 pid = bpf_get_current_pid_tgid() >> 32, site;
	struct pending *c;

	c = bpf_task_storage_get(&calls, task, NULL, 0);
	if (!c || !c->nest || --c->nest)
		return;
	if (c->kind == K_MEMALIGN_PTR) {
		/* posix_memalign returns 0 and stores the pointer */
		__u64 p = 0;

		if (addr || bpf_probe_read_user(&p, sizeof(p), (void *)c->arg))
			return;
		addr = p;
	}
	if (c->kind == K_MMAP && addr == (__u64)-1)
		return;
	if (c->kind == K_REALLOC && c->old_addr) {
		if (!addr && c->size) {
			/* failed: the old block is still there */
			live_put(c->old_addr, pid, &c->old);
			return;
		}
	}
	if (!addr || !c->stack || !c->size)
		return;
	/* once per thread and program: procs_seen is the truth, asked once */
	if (c->announced != task->self_exec_id + 1) {
		proc_announce(pid);
		if (bpf_map_lookup_elem(&procs_seen, &pid))
			c->announced = task->self_exec_id + 1;
	}
	/* the allocating program, as cpu tags a sample (a forked child's
	 * code before and after its exec may lie at the same addresses):
	 * a leak is named from it at the end.  Once per thread and program:
	 * its slots' sites were made with the same tag */
	if (c->life_exec != task->self_exec_id + 1) {
		c->life = task_life(task);
		c->life_exec = task->self_exec_id + 1;
	}
	site = track(addr, pid, pid, c->life, c->size, c->stack,
		     c->kind == K_MMAP ? MEM_LIVE_MMAP : 0, c->site);
	/* the slot adds to its site without hashing from now on */
	if (site && !c->site)
		mem_sc_site(&c->sc, c->slot, c->stack, site);
}

/*
 * The entry of every allocating function: the probe's cookie says which
 * arguments are what (enum mem_entry, include/mem.h).  They are read
 * after enter(), which all kinds share: arriving there with the kinds'
 * different constants made the verifier walk it once for each (151 ms
 * against 40, and past its million instructions with --unwind fp).
 */
SEC("uprobe")
int alloc_enter(struct pt_regs *ctx)
{
	struct pending *c = enter(ctx);
	__u64 a1, a2, a3;
	struct mem_live *live;
	__u32 pid;

	if (!c)
		return 0;
	a1 = PT_REGS_PARM1(ctx);
	a2 = PT_REGS_PARM2(ctx);
	a3 = PT_REGS_PARM3(ctx);
	c->kind = K_PLAIN;
	c->arg = a1;	/* posix_memalign: where the pointer goes; realloc: the old block */
	switch (bpf_get_attach_cookie(ctx)) {
	case MEM_ENTRY_MALLOC:
		c->size = a1;
		return 0;
	case MEM_ENTRY_CALLOC:
		/* an overflowing product fails in calloc: nothing to track */
		c->size = a1 * a2;
		return 0;
	case MEM_ENTRY_MEMALIGN:
		c->size = a2;
		return 0;
	case MEM_ENTRY_POSIX_MEMALIGN:
		c->size = a3;
		c->kind = K_MEMALIGN_PTR;
		return 0;
	case MEM_ENTRY_MMAP:
		c->size = a2;
		c->kind = K_MMAP;
		return 0;
	case MEM_ENTRY_REALLOC:
		c->size = a2;
		break;
	case MEM_ENTRY_REALLOCARRAY:
		c->size = a2 * a3;
		break;
	default:
		c->size = 0;	/* not ours to track */
		return 0;
	}
	c->kind = K_REALLOC;
	if (!a1)
		return 0;
	/*
	 * realloc's old block is given back now, while this thread owns it:
	 * once realloc frees it another thread may get the same address.
	 */
	pid = bpf_get_current_pid_tgid() >> 32;
	live = live_find(a1, pid);
	if (!live)
		return 0;
	c->old = *live;
	c->old_addr = a1;
	untrack(a1, pid);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_return, void *ret)
{
	leave((__u64)ret);
	return 0;
}

static __always_inline void record_unmap(__u32 pid, __u64 addr, __u64 len)
{
	struct mem_unmap key = { .addr = addr, .ts = bpf_ktime_get_ns(), .pid = pid };

	if (bpf_map_update_elem(&unmaps, &key, &len, BPF_NOEXIST))
		__sync_fetch_and_add(&unmaps_lost, 1);
}

/*
 * munmap(addr, len) takes whole pages.  At a region's start, here: all of
 * it is gone, or its front (the rest moves to its new start, so that a new
 * mapping at the old start is a region of its own); what reaches past the
 * region, and any munmap elsewhere, goes to user space.
 */
SEC("uprobe")
int BPF_KPROBE(munmap_enter, void *ptr, size_t length)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 addr = (__u64)ptr, len = ((__u64)length + page_size - 1) & ~(page_size - 1);
	struct mem_live *r, rest;
	__u64 *n, size;

	n = bpf_map_lookup_elem(&mmapped, &pid);
	if (!n || !*n || !len)
		return 0;	/* no region of ours in this process */
	r = live_find(addr, pid);
	if (!r || !(r->flags & MEM_LIVE_MMAP)) {
		record_unmap(pid, addr, len);
		return 0;
	}
	if (len < r->size) {
		rest = *r;
		rest.size -= len;
		live_put(addr + len, pid, &rest);
		untrack(addr, pid);
		return 0;
	}
	size = (r->size + page_size - 1) & ~(page_size - 1);
	untrack(addr, pid);
	__sync_fetch_and_add(n, -1);
	if (len > size)
		record_unmap(pid, addr + size, len - size);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(free_enter, void *ptr)
{
	if (ptr)
		untrack((__u64)ptr, bpf_get_current_pid_tgid() >> 32);
	return 0;
}

/*
 * ---- children of -- COMMAND ----
 * Uprobes are per process, and a child has a new address space that its
 * parent's probes do not match.  A child (not one sharing the parent's
 * memory, as vfork's) is held at its first return to user space, from
 * fork, with SIGSTOP; so is a target at exec, whose new program may bring
 * another allocator.  User space attaches and sends SIGCONT.
 */
const volatile bool hold_children = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} hold SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} held SEC(".maps");

__u32 holding;		/* entries in hold: most syscalls stop at this load */
__u64 unfollowed;	/* children that could not be held: their allocations are missed */

#define SIGSTOP 19

static __always_inline void stop_and_tell(__u32 pid, __u32 why)
{
	struct mem_held *e = bpf_ringbuf_reserve(&held, sizeof(*e), 0);

	if (!e) {
		__sync_fetch_and_add(&unfollowed, 1);
		return;
	}
	e->pid = pid;
	e->why = why;
	if (bpf_send_signal(SIGSTOP)) {
		bpf_ringbuf_discard(e, 0);
		__sync_fetch_and_add(&unfollowed, 1);
		return;
	}
	bpf_ringbuf_submit(e, 0);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(hold_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (!hold_children || ptgid == ctgid || !bpf_map_lookup_elem(&targets, &ptgid))
		return 0;
	if (BPF_CORE_READ(parent, mm) == BPF_CORE_READ(child, mm))
		return 0;	/* vfork: the parent's probes see it until exec */
	if (bpf_map_update_elem(&hold, &ctgid, &one, BPF_NOEXIST)) {
		__sync_fetch_and_add(&unfollowed, 1);
		return 0;
	}
	__sync_fetch_and_add(&holding, 1);
	return 0;
}

/*
 * Kernels with bpf_send_signal_task (6.13) stop the child here, in its
 * parent's fork, before it has run: nothing then runs on every syscall of
 * every process on the machine, as hold_sys_exit below must, to wait for
 * a child it cannot signal from here.  User space loads one or the other.
 */
extern int bpf_send_signal_task(struct task_struct *task, int sig, enum pid_type type,
				__u64 value) __ksym __weak;

SEC("tp_btf/sched_process_fork")
int BPF_PROG(hold_fork_task, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct mem_held *e;

	if (!hold_children || ptgid == ctgid || !bpf_map_lookup_elem(&targets, &ptgid))
		return 0;
	if (parent->mm == child->mm)
		return 0;	/* vfork: the parent's probes see it until exec */
	e = bpf_ringbuf_reserve(&held, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&unfollowed, 1);
		return 0;
	}
	e->pid = ctgid;
	e->why = MEM_HELD_FORK;
	/* pending before the child first runs: it stops on its way to user mode */
	if (bpf_send_signal_task(child, SIGSTOP, PIDTYPE_TGID, 0)) {
		bpf_ringbuf_discard(e, 0);
		__sync_fetch_and_add(&unfollowed, 1);
		return 0;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* The child's return from fork is its first syscall exit. */
SEC("raw_tp/sys_exit")
int BPF_PROG(hold_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 id;
	__u32 pid;

	if (!holding)
		return 0;
	id = bpf_get_current_pid_tgid();
	pid = id >> 32;
	if (pid != (__u32)id || !bpf_map_lookup_elem(&hold, &pid) ||
	    bpf_map_delete_elem(&hold, &pid))
		return 0;
	__sync_fetch_and_add(&holding, -1);
	stop_and_tell(pid, MEM_HELD_FORK);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(hold_exec, struct task_struct *task)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (hold_children && bpf_map_lookup_elem(&targets, &pid))
		stop_and_tell(pid, MEM_HELD_EXEC);
	return 0;
}

/* exec'd targets to stop at their entry point, once: user space arms it */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} entry_wait SEC(".maps");

/* A uprobe on an exec'd target's entry point, for its pid. */
SEC("uprobe")
int hold_entry(struct pt_regs *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	/* not waited for, or stopped there once already (it exec'd itself) */
	if (bpf_map_delete_elem(&entry_wait, &pid))
		return 0;
	stop_and_tell(pid, MEM_HELD_ENTRY);
	return 0;
}

/* ---- kernel: the kmem tracepoints (no tracefs needed for raw_tp) ---- */

static __always_inline void kernel_alloc(void *ctx, const void *ptr, __u64 size)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;

	if (!ptr || !target_match(pid, (__u32)id) || !sampled())
		return;
	proc_announce(pid);
	/* from the allocator's caller: not this program and bpf_trace_run */
	track((__u64)ptr, 0, pid, 0, size, stack_capture_skip(ctx, 0, 2), 0, 0);
}

SEC("raw_tp/kmalloc")
int BPF_PROG(kmalloc_tp, unsigned long call_site, const void *ptr, size_t req, size_t alloc)
{
	kernel_alloc(ctx, ptr, alloc);
	return 0;
}

SEC("raw_tp/kmem_cache_alloc")
int BPF_PROG(cache_alloc_tp, unsigned long call_site, const void *ptr, struct kmem_cache *s)
{
	kernel_alloc(ctx, ptr, BPF_CORE_READ(s, size));
	return 0;
}

SEC("raw_tp/kfree")
int BPF_PROG(kfree_tp, unsigned long call_site, const void *ptr)
{
	if (ptr)
		untrack((__u64)ptr, 0);
	return 0;
}

SEC("raw_tp/kmem_cache_free")
int BPF_PROG(cache_free_tp, unsigned long call_site, const void *ptr)
{
	if (ptr)
		untrack((__u64)ptr, 0);
	return 0;
}

/* ---- page faults: a software perf event, one sample per fault ---- */

SEC("perf_event")
int fault_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;

	if (!target_match(pid, (__u32)id) || task_is_kthread())
		return 0;
	proc_announce(pid);
	site_add(pid, task_life((struct task_struct *)bpf_get_current_task()), stack_capture(ctx, 1), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
