// SPDX-License-Identifier: GPL-2.0
/*
 * On-CPU sampling where the kernel has task work and the task-VMA
 * iterator (6.18): a young process's first samples wait for its return
 * to user mode, where its unwind entry is made (bpf/unwind_make.bpf.h).
 * Its maps are bpf/cpu.bpf.c's, shared by user space; of that object only
 * the processes' announcements run beside this one.
 */
#define CPU_DEFER
#include "cpu_sample.bpf.h"

/*
 * The entries made here go with their processes (user space deletes
 * only those it wrote): at the exit of the thread group's leader, the
 * last thread as a rule (another thread left running remakes it at its
 * next sample).
 */
SEC("raw_tp/sched_process_exit")
int cpu_made_exit(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = task->tgid;
	struct unwind_proc *up;

	if (task->pid != tgid)
		return 0;
	up = bpf_map_lookup_elem(&unw_procs, &tgid);
	if (up && up->made && !bpf_map_delete_elem(&unw_procs, &tgid))
		__sync_fetch_and_add(&unw_made_gone, 1);
	return 0;
}

/*
 * Where the kernel refuses task work to a perf_event program (some 6.18
 * builds: its callback is sleepable) or has none, but has the task-VMA
 * iterator (6.7): the entry is made when the process is about to take
 * its mmap lock for writing, as it does for each change of its mappings
 * (exec, ld.so's libraries and their RELRO, dlopen, brk): in its own
 * context, the lock not yet held, where the iterator may take it for
 * reading.
 * The entry then has every change but the one to come: ld.so's last
 * library is in it by its RELRO mprotect, before main, and a dlopen's by
 * its own.  (At the lock's release, the tracepoint fires with the lock
 * still held: the iterator is refused.)  The samples are cpu.bpf.c's
 * cpu_sample; an entry that lacks a table is made again at the next
 * change, or written by user space once the table is made.  Each making
 * walks the mappings (~3 us), on the process's own time, only while its
 * code changes: the mark (unw_made_mark) says when.
 */
SEC("tp_btf/mmap_lock_start_locking")
int BPF_PROG(cpu_entry_at_lock, struct mm_struct *mm, bool write)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, zero = 0, *busy;
	bool lacking = false;

	/* the mappings change only under the write lock, its own mm's */
	if (!write || !tgid || BPF_CORE_READ(task, mm) != mm || task->flags & (PF_EXITING | PF_KTHREAD))
		return 0;
	/* an entry made inside exec goes at its end (proc_exec deletes it) */
	if (task_in_execve())
		return 0;
	if (!target_match(tgid, (__u32)id) || !unw_entry_wanted(tgid))
		return 0;
	busy = bpf_map_lookup_elem(&defer_busy, &zero);
	if (!busy || *busy)
		return 0;	/* unw_scratch is another run's on this CPU */
	*busy = 1;
	unw_make_entry(tgid, &lacking);
	*busy = 0;
	if (lacking)
		cpu_note_tables(tgid);
	return 0;
}

/*
 * The same, where the kernel has task work and the task-VMA iterator
 * (6.18): a process's first samples wait for its return to user mode,
 * where its unwind entry is made (bpf/unwind_make.bpf.h).  User space
 * loads one of the two.
 */
SEC("perf_event")
int cpu_sample_defer(struct bpf_perf_event_data *ctx)
{
	return cpu_sample_body(ctx, true);
}

char LICENSE[] SEC("license") = "GPL";
