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

static __always_inline void count_drop(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &reason);

	if (n)
		*n += 1;	/* per-CPU slot: no atomics needed */
}

#endif /* PROFILER_COMMON_BPF_H */
