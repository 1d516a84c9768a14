/* SPDX-License-Identifier: GPL-2.0 */
/* What profiler mem's files share (mem.c, mem_probes.c). */
#ifndef PROFILER_MEM_STATE_H
#define PROFILER_MEM_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mem_bpf;
struct bpf_link;
struct deltas;
struct session;

enum mem_mode { MODE_USER, MODE_KERNEL, MODE_FAULTS };

struct mem_state {
	struct mem_bpf *skel;
	struct bpf_link **links;
	int nlinks;
	size_t links_cap;
	enum mem_mode mode;
	char lib[4096];
	bool kprobes;		/* the kernel has kprobes (we still use tracepoints) */
	/* processes with probes, and on which file: a process probed twice on
	 * one file would count each allocation twice */
	struct probed {
		pid_t pid;
		dev_t dev;
		ino_t ino;
	} *probed;
	size_t nprobed, probed_cap;
	bool stopping;		/* held processes are let go, not probed */
	bool signal_task;	/* children stopped at fork (bpf_send_signal_task) */
	uint64_t unfollowed;	/* children user space failed to probe */
	struct deltas *windows;	/* allocations handed over so far, per site */
	uint32_t live_buckets;	/* live_slots' size */
};

/*
 * Probes on the allocators of the targets: -a, the one this process
 * uses, for all; -p, each one's own; -- COMMAND, the command's, and its
 * children followed (on_held).
 */
int mem_start_user(struct session *ss, struct mem_state *st);

#endif /* PROFILER_MEM_STATE_H */
