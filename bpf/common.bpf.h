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
 * Time spent in each part of a sample, for scripts/bench/bpf_parts.sh
 * only: built with -DPART_TIMING into a build of its own, read from the
 * object's .bss with bpftool while it runs.  Off, the marks compile away.
 */
enum { PART_ALL, PART_CFI, PART_FP, PART_LEAF, PART_USER_STORE, PART_KERN,
       PART_COUNTS, PART_PROC, PART_MAX };
#ifdef PART_TIMING
__u64 part_ns[PART_MAX];
__u64 part_runs[PART_MAX];
#define PART_T0(t)	__u64 t = bpf_ktime_get_ns()
#define PART_ADD(i, t)	do {							\
		__sync_fetch_and_add(&part_ns[i], bpf_ktime_get_ns() - (t));	\
		__sync_fetch_and_add(&part_runs[i], 1);				\
	} while (0)
#else
#define PART_T0(t)	do { } while (0)
#define PART_ADD(i, t)	do { } while (0)
#endif

#endif /* PROFILER_COMMON_BPF_H */
