/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How profiler cpu unwinds a young process's first samples, whose unwind
 * entry (unw_procs) must be in place by then: made in the kernel where it
 * can be (bpf/cpu_defer.bpf.c, bpf/unwind_make.bpf.h), else written by
 * us from the process's mapping records as they come.
 */
#ifndef PROFILER_CPU_YOUNG_H
#define PROFILER_CPU_YOUNG_H

#include <linux/types.h>

struct bpf_program;
struct cpu_state;
struct session;

enum cpu_young {
	/* written by us from mapping records, the loop woken at each exec */
	CPU_YOUNG_RECORDS,
	/* made at the return to user mode after the sample, in task work
	 * (6.18, where its verifier lets a perf_event program use it) */
	CPU_YOUNG_TASK_WORK,
	/* made as the process takes its mmap lock to change its mappings
	 * (the task-VMA iterator: 6.7) */
	CPU_YOUNG_AT_LOCK,
};

/* The way this run can take, before skel is loaded (which it sets up). */
enum cpu_young cpu_young_mode(struct session *ss);

/*
 * After skel's load: load what the way needs (falling back, said at -v
 * or warned of, to the next way if the kernel refuses).  The sampling
 * program to attach, its object's count of new keys in *added; NULL on
 * an error already said.
 */
struct bpf_program *cpu_young_sampler(struct session *ss, struct cpu_state *st,
				      enum cpu_young mode, volatile __u64 **added);

#endif /* PROFILER_CPU_YOUNG_H */
