// SPDX-License-Identifier: GPL-2.0
/*
 * Young processes' unwind entries for profiler cpu (cpu_young.h): which
 * way the kernel allows, and the programs each way loads.
 *
 * The kernel-made ways load bpf/cpu_defer.bpf.c, an object of its own on
 * skel's maps: it calls kfuncs, for which libbpf reads the kernel's whole
 * BTF (5.5 MB: ~12 ms and ~9 MiB at its peak), a price only runs that
 * use them pay.  Only with cpu alone in the run (other collectors unwind
 * young processes with the entries user space writes early, which these
 * ways turn off), in one-shot runs: the agent batches its reads and walks
 * a young process's first samples by frame pointers already, and the
 * read of the kernel's BTF would double its peak memory, at its start.
 *
 * PROFILER_NO_TASK_WORK=1 acts as if the kernel had no task work;
 * PROFILER_NO_KERNEL_ENTRIES=1 as if it had neither kfunc (the records'
 * way); PROFILER_TEST_DEFER_FAIL=1 as if it refused the program that
 * makes the entries, for a reason we do not know.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "cpu.skel.h"
#include "cpu_defer.skel.h"
#include "collectors/cpu_state.h"
#include "collectors/cpu_young.h"
#include "runtime/load_heap.h"
#include "runtime/preflight.h"
#include "runtime/refusals.h"
#include "runtime/runtime.h"
#include "runtime/unwind.h"
#include "util/util.h"

/* the iterator first: cpu_young_mode asks for it alone */
static const char *const kfuncs[] = { "bpf_iter_task_vma_new",
				      "bpf_task_work_schedule_resume_impl" };

#define REFUSED_NAME "cpu_defer"
#define DEFER_LOG_SIZE (64 * 1024)

enum cpu_young cpu_young_mode(struct session *ss)
{
	size_t size;
	const void *elf = cpu_defer_bpf__elf_bytes(&size);

	if (env_on("PROFILER_NO_KERNEL_ENTRIES"))
		return CPU_YOUNG_RECORDS;
	if (ss->cfi_unwind <= 0 || ss->rt->ncols != 1 || ss->rt->batching || ss->set->kernel_only)
		return CPU_YOUNG_RECORDS;
	/*
	 * -p and -t without a command: no process is born into the profile
	 * (children are followed only from a command), and the targets'
	 * entries are written at the start: the kfuncs' object would cost
	 * the run ~0.1 s of CPU and ~10 MiB for nothing
	 */
	if ((ss->filter_pids || ss->filter_tids) && !ss->follow_forks)
		return CPU_YOUNG_RECORDS;
	/* before the scan of the kernel's BTF for the kfuncs: 5.5 MB */
	if (env_on("PROFILER_NO_TASK_WORK") || refusal_known(REFUSED_NAME, elf, size)) {
		if (!env_on("PROFILER_NO_TASK_WORK"))
			pr_debug("this kernel refuses task work to sampling programs (found by "
				 "an earlier run of this boot)");
		if (kernel_has_kfuncs(kfuncs, 1))
			return CPU_YOUNG_AT_LOCK;
	} else if (kernel_has_kfuncs(kfuncs, 2)) {
		return CPU_YOUNG_TASK_WORK;
	} else if (kernel_has_kfuncs(kfuncs, 1)) {
		pr_debug("no task work in this kernel (6.18): new processes' unwind entries are "
			 "made as they map their code");
		return CPU_YOUNG_AT_LOCK;
	}
	pr_debug("no task-VMA iterator in this kernel (6.7): new processes' unwind entries are "
		 "written by us, from their mapping records");
	return CPU_YOUNG_RECORDS;
}

/*
 * Make every map of obj that the loaded object from has by name (all but
 * its own and the sections' .rodata, .bss) the same map: one set of
 * counts, stacks and tables whichever object samples.
 */
static int share_maps(struct bpf_object *obj, struct bpf_object *from)
{
	struct bpf_map *m, *theirs;

	bpf_object__for_each_map(m, obj) {
		if (strchr(bpf_map__name(m), '.'))
			continue;
		theirs = bpf_object__find_map_by_name(from, bpf_map__name(m));
		if (theirs && bpf_map__reuse_fd(m, bpf_map__fd(theirs)))
			return -errno;
	}
	return 0;
}

/* The settings of the sampling program, the same in every object. */
#define CPU_RODATA_COPY(to, from)					\
	do {								\
		(to)->filter_pids = (from)->filter_pids;		\
		(to)->leaf_fix = (from)->leaf_fix;			\
		(to)->fp_walk = (from)->fp_walk;			\
		(to)->cfi_unwind = (from)->cfi_unwind;			\
		(to)->max_depth = (from)->max_depth;			\
		(to)->spill_test_mask = (from)->spill_test_mask;	\
		(to)->counts_test_mask = (from)->counts_test_mask;	\
		(to)->python_frames = (from)->python_frames;		\
		(to)->filter_tids = (from)->filter_tids;		\
		(to)->filter_cgroups = (from)->filter_cgroups;		\
		(to)->include_idle = (from)->include_idle;		\
		(to)->user_stacks = (from)->user_stacks;		\
		(to)->kernel_stacks = (from)->kernel_stacks;		\
	} while (0)

/*
 * The object that makes the entries, on skel's maps, with the programs
 * of mode (cpu_sample_defer, or cpu_entry_at_lock) and the exit's.
 * 0, -EOPNOTSUPP where the kernel refuses task work to sampling programs,
 * or -errno.
 */
static int entries_load(struct session *ss, struct cpu_state *st, enum cpu_young mode)
{
	struct cpu_defer_bpf *d = SKEL_OPEN(ss, cpu_defer);
	bool task_work = mode == CPU_YOUNG_TASK_WORK;
	const void *elf;
	size_t elf_size;
	char *log = NULL;
	int fd, err;

	if (!d)
		return -errno;
	st->dskel = d;
	fd = unwinder_share_files(ss->unw);
	if (fd < 0 || bpf_map__reuse_fd(d->maps.unw_files, fd))
		return -errno;
	err = share_maps(d->obj, st->skel->obj);
	if (err)
		return err;
	CPU_RODATA_COPY(d->rodata, st->skel->rodata);
	/* the tests' way to a kernel whose verifier refuses it */
	if (env_on("PROFILER_TEST_DEFER_FAIL"))
		return -EPERM;
	/* the announcements' programs run in skel */
	bpf_program__set_autoload(d->progs.follow_fork, false);
	bpf_program__set_autoload(d->progs.proc_exec, false);
	bpf_program__set_autoload(d->progs.cpu_sample_defer, task_work);
	bpf_program__set_autoload(d->progs.cpu_entry_at_lock, !task_work);
	/*
	 * Only read on a refusal (libbpf then verifies again at level 1
	 * into it; the kernel keeps the log's tail, where the reason is)
	 */
	if (task_work) {
		log = xmalloc(DEFER_LOG_SIZE);
		log[0] = '\0';
		bpf_program__set_log_buf(d->progs.cpu_sample_defer, log, DEFER_LOG_SIZE);
	}
	err = skel_load(d->skeleton);
	/*
	 * Later 6.18 kernels verify task work's callback as sleepable and
	 * refuse it in a program that is not, as every perf_event program
	 * is: the kernel's ability, not a fault to warn of
	 */
	if (err && log && strstr(log, "sleepable callback in a program that is not sleepable")) {
		elf = cpu_defer_bpf__elf_bytes(&elf_size);
		refusal_note(REFUSED_NAME, elf, elf_size);
		err = -EOPNOTSUPP;
	}
	free(log);
	if (err)
		return err;
	d->links.cpu_made_exit = bpf_program__attach(d->progs.cpu_made_exit);
	if (!d->links.cpu_made_exit)
		return -errno;
	if (!task_work) {
		d->links.cpu_entry_at_lock = bpf_program__attach(d->progs.cpu_entry_at_lock);
		if (!d->links.cpu_entry_at_lock)
			return -errno;
	}
	return 0;
}

/* cpu_sample on skel's maps, in a second instance of its object. */
static int fallback_load(struct session *ss, struct cpu_state *st)
{
	struct cpu_bpf *f = SKEL_OPEN(ss, cpu);
	int err;

	if (!f)
		return -errno;
	st->fallback = f;
	err = share_maps(f->obj, st->skel->obj);
	if (err)
		return err;
	CPU_RODATA_COPY(f->rodata, st->skel->rodata);
	bpf_program__set_autoload(f->progs.follow_fork, false);
	bpf_program__set_autoload(f->progs.proc_exec, false);
	return skel_load(f->skeleton);
}

/* The entries are the kernel's from here on: none written early by us. */
static void entries_kernel(struct session *ss, struct cpu_state *st, bool at_lock)
{
	session_add_object(ss, st->dskel->obj);
	ss->rt->kernel_entries = true;
	ss->rt->entries_at_lock = at_lock;
	unwinder_kernel_entries(ss->unw, at_lock);
}

static void entries_failed(struct cpu_state *st, int err)
{
	if (err == -EOPNOTSUPP)
		pr_debug("this kernel refuses task work to sampling programs (its verifier: "
			 "\"sleepable callback in a program that is not sleepable\")");
	else
		pr_warn("cannot load the program that makes young processes' unwind entries "
			"(%s): they are written from their mapping records", strerror(-err));
	cpu_defer_bpf__destroy(st->dskel);
	st->dskel = NULL;
}

struct bpf_program *cpu_young_sampler(struct session *ss, struct cpu_state *st,
				      enum cpu_young mode, volatile __u64 **added)
{
	struct bpf_program *prog = st->skel->progs.cpu_sample;
	int err;

	*added = &st->skel->bss->counts_added;
	if (mode == CPU_YOUNG_RECORDS)
		return prog;
	if (mode == CPU_YOUNG_TASK_WORK) {
		err = entries_load(ss, st, mode);
		if (!err) {
			entries_kernel(ss, st, false);
			*added = &st->dskel->bss->counts_added;
			return st->dskel->progs.cpu_sample_defer;
		}
		entries_failed(st, err);
		/* skel's cpu_sample was left out for cpu_sample_defer */
		if (fallback_load(ss, st)) {
			bpf_explain("loading the BPF programs", -errno);
			return NULL;
		}
		session_add_object(ss, st->fallback->obj);
		*added = &st->fallback->bss->counts_added;
		prog = st->fallback->progs.cpu_sample;
		if (err != -EOPNOTSUPP)
			return prog;
	}
	err = entries_load(ss, st, CPU_YOUNG_AT_LOCK);
	if (err) {
		entries_failed(st, err);
		return prog;
	}
	pr_debug("young processes' unwind entries are made in the kernel as they map their code");
	entries_kernel(ss, st, true);
	return prog;
}
