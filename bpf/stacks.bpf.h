/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stack capture shared by every collector.
 *
 * Stacks are deduplicated by content, not through BPF_MAP_TYPE_STACK_TRACE:
 * that map keeps one stack per hash bucket and refuses (-EEXIST) a second
 * stack that lands in an occupied bucket, so with a few thousand unique
 * stacks it silently loses several percent of them.  Here the frames are
 * hashed to 63 bits and stored in an ordinary hash map keyed by that hash,
 * which chains collisions: a stack is lost only when the map is full, and
 * that is counted.
 *
 * A map that allocates as it fills can still refuse an element for want
 * of memory in the allocator's per-CPU cache (seen at start-up, -ENOMEM);
 * such a stack goes to a small preallocated spill map instead, which
 * user space empties into the main map at each window (stack_maps_init).
 */
#ifndef PROFILER_STACKS_BPF_H
#define PROFILER_STACKS_BPF_H

#include "common.bpf.h"
#include "unwind.bpf.h"
#include "code_check.bpf.h"
#include "fp_walk.bpf.h"

/* stacks of fewer than STACK_SHORT_DEPTH frames (common.h) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);	/* resized by user space before load */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct stack_short);
} stacks SEC(".maps");

/*
 * The deeper ones (STACK_ID_DEEP_BIT), values of max_depth frames.  This
 * map and the spill are declared by sizes, without BTF types: user space
 * sets the value's size to the depth asked for, and a BTF value type of
 * MAX_STACK_DEPTH frames made the kernel refuse libbpf's first try only
 * after allocating the map (the spill's 4 MiB preallocated, the deep
 * stacks' 2 MiB of buckets), before libbpf tried again without BTF:
 * 13-15 ms of system time for the spill on a quiet machine, 36-54 ms under
 * load, 6 ms for the deep stacks (strace -T).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);	/* resized by user space before load */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(key_size, sizeof(__u64));
	__uint(value_size, sizeof(struct stack_frames));
} stacks_deep SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);	/* sized by user space (session_size_maps) */
	__uint(key_size, sizeof(__u64));
	__uint(value_size, sizeof(struct stack_frames));
} stacks_spill SEC(".maps");

/*
 * For the tests only (PROFILER_TEST_SPILL, set by cpu): a new stack whose
 * hash has these bits clear goes to the spill as if the allocator had
 * refused it, a failure no test can cause on demand.  0: off.
 */
const volatile __u64 spill_test_mask = 0;

/*
 * Slots per CPU: user and kernel stack of the sample being taken, and
 * (STACK_BUF_TASK) a user stack taken from task work, which a sample's
 * interrupt on the same CPU may come in the middle of.
 */
#define STACK_BUF_TASK	2
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, struct stack_frames);
} stack_buf SEC(".maps");

static __always_inline __u64 mix64(__u64 h)
{
	/* murmur3 finaliser: every input bit reaches every output bit */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

#define USER_TOP	(1ULL << 47)

/* Turned off by user space when asked (--no-leaf-fix) */
const volatile bool leaf_fix = true;

/*
 * Frame-pointer unwinding starts from the frame pointer register: when the
 * interrupted function has not pushed one (a leaf compiled without a frame,
 * a libc syscall wrapper, a prologue not yet run), the walk goes from it
 * straight to its caller's caller.  The missing return address sits in one
 * of the first words above the user stack pointer.  Every such word that
 * may point to code (not null, not kernel, not the stack, not the heap or
 * data) is appended as a candidate, up to the walk's own next frame; user
 * space keeps the one the function's CFI puts the return address in.
 *
 * Whether a word follows a call instruction is not asked here: that is a
 * read of the code page, and under process churn on this machine's VM the
 * first read of a user page in a sample costs 8-11 µs (page-table
 * isolation without PCID flushes the user TLB at every entry), a third of
 * a sample; the words themselves sit at sp, a page the walk reads anyway.
 * The CFI test in user space is exact where the code test was a guess.
 * Appends the candidates at buf->ips[nr...]: the new frame count.  A
 * global function (GLOBAL_FUNC).
 */
GLOBAL_FUNC int leaf_return_candidates(struct stack_frames *buf, int nr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	__u64 words[LEAF_RA_WORDS], sp, next;
	int k, at = nr;

	if (!buf || !regs)
		return nr;
	next = nr > 1 ? buf->ips[1] : 0;
	sp = BPF_CORE_READ(regs, sp);
	if (!sp || bpf_probe_read_user(words, sizeof(words), (void *)sp))
		return nr;
	for (k = 0; k < LEAF_RA_WORDS; k++) {
		__u64 w = words[k];
		bool code = true;

		if (w == next)
			break;	/* the walk has it: the function has a frame */
		/* not code: null, kernel or beyond user space, or on the stack */
		if (w < 0x10000 || w >= USER_TOP || w - sp < (8ULL << 20))
			continue;
		if (code_mm_says(task, w, &code) && !code)
			continue;
		/* appended, not inserted: a loop to shift the frames would cost
		 * the verifier more than the whole rest of the program; user
		 * space puts the one it keeps back after the interrupted frame */
		barrier_var(at);
		if (at < 0 || at >= MAX_STACK_DEPTH || at >= max_depth)
			break;
		buf->ips[at] = w | LEAF_RA_MARK | ((__u64)k << LEAF_RA_SLOT_SHIFT);
		at++;
	}
	return at;
}

/*
 * The top bits of the id of nr frames: valid, and which map keeps them
 * (STACK_ID_DEEP_BIT).  A short stack has a 0 after its frames within its
 * value (nr < STACK_SHORT_DEPTH), so user space finds its end there.
 */
static __always_inline __u64 stack_id_tag(__u32 nr)
{
	__u64 tag = STACK_ID_VALID_BIT | (nr >= STACK_SHORT_DEPTH ? STACK_ID_DEEP_BIT : 0);

	/* made where it is written: see stack_hash() */
	barrier_var(tag);
	return tag;
}

/* The hash h as the id of a stack whose stack_id_tag() is tag */
static __always_inline __u64 stack_id(__u64 h, __u64 tag)
{
	return (h & ~(STACK_ID_VALID_BIT | STACK_ID_DEEP_BIT)) | tag;
}

/* Whether id's stack is kept already, in its map */
static __always_inline bool stack_known(__u64 id)
{
	if (id & STACK_ID_DEEP_BIT)
		return bpf_map_lookup_elem(&stacks_deep, &id);
	return bpf_map_lookup_elem(&stacks, &id);
}

/*
 * Keep the frames in buf under id (stack_id): the id, or STACK_ID_LOST.
 * Each map is named inside a branch of its own and nothing of it lives
 * past it: the verifier then finds the two ways alike after the branch
 * and follows one (kept apart, they took mem's realloc_enter past its
 * limit of a million instructions).
 */
static __always_inline __u64 stack_keep(struct stack_frames *buf, __u64 id)
{
	long err;

	/* The common case is a stack seen before: a lockless lookup. */
	if (stack_known(id))
		return id;
	PART_FLAG(PF_NEWSTACK);
	/* the frames are followed by 0s up to the value's end (bpf_get_stack()
	 * zeroes the rest, the walkers end theirs with one): stored whole */
	if (spill_test_mask && !(id & spill_test_mask))
		err = -ENOMEM;
	else if (id & STACK_ID_DEEP_BIT)
		err = bpf_map_update_elem(&stacks_deep, &id, buf, BPF_NOEXIST);
	else
		err = bpf_map_update_elem(&stacks, &id, buf, BPF_NOEXIST);
	err = map_update_err(err);
	if (!err || err == -EEXIST)
		return id;
	if (err == -ENOMEM) {
		err = map_update_err(bpf_map_update_elem(&stacks_spill, &id, buf, BPF_NOEXIST));
		if (!err || err == -EEXIST)
			return id;
		/* not a full map: --max-stacks would not help (a 10-minute
		 * churn run filled the spill with the map 15% full) */
		count_drop(DROP_STACKS_NOMEM);
		return STACK_ID_LOST;
	}
	count_drop(DROP_STACKS_FULL);
	return STACK_ID_LOST;
}

/*
 * A task in execve is having its memory replaced: its user registers
 * belong to the old program, the mappings maybe to the new one.
 */
static __always_inline bool task_in_execve(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (!bpf_core_field_exists(task->in_execve))
		return false;
	return BPF_CORE_READ_BITFIELD_PROBED(task, in_execve);
}

#include "python.bpf.h"

/*
 * The id (stack_id) of the nr frames in buf, a user stack's Python frames
 * appended first when python.  A global function (GLOBAL_FUNC); the keeping stays
 * with the caller: until 6.2 or so a map update takes its value only from
 * a map value or the stack, not from a global function's memory argument.
 */
GLOBAL_FUNC __u64 stack_hash(struct stack_frames *buf, int nr, int user, int python)
{
	__u64 h, tag;
	int i;

	if (!buf)
		return 0;
	/* the map's values hold max_depth frames (a kernel stack is not cut
	 * to it by its walker): the frames hashed are the frames kept */
	if (nr > (int)max_depth) {
		nr = max_depth;
		count_drop(DROP_TRUNCATED);
	}
	/* Python frames after the native ones, within the same max_depth */
	if (user && python && python_frames)
		nr = python_end(buf, python_append(buf, nr));
	/*
	 * The tag before the loop: the verifier goes through the loop's exit
	 * once for each count of frames, and with nr still to read after it
	 * (nr is precise there, each exit's range its own) no exit was like
	 * another: a test of nr after the loop cost cpu_sample_defer 5,300
	 * instructions and 4.5 ms to load.
	 */
	tag = stack_id_tag(nr);
	h = 0x9e3779b97f4a7c15ULL ^ nr ^ ((__u64)user << 8);
	for (i = 0; i < MAX_STACK_DEPTH; i++) {
		if (i >= nr)
			break;
		h = mix64(h ^ buf->ips[i]);
	}
	return stack_id(h, tag);
}

/*
 * Hash the nr frames in buf (a map value) and keep them: the id, or
 * STACK_ID_LOST.  A user stack gets the thread's Python frames after its
 * native ones when python.
 */
static __always_inline __u64 stack_store_as(struct stack_frames *buf, int nr, int user,
					    bool python)
{
	return stack_keep(buf, stack_hash(buf, nr, user, python));
}

static __always_inline __u64 stack_store(struct stack_frames *buf, int nr, int user)
{
	return stack_store_as(buf, nr, user, true);
}

static __always_inline __u64 stack_store_timed(struct stack_frames *buf, int nr, int user)
{
	PART_T0(t);
	__u64 id = stack_store(buf, nr, user);

	PART_ADD(PART_USER_STORE, t);
	return id;
}

/*
 * Take the current user (user != 0) or kernel stack, less its first skip
 * frames (a tracepoint's own plumbing), and return its id:
 * STACK_ID_NONE when there is no such stack (kernel thread, or the sample
 * hit user mode and the kernel stack is empty), STACK_ID_LOST when one
 * existed but could not be stored.
 */
static __always_inline __u64 stack_capture_skip(void *ctx, int user, __u32 skip)
{
	__u32 slot = user ? 0 : 1;
	struct stack_frames *buf;
	__u32 size;
	long len;
	int nr;

	buf = bpf_map_lookup_elem(&stack_buf, &slot);
	if (!buf)
		return STACK_ID_LOST;
	if (user) {
		PART_T0(t_cfi);

		if (task_in_execve()) {
			PART_FLAG(PF_EXECVE);
			return STACK_ID_NONE;
		}
		/* from .eh_frame where the process has tables, else frame pointers */
		nr = unw_user_stack(buf);
		PART_ADD(PART_CFI, t_cfi);
		if (nr > 0)
			return stack_store_timed(buf, nr, user);
		PART_FLAG(PF_FPONLY);
		PART_T0(t_fp);
		nr = fp_walk_user(buf);
		PART_ADD(PART_FP, t_fp);
		if (nr == 0)
			return STACK_ID_NONE;
		if (nr > 0) {
			if (nr >= max_depth)
				count_drop(DROP_TRUNCATED);
			goto leaf;
		}
	}
	/* the kernel zeroes what it does not fill: no more than is kept */
	size = max_depth * sizeof(__u64);
	if (size > sizeof(buf->ips))
		size = sizeof(buf->ips);
	len = bpf_get_stack(ctx, buf->ips, size,
			    (user ? BPF_F_USER_STACK : 0) | (skip & BPF_F_SKIP_FIELD_MASK));
	if (len < 0) {
		count_drop(user ? DROP_USER_STACK_FAULT : DROP_KERN_STACK_FAULT);
		return STACK_ID_LOST;
	}
	if (len == 0)
		return STACK_ID_NONE;
	nr = len / sizeof(__u64);
	if (nr >= MAX_STACK_DEPTH)
		count_drop(DROP_TRUNCATED);
leaf:
	if (user && leaf_fix && nr < max_depth) {
		PART_T0(t_leaf);

		nr = leaf_return_candidates(buf, nr);
		PART_ADD(PART_LEAF, t_leaf);
	}
	/* the frame-pointer walk leaves the buffer's tail as it was: user
	 * space reads up to the first 0 */
	if (nr < max_depth)
		buf->ips[nr & (MAX_STACK_DEPTH - 1)] = 0;
	return user ? stack_store_timed(buf, nr, user) : stack_store(buf, nr, user);
}

/*
 * The current user stack from .eh_frame alone: STACK_ID_NONE when the
 * process has no tables yet (or the interrupted code has none), so that
 * the caller can take it its own way.  Native frames only: its one
 * caller (mem) takes a Python process's stacks its own way.
 */
static __always_inline __u64 stack_capture_cfi(void)
{
	__u32 slot = 0;
	struct stack_frames *buf = bpf_map_lookup_elem(&stack_buf, &slot);
	int nr;

	if (!buf)
		return STACK_ID_LOST;
	nr = unw_user_stack(buf);
	return nr > 0 ? stack_store_as(buf, nr, 1, false) : STACK_ID_NONE;
}

/*
 * The current task's user stack from task context, with no perf event's
 * context (bpf/cpu_defer.bpf.c's deferred samples): from .eh_frame where the
 * process has tables, else by frame pointers with the leaf fix.  Native
 * frames only: the Python frames' walk keeps per-CPU state of its own,
 * which a sample's interrupt on this CPU could change under it.
 */
static __always_inline __u64 stack_capture_task_user(void)
{
	__u32 slot = STACK_BUF_TASK;
	struct stack_frames *buf = bpf_map_lookup_elem(&stack_buf, &slot);
	int nr;

	if (!buf)
		return STACK_ID_LOST;
	nr = unw_user_stack(buf);
	if (nr > 0)
		return stack_store_as(buf, nr, 1, false);
	nr = fp_walk_user(buf);
	if (nr <= 0)
		return nr == 0 ? STACK_ID_NONE : STACK_ID_LOST;
	if (nr >= max_depth)
		count_drop(DROP_TRUNCATED);
	if (leaf_fix && nr < max_depth)
		nr = leaf_return_candidates(buf, nr);
	if (nr < max_depth)
		buf->ips[nr & (MAX_STACK_DEPTH - 1)] = 0;
	return stack_store_as(buf, nr, 1, false);
}

static __always_inline __u64 stack_capture(void *ctx, int user)
{
	return stack_capture_skip(ctx, user, 0);
}

/* A frame-pointer chain deeper than this above sp is not a stack. */
#define USER_STACK_SPAN (64ULL << 20)

/*
 * The user stack at a function's first instruction (a uprobe), with the
 * caller in it: there the caller's return address is at [sp] and the frame
 * pointer is still the caller's, so a frame-pointer walk from the registers
 * goes from the function straight to the caller's caller.  The frames are
 * [function, caller ([sp]), then the frame-pointer chain].
 *
 * The chain is walked here rather than by bpf_get_stack(): a frame pointer
 * that is not one (libc's outermost frames have none) is rejected before it
 * is read, where the kernel's walk reads it and takes a fault, which costs
 * more than the rest of the capture.
 */
/*
 * Hears of each word a walk read (addr 0: a read failed), for a caller
 * that remembers stacks by them (bpf/mem_stack.bpf.h); NULL for none.
 */
typedef void (*stack_note_fn)(void *arg, __u64 addr, __u64 word);

/*
 * That walk into buf from the registers ip, sp and fp: the number of
 * frames (0: the first read failed), *hash their hash.
 */
static __always_inline __u32 stack_entry_frames(struct stack_frames *buf, __u64 ip, __u64 sp,
						__u64 fp, stack_note_fn note, void *arg, __u64 *hash)
{
	__u64 lo, h;
	__u32 n = 2;
	struct {
		__u64 fp;
		__u64 ret;
	} fr;
	int i;

	buf->ips[0] = ip;
	if (bpf_probe_read_user(&buf->ips[1], sizeof(buf->ips[1]), (void *)sp) || !buf->ips[1]) {
		count_drop(DROP_USER_STACK_FAULT);
		if (note)
			note(arg, 0, 0);
		return 0;
	}
	if (note)
		note(arg, sp, buf->ips[1]);
	/* hashed as walked: a second loop over a depth the verifier cannot know is costly */
	h = mix64(mix64(0x7f4a7c159e3779b9ULL ^ buf->ips[0]) ^ buf->ips[1]);
	lo = sp + sizeof(__u64);
	for (i = 2; i < MAX_STACK_DEPTH && i < max_depth; i++) {
		if (fp < lo || fp - lo > USER_STACK_SPAN || (fp & 7))
			break;
		if (bpf_probe_read_user(&fr, sizeof(fr), (void *)fp)) {
			if (note)
				note(arg, 0, 0);
			break;
		}
		if (note) {
			note(arg, fp, fr.fp);
			note(arg, fp + 8, fr.ret);
		}
		if (!fr.ret)
			break;
		buf->ips[i] = fr.ret;
		h = mix64(h ^ fr.ret);
		n = i + 1;
		lo = fp + sizeof(fr);
		fp = fr.fp;
	}
	*hash = h;
	return n;
}

/*
 * n, a walk's count of frames in buf, through memory (the slot past the
 * last frame, as it was after): one value the verifier does not know,
 * where each depth a walk can stop at was a path of its own through all
 * that follows (mem's entry program with --unwind fp: 316 ms to verify)
 */
static __always_inline __u32 stack_depth_unknown(struct stack_frames *buf, __u32 n)
{
	volatile __u64 *at = &buf->ips[n & (MAX_STACK_DEPTH - 1)];
	__u64 was = *at;

	*at = n;
	n = *at & (MAX_STACK_DEPTH * 2 - 1);
	*at = was;
	return n;
}

/*
 * That walk, kept: the stack id, or STACK_ID_LOST; *nr the frames.
 */
static __always_inline __u64 stack_entry_walk(struct stack_frames *buf, __u64 ip, __u64 sp,
					      __u64 fp, stack_note_fn note, void *arg, __u32 *nr)
{
	__u64 h = 0;
	__u32 n = stack_entry_frames(buf, ip, sp, fp, note, arg, &h);

	if (!n) {
		*nr = 0;
		return STACK_ID_LOST;
	}
	n = stack_depth_unknown(buf, n);
	*nr = n;
	if (n < max_depth)
		buf->ips[n & (MAX_STACK_DEPTH - 1)] = 0;	/* user space reads up to the first 0 */
	else
		count_drop(DROP_TRUNCATED);
	return stack_keep(buf, stack_id(mix64(h ^ n), stack_id_tag(n)));
}

static __always_inline __u64 stack_capture_entry(struct pt_regs *ctx)
{
	struct stack_frames *buf;
	__u32 slot = 0, nr;

	buf = bpf_map_lookup_elem(&stack_buf, &slot);
	if (!buf)
		return STACK_ID_LOST;
	return stack_entry_walk(buf, PT_REGS_IP(ctx), PT_REGS_SP(ctx), PT_REGS_FP(ctx), NULL, NULL,
				&nr);
}

#endif /* PROFILER_STACKS_BPF_H */
