/* SPDX-License-Identifier: GPL-2.0 */
/* What profiler mem's files share (mem.c, mem_probes.c). */
#ifndef PROFILER_MEM_STATE_H
#define PROFILER_MEM_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mem_bpf;
struct alloc_files;
struct bpf_link;
struct link_closer;
struct deltas;
struct session;

enum mem_mode { MODE_USER, MODE_KERNEL, MODE_FAULTS };

struct mem_state {
	struct mem_bpf *skel;
	struct bpf_link **links;
	int nlinks;
	size_t links_cap;
	/* multi-uprobe links (runtime/uprobe_multi.h), where the kernel has them */
	bool multi;
	int *link_fds;
	size_t nlink_fds, link_fds_cap;
	enum mem_mode mode;
	char lib[4096];
	bool kprobes;		/* the kernel has kprobes (we still use tracepoints) */
	/* processes with probes, and on which file: a process probed twice on
	 * one file would count each allocation twice */
	struct probed {
		pid_t pid;
		dev_t dev;
		ino_t ino;
		int pidfd;		/* readable once it has exited, or -1 */
		/* its multi links (the allocator's four, the entry hold's),
		 * closed when it exits */
		int fds[5];
		int nfds;
	} *probed;
	size_t nprobed, probed_cap;
	struct link_closer *closer;	/* made at the first exit */
	size_t reaped;			/* processes whose probes went at their exit */
	struct alloc_files *files;	/* the allocator functions of the files seen */
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
/* The probes of followed processes that have exited go (in the background). */
void mem_reap_exited(struct mem_state *st);
/* Every multi link closed: the kernel's waits for them overlap. */
void mem_close_links(struct mem_state *st);

#endif /* PROFILER_MEM_STATE_H */
