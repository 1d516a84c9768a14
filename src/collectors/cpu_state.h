/* SPDX-License-Identifier: GPL-2.0 */
/* profiler cpu's state for a run, shared by cpu.c and cpu_young.c. */
#ifndef PROFILER_CPU_STATE_H
#define PROFILER_CPU_STATE_H

#include <stddef.h>

struct cpu_state {
	/* the maps, the announcements; cpu_sample unless deferring */
	struct cpu_bpf *skel;
	/* kernel-made entries: cpu_sample_defer or cpu_entry_at_lock, on skel's maps */
	struct cpu_defer_bpf *dskel;
	/* cpu_sample on skel's maps, had cpu_sample_defer failed */
	struct cpu_bpf *fallback;
	struct bpf_link **links;	/* one per session CPU */
	int nlinks;
	struct cpu_counts *counts;	/* the two counts maps, drained */
	struct deltas *whole;		/* with windows: the run's totals per key */
	size_t stacks_entries;		/* in the stacks maps, as known (stack_parts_read) */
	struct stack_prune *prune;	/* user stacks to delete once their process exits */
};

#endif /* PROFILER_CPU_STATE_H */
