/* SPDX-License-Identifier: GPL-2.0 */
/* What every BPF collector includes first: loss accounting. */
#ifndef PROFILER_COMMON_BPF_H
#define PROFILER_COMMON_BPF_H

#include "common.h"

#ifndef EFAULT
#define EFAULT 14
#endif
#ifndef ENOMEM
#define ENOMEM 12
#endif
#ifndef EEXIST
#define EEXIST 17
#endif

/* Every loss is counted here and reported by user space: nothing is silent. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/*
 * The error of a map update, for comparing with -EEXIST or -ENOMEM.  Until
 * 6.4 the kernel's map operations returned int, and the verifier turns
 * bpf_map_update_elem() into a direct call of the map's operation, so only
 * the low 32 bits of the helper's result are the error: on 6.1 -ENOMEM
 * arrives as 0xfffffff4, and a 64-bit comparison never matches.
 */
/*
 * A global BPF function: not static, not inlined.  The verifier checks it
 * once, on its own, from its arguments' types alone, and at each call
 * only that the arguments fit; a static or inlined one is checked again
 * in every state the caller reaches it in (the cpu program's stack walks
 * cost 300,000-400,000 instructions of verification that way).  The rules
 * as of 6.1: arguments are scalars or pointers to memory of a known size
 * (a map value or the stack will do), which the callee must test for NULL;
 * the result is a scalar, of which the caller knows nothing.
 */
#define GLOBAL_FUNC __noinline

static __always_inline int map_update_err(long ret)
{
	return (int)ret;
}

static __always_inline void count_drop(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &reason);

	if (n)
		*n += 1;	/* per-CPU slot: no atomics needed */
}

/*
 * The session loop's promise, written by user space through a mapping of
 * this array (src/session/ring_wake.c): it reads every ring buffer by
 * this CLOCK_MONOTONIC time, on its own timer.  Until then a record needs
 * no wake-up: the wake-up's irq_work was most of an announcement's
 * ~17 us, and one wake of the loop per record its CPU under churn.  An
 * urgent record (RING_URGENT_NS, include/common.h) waits only if the read
 * is that near, and else wakes the loop at once.  After the promised time
 * (the loop idle, or late) the ring wakes the loop as it always did: when
 * the record is the first one the loop has not read.  A ring a quarter
 * full wakes it at once, whatever was promised.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RING_WAKE_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(map_flags, BPF_F_MMAPABLE);
} ring_read_by SEC(".maps");

/*
 * The flags for bpf_ringbuf_submit() of a record in ring that may wait
 * up to wait_ns for its read, as above.  A forced wake-up where the
 * promise is too far: records not read yet (submitted without one) would
 * keep the usual wake-up from coming.
 */
static __always_inline __u64 ring_wake_flags_within(void *ring, __u64 wait_ns)
{
	__u32 k = RING_WAKE_BY;
	__u64 *by, now;

	if (bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) >= bpf_ringbuf_query(ring, BPF_RB_RING_SIZE) / 4)
		return BPF_RB_FORCE_WAKEUP;
	by = bpf_map_lookup_elem(&ring_read_by, &k);
	if (!by)
		return 0;
	now = bpf_ktime_get_ns();
	if (now >= *by)
		return 0;
	return *by - now <= wait_ns ? BPF_RB_NO_WAKEUP : BPF_RB_FORCE_WAKEUP;
}

/* A record that can wait for the loop's promised read, however far. */
static __always_inline __u64 ring_wake_flags(void *ring)
{
	return ring_wake_flags_within(ring, ~0ULL);
}

/* Whether the loop wants urgent records to wake it (RING_WAKE_URGENT). */
static __always_inline bool ring_wake_urgent(void)
{
	__u32 k = RING_WAKE_URGENT;
	__u64 *on = bpf_map_lookup_elem(&ring_read_by, &k);

	return on && *on;
}

/* The flags for an urgent record: read within RING_URGENT_NS, if wanted. */
static __always_inline __u64 ring_wake_flags_urgent(void *ring)
{
	return ring_wake_flags_within(ring, ring_wake_urgent() ? RING_URGENT_NS : ~0ULL);
}

/*
 * Time spent in each part of a sample, for scripts/bench/bpf_parts.sh
 * only: built with -DPART_TIMING into a build of its own, read from the
 * object's .bss with bpftool while it runs.  Off, the marks compile away.
 */
enum { PART_ALL, PART_CFI, PART_FP, PART_LEAF, PART_USER_STORE, PART_KERN,
       PART_COUNTS, PART_PROC,
       /* whole samples of a kind (PART_FLAG below), and a first user read */
       PART_S_NOTAB, PART_S_TAB, PART_S_NEWSTACK, PART_S_NEWPROC, PART_S_KMODE,
       PART_S_NEWKEY, PART_S_YOUNG, PART_S_EXECVE, PART_S_FPONLY, PART_TOUCH,
       PART_FILTERED, PART_ANN, PART_MAX };
enum { PF_NOTAB = 1, PF_TAB = 2, PF_NEWSTACK = 4, PF_NEWPROC = 8, PF_KMODE = 16,
       PF_NEWKEY = 32, PF_YOUNG = 64, PF_EXECVE = 128, PF_FPONLY = 256 };
#ifdef PART_TIMING
__u64 part_ns[PART_MAX];
__u64 part_runs[PART_MAX];
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} part_flags SEC(".maps");
#define PART_T0(t)	__u64 t = bpf_ktime_get_ns()
#define PART_ADD(i, t)	do {							\
		__sync_fetch_and_add(&part_ns[i], bpf_ktime_get_ns() - (t));	\
		__sync_fetch_and_add(&part_runs[i], 1);				\
	} while (0)
static __always_inline __u32 *part_flags_slot(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&part_flags, &zero);
}
#define PART_FLAG(f)	do {							\
		__u32 *pf_ = part_flags_slot();					\
		if (pf_)							\
			*pf_ |= (f);						\
	} while (0)
#define PART_FLAGS_RESET()	do {						\
		__u32 *pf_ = part_flags_slot();					\
		if (pf_)							\
			*pf_ = 0;						\
	} while (0)
/* the whole sample's time under each kind it was of */
#define PART_END(t)	do {							\
		__u32 *pf_ = part_flags_slot(), f_ = pf_ ? *pf_ : 0;		\
		__u64 d_ = bpf_ktime_get_ns() - (t);				\
		__sync_fetch_and_add(&part_ns[PART_ALL], d_);			\
		__sync_fetch_and_add(&part_runs[PART_ALL], 1);			\
		for (int k_ = 0; k_ < 9; k_++)					\
			if (f_ & (1u << k_)) {					\
				__sync_fetch_and_add(&part_ns[PART_S_NOTAB + k_], d_); \
				__sync_fetch_and_add(&part_runs[PART_S_NOTAB + k_], 1); \
			}							\
	} while (0)
#else
#define PART_T0(t)	do { } while (0)
#define PART_ADD(i, t)	do { } while (0)
#define PART_FLAG(f)	do { } while (0)
#define PART_FLAGS_RESET()	do { } while (0)
#define PART_END(t)	do { } while (0)
#endif

#endif /* PROFILER_COMMON_BPF_H */
