/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A session runs a set of collectors over one target, from one start to
 * one stop, and cuts what they collect into windows: every window_ns (or a
 * collector's own interval, io -i), and once at the end.  Each window's
 * profiles, symbolized, go to the front-end's sink; the session knows no
 * format.  One-shot subcommands and `profiler record` are front-ends over
 * it.
 */
#ifndef PROFILER_SESSION_H
#define PROFILER_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/settings.h"
#include "collectors/collector.h"
#include "model/profile.h"

#define SESSION_MAX_COLLECTORS 8

struct session_window {
	int index;		/* 0, 1, ... in order; the whole run repeats the last's */
	bool last;		/* nothing is collected after this one */
	bool whole;		/* from the start to the stop, not one window */
	uint64_t from_ns, to_ns;	/* CLOCK_MONOTONIC */
	uint64_t run_start_ns;		/* when collecting began */
};

struct session_sink {
	void *ctx;
	/*
	 * A window's profiles, profiles[i] from the session's collector i,
	 * symbolized; they are freed when this returns.  Non-zero: the run
	 * failed (the sink said why).
	 */
	int (*window)(void *ctx, struct profile *const *profiles, int n,
		      const struct session_window *w);
	/*
	 * Optional, for a live front-end (profiler top).  keep: the sink
	 * owns every window's profiles once window() returned 0, and frees
	 * them with profile_free(), so a paused screen can still be sorted
	 * and saved.  idle: called whenever the wait wakes (at least every
	 * 250 ms, at once when idle_fd, if not -1, is readable); non-zero
	 * ends the run as Ctrl-C would, with the reason "quit".
	 */
	bool keep;
	int (*idle)(void *ctx);
	int idle_fd;
	/*
	 * Optional: a signal other than SIGCHLD came (SIGHUP, SIGINT,
	 * SIGTERM).  True: handled, the run goes on; false or NULL: the run
	 * stops, its last window collected as after -d.
	 */
	bool (*signal)(void *ctx, int signo);
	/*
	 * Optional (profiler top): a collector that fails to start fails
	 * alone.  The session calls failed() with its index and its last
	 * message (what it printed, without "profiler: "), stops and frees
	 * it, and runs the others; window() then gets NULL for it.  Without
	 * failed(), or when every collector fails, the run fails.
	 */
	void (*failed)(void *ctx, int i, const char *why);
	/*
	 * Optional: asked after each window is handed over; true cuts the
	 * whole run so far at once, handed over as a window with whole set
	 * (not last).  Collectors that drain their maps keep their totals
	 * for it, as with session_opts.whole_run.
	 */
	bool (*want_whole)(void *ctx);
	/*
	 * Optional, for the agent's renewal (one session taking over from
	 * another without a gap): started, once every collector is attached
	 * and collecting, before the first window; stopped, once they are
	 * detached, before the last window is read.
	 */
	void (*started)(void *ctx);
	void (*stopped)(void *ctx);
	/*
	 * Optional (the agent's renewed session, whose pieces before the
	 * handover are its predecessor's samples): false, and the window is
	 * read (its counts start again) but neither named nor handed over.
	 */
	bool (*wanted)(void *ctx, const struct session_window *w);
};

struct session_opts {
	uint64_t window_ns;	/* 0: a collector's own interval, else one window */
	/* After the last window, the whole run once more (sink gets whole). */
	bool whole_run;
	/*
	 * Optional, > 0: an eventfd; each time it becomes readable a window
	 * is cut at once (the agent's ?seconds=N requests), besides those
	 * every window_ns.
	 */
	int cut_fd;
	/*
	 * Mapping records read at each wake-up (every 250 ms at least) rather
	 * than each waking it: for front-ends that run long over a whole busy
	 * machine at a low rate (agent, top), where a new process's first
	 * quarter second unwound by frame pointers alone costs little and a
	 * wake-up per mmap costs much.
	 */
	bool batch_mappings;
	/*
	 * Optional, > 0: an eventfd; once it becomes readable the run ends
	 * as after -d, its last window collected.
	 */
	int stop_fd;
	/*
	 * The front-end's name in messages that speak for several collectors
	 * ("profiler top: the command exited ..."); NULL: "record".
	 */
	const char *front;
};

/*
 * Check, start -- COMMAND, let every collector attach, wait for the end
 * (duration, signal, targets gone), cutting windows meanwhile, and stop.
 * Whatever ends the wait, what was collected reaches the sink.  Returns
 * the process exit code.
 */
int session_run(const struct collector *const *cols, int ncols, struct settings *set,
		const struct session_opts *o, const struct session_sink *sink);

#endif /* PROFILER_SESSION_H */
