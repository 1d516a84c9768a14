/* SPDX-License-Identifier: GPL-2.0 */
/* profiler latency's state, and the reading of its maps into a profile. */
#ifndef PROFILER_LATENCY_READ_H
#define PROFILER_LATENCY_READ_H

#include <stddef.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "latency.h"
#include "collectors/latency_spec.h"

struct latency_bpf;
struct bpf_link;
struct session;
struct profile;

enum lat_kmode {
	LAT_KMODE_NONE,		/* no kernel: spec */
	LAT_KMODE_KPROBE,	/* kprobes and kretprobes, the function id in the cookie */
	LAT_KMODE_FENTRY,	/* fentry/fexit on one function */
};

/* What a function's per-CPU histogram had at the last collect. */
struct lat_prev {
	uint64_t slots[LAT_HIST_SLOTS];
	uint64_t count, sum_ns, unreturned;
};

struct lat_state {
	struct latency_bpf *skel;
	struct lat_funcs funcs;		/* the function ids are indices here */
	enum lat_kmode kmode;
	uint32_t kern_first;		/* the kernel function fentry times */
	struct bpf_link **links;
	size_t nlinks, links_cap;
	/* user functions' multi-uprobe links (runtime/uprobe_multi.h), where
	 * the kernel has them */
	bool multi;
	int *link_fds;
	size_t nlink_fds, link_fds_cap;
	struct lat_prev *prev;		/* per function */
	struct lat_slow_event *slow;	/* since the last collect */
	size_t nslow, slow_cap;
	uint64_t slow_unlisted;		/* past LAT_SLOW_ROWS since the last collect */
	uint64_t lost_before[LAT_DROP_MAX];
	int64_t mono_to_real;		/* CLOCK_REALTIME - CLOCK_MONOTONIC */
};

/* The slow_events ring buffer's callback; ctx is the lat_state. */
int latency_on_slow(void *ctx, void *data, size_t size);
/* The collector's collect(): what came since the last call. */
int latency_collect(struct session *ss, struct profile *p);

#endif /* PROFILER_LATENCY_READ_H */
