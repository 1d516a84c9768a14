/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whether a user address is executable, remembered per CPU.
 *
 * bpf_find_vma() takes the mmap lock for reading; with interrupts off (a
 * perf_event program, a tracepoint in the scheduler) it cannot release it
 * there and queues an irq_work to do so, which raises a self-IPI.  On this
 * machine's VM that IPI made the leaf fix cost some 15 µs per sample
 * (14.2 µs per sample without it, 29.3 µs with, under a busy machine).
 * The ranges it finds, executable or not, are kept here for the next
 * samples of the same process, so most lookups take no lock at all.
 *
 * A range remembered after its mapping went (dlclose, munmap) only lets
 * a stray word through to user space, which checks every candidate
 * against the function's CFI anyway.
 */
#ifndef PROFILER_VMA_CACHE_BPF_H
#define PROFILER_VMA_CACHE_BPF_H

#include "common.bpf.h"

#define VM_EXEC_FLAG	0x4	/* include/linux/mm.h: VM_EXEC */
#define VMA_CACHE_WAYS	16

struct vma_range {
	__u64 mm;		/* the address space, with tgid: whose range */
	__u64 start, end;
	__u32 tgid;
	__u32 exec;
};

struct vma_cache {
	struct vma_range r[VMA_CACHE_WAYS];
	__u32 next;		/* the way replaced next: round robin */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vma_cache);
} vma_cache SEC(".maps");

static long vma_range_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_range *r = data;

	r->start = BPF_CORE_READ(vma, vm_start);
	r->end = BPF_CORE_READ(vma, vm_end);
	r->exec = !!(BPF_CORE_READ(vma, vm_flags) & VM_EXEC_FLAG);
	return 0;
}

/* Whether addr is in an executable mapping of task (the current task). */
static __always_inline bool vma_is_exec(struct task_struct *task, __u64 addr)
{
	__u64 mm = (__u64)BPF_CORE_READ(task, mm);
	__u32 tgid = BPF_CORE_READ(task, tgid), zero = 0, w;
	struct vma_cache *c = bpf_map_lookup_elem(&vma_cache, &zero);
	struct vma_range r = {};
	int i;

	if (c) {
		for (i = 0; i < VMA_CACHE_WAYS; i++)
			if (c->r[i].mm == mm && c->r[i].tgid == tgid &&
			    addr >= c->r[i].start && addr < c->r[i].end)
				return c->r[i].exec;
	}
	if (bpf_find_vma(task, addr, vma_range_cb, &r, 0))
		return false;	/* no mapping there, or the lock is busy */
	if (c) {
		w = c->next % VMA_CACHE_WAYS;
		c->next = w + 1;
		r.mm = mm;
		r.tgid = tgid;
		if (w < VMA_CACHE_WAYS)
			c->r[w] = r;
	}
	return r.exec;
}

#endif /* PROFILER_VMA_CACHE_BPF_H */
