/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of a session's run (session.c) shared by its files: the run
 * itself, cutting a window and the end's summary (window.c), and the loop
 * that waits for the end (loop.c).  Internal to src/session.
 */
#ifndef PROFILER_SESSION_RUN_H
#define PROFILER_SESSION_RUN_H

#include "model/merge.h"
#include "runtime/runtime.h"
#include "session/session.h"

struct ring_wake;


/* The run: its shared runtime context, and one struct per collector. */
struct run {
	struct session rt;
	struct session cols[SESSION_MAX_COLLECTORS];
	int ncols;
	const struct session_opts *o;
	const struct session_sink *sink;
	uint64_t window_ns;
	uint64_t from_ns;	/* the current window's start */
	/*
	 * CLOCK_REALTIME at rt.start_ns, read once: windows are dated from it,
	 * so that they tile in wall-clock time as they do in CLOCK_MONOTONIC
	 * while NTP slews the one (an agent test saw 5 ms gaps between 1 s
	 * windows when each was dated from a reading at its cut).
	 */
	uint64_t real_start_ns;
	int index;		/* the current window's */
	bool failed[SESSION_MAX_COLLECTORS];	/* failed to start, alone (sink->failed) */
	struct ring_wake *rw;	/* the loop's promise to the BPF programs */
	/*
	 * Mapping records read in batches, on the loop's timer: the front-end
	 * asked (session_opts.batch_mappings), or nothing waits for them
	 * (rt.kernel_entries: the kernel makes new processes' unwind entries).
	 */
	bool batch;
	/* a one-shot run cut into windows that are added up (fold.c) */
	bool folding;
	struct merged folded[SESSION_MAX_COLLECTORS];
};

/*
 * Collect every collector's window (whole: the whole run), symbolize and
 * hand them to the sink; last_out, when given, keeps the profiles for the
 * summary.  Non-zero when the sink or a collector failed.
 */
int run_cut_window(struct run *r, bool last, bool whole, struct profile **last_out);
/*
 * After the collectors started: whether the run folds (one-shot, no
 * windows of its own, every collector's windows add up); then window_ns
 * is set.
 */
void run_fold_start(struct run *r);
/*
 * A window's symbolized profiles added into the run's (each freed); true
 * when the sink gets ps now: always when not folding; else only at the
 * last window, ps then the sums (owned by the caller) and w the whole run.
 */
bool run_fold(struct run *r, struct profile **ps, struct session_window *w);
void run_fold_free(struct run *r);
/* Losses and one line per collector on stderr, and the run's warnings. */
void run_print_end(struct run *r, struct profile **ps);
/* Who speaks for several collectors in messages: top, agent or record. */
const char *run_front_name(const struct run *r);
/* Until the end (duration, Ctrl-C, targets gone, the command's exit, the
 * sink's stop): read what the rings bring, cut windows; sets stop_reason. */
void run_wait_for_end(struct run *r, int sigfd);

#endif /* PROFILER_SESSION_RUN_H */
