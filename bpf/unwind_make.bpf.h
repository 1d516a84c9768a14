/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A process's unw_procs entry made in the kernel, from tables kept per
 * binary (unw_files, keyed by the mapped file's inode), so that a new
 * process needs nothing from user space before its first sample is
 * unwound: under churn, writing each new process's entry in time woke
 * our loop at every exec and wrote ~2 entries a process (docs/
 * performance.md, "What would meet the CPU target").
 *
 * The process's mappings are walked with the task-VMA iterator (6.7+),
 * which takes the mmap lock: refused in the perf event's hard irq
 * (-EBUSY at every sample), so the walk runs from task work (6.18) at
 * the task's return to user mode (bpf/cpu_defer.bpf.c).  User space loads
 * that object only where the kernel has both kfuncs.
 */
#ifndef PROFILER_UNWIND_MAKE_BPF_H
#define PROFILER_UNWIND_MAKE_BPF_H

#include "unwind.bpf.h"

#define UNW_VM_EXEC	0x4	/* include/linux/mm.h: not in BTF */

extern int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, struct task_struct *task,
				 __u64 addr) __ksym __weak;
extern struct vm_area_struct *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it) __ksym __weak;
extern void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it) __ksym __weak;

/* Filled by user space as it makes each binary's table (src/runtime/unwind.c) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UNWIND_MAX_FILES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct unwind_file_key);
	__type(value, struct unwind_file);
} unw_files SEC(".maps");

/* An entry being made: 2 KiB, more than a BPF stack holds */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct unwind_proc);
} unw_scratch SEC(".maps");

/* Entries made here; mappings of code without a table yet (for --stats) */
__u64 unw_made, unw_made_missing;

/* The bias of a mapping of f at start, file offset off; false: no segment has it */
static __always_inline bool unw_file_bias(const struct unwind_file *f, __u64 start, __u64 off,
					  __u64 *bias)
{
	for (int i = 0; i < UNWIND_FILE_SEGS; i++) {
		if (i >= f->nsegs)
			break;
		if (off >= f->segs[i].lo && off < f->segs[i].hi) {
			*bias = start - off + f->segs[i].adj;
			return true;
		}
	}
	return false;
}

/*
 * The current process's pages of code mapped (mm->exec_vm), plus one, in
 * 31 bits (unwind_proc.made): it changes as code is mapped or unmapped
 * (dlopen, ld.so at the start), not with every mmap of data, as the count
 * of mappings did: a Python program's imports made its entry again at
 * nearly every sample.
 */
static __always_inline __u32 unw_made_mark(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return ((__u32)BPF_CORE_READ(task, mm, exec_vm) + 1) & ~UNWIND_MADE_LACKING;
}

/*
 * Whether the current process needs its entry made: it has none, or one
 * the kernel made before the process mapped more, or that lacks a table.
 */
static __always_inline bool unw_entry_wanted(__u32 tgid)
{
	struct unwind_proc *have = bpf_map_lookup_elem(&unw_procs, &tgid);

	return !have || (have->made && have->made != unw_made_mark());
}

/*
 * Make the current process's entry from its mappings of code with a
 * table, unless it has a current one: user space's, written from its
 * records, may know a table made since, and stays.  Returns the entry,
 * or NULL; *lacking, whether code of the process had no table yet, unless
 * the entry before lacked one too and nothing was mapped since (user
 * space is asked once a mapping, not at every sample).
 */
static __always_inline struct unwind_proc *unw_make_entry(__u32 tgid, bool *lacking)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct unwind_proc *up, *have;
	struct vm_area_struct *vma;
	struct bpf_iter_task_vma it;
	__u64 vdso = 0, flags = BPF_NOEXIST;
	__u32 zero = 0, n = 0, missing = 0, mark = unw_made_mark();
	bool was_lacking;

	*lacking = false;
	have = bpf_map_lookup_elem(&unw_procs, &tgid);
	if (have && (!have->made || have->made == mark))
		return have;
	/* lacking already, and nothing mapped since: user space was asked */
	was_lacking = have && have->made == (mark | UNWIND_MADE_LACKING);
	if (have)
		flags = BPF_EXIST;	/* ours, gone stale: made again */
	up = bpf_map_lookup_elem(&unw_scratch, &zero);
	if (!up)
		return NULL;
	if (bpf_core_field_exists(task->mm->context.vdso))
		vdso = (__u64)BPF_CORE_READ(task, mm, context.vdso);
	if (bpf_iter_task_vma_new(&it, task, 0)) {
		bpf_iter_task_vma_destroy(&it);
		return NULL;
	}
	/*
	 * What changes from mapping to mapping is kept in up, not in
	 * registers: the verifier then finds the loop's state the same at
	 * each pass and stops after one, where counters it tracks exactly
	 * made it walk every pass (half a second of CPU at each start).
	 */
	up->nr = 0;
	up->made = 0;
	while ((vma = bpf_iter_task_vma_next(&it))) {
		struct unwind_file_key key = {};
		const struct unwind_file *f;
		struct file *file;
		struct unwind_map *m;
		__u64 bias, off;
		__u32 at = up->nr;

		if (at >= UNWIND_MAX_MAPS)
			break;
		if (!(vma->vm_flags & UNW_VM_EXEC))
			continue;
		/*
		 * The file's pointers are read, not walked: each pointer the
		 * verifier walks from the iterator's trusted vma costs it four
		 * linear searches of the kernel's BTF (the __safe_ type names):
		 * its program's load took 12.3 ms so, 1.1 ms now (docs/
		 * performance.md)
		 */
		file = BPF_CORE_READ(vma, vm_file);
		if (file) {
			key.ino = BPF_CORE_READ(file, f_inode, i_ino);
			key.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
			off = (__u64)vma->vm_pgoff << 12;
		} else if (vma->vm_start == vdso && vdso) {
			off = 0;	/* the vDSO: key 0, as user space keeps it */
		} else {
			continue;	/* JIT code, no file: frame pointers */
		}
		f = bpf_map_lookup_elem(&unw_files, &key);
		if (!f) {
			up->made = 1;	/* code without a table yet */
			continue;
		}
		if (!f->row_count || !unw_file_bias(f, vma->vm_start, off, &bias))
			continue;
		m = &up->maps[at & (UNWIND_MAX_MAPS - 1)];
		m->start = vma->vm_start;
		m->end = vma->vm_end;
		m->bias = bias;
		m->table = f->table;
		m->row_count = f->row_count;
		up->nr = at + 1;	/* the iterator goes up through the addresses: sorted */
	}
	missing = up->made;
	n = up->nr;
	*lacking = missing && !was_lacking;
	bpf_iter_task_vma_destroy(&it);
	if (!n && !missing)
		return NULL;
	/* (none with a table yet: an empty entry that says so, not a
	 * request to user space at every sample) */
	up->nr = n;
	up->made = mark | (missing ? UNWIND_MADE_LACKING : 0);
	if (missing)
		__sync_fetch_and_add(&unw_made_missing, 1);
	/* user space's entry, if one came meanwhile, stays (a stale one of
	 * ours replaced by user space's in between is replaced: harmless,
	 * its next write or this process's next mapping puts it back) */
	if (bpf_map_update_elem(&unw_procs, &tgid, up, flags))
		return bpf_map_lookup_elem(&unw_procs, &tgid);
	__sync_fetch_and_add(&unw_made, 1);
	return bpf_map_lookup_elem(&unw_procs, &tgid);
}

#endif /* PROFILER_UNWIND_MAKE_BPF_H */
