/* SPDX-License-Identifier: GPL-2.0 */
/*
 * profiler agent's shared state: what the collection (the session's
 * thread, through the sink in src/cli/agent.c) hands to the HTTP threads
 * (src/agent/http.c).  The session cuts a piece every --window seconds,
 * and at once when a ?seconds=N request starts or ends (through cut_fds);
 * the agent adds pieces up into windows and into the requests that wait
 * for them.  Recent windows are kept as gzipped pprof bytes, so a
 * page or a scrape copies bytes under the lock and renders outside it:
 * no client holds the lock for longer than a copy, and collection never
 * waits for the network.
 */
#ifndef PROFILER_AGENT_H
#define PROFILER_AGENT_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/merge.h"
#include "cli/settings.h"
#include "session/session.h"

#define AGENT_RECENT 30		/* windows kept for the page and scrapes */
#define AGENT_MAX_REQS 8	/* ?seconds=N requests waiting at once */
#define AGENT_MAX_LOSSES 64	/* distinct loss counters in /metrics */

struct agent_blob {
	char *data;
	size_t len;
};

struct agent_window {
	uint64_t id;		/* 1, 2, ...; 0: an empty slot */
	uint64_t start_ns;	/* CLOCK_REALTIME */
	uint64_t duration_ns;
	struct agent_blob pprof[SESSION_MAX_COLLECTORS];	/* gzipped, per type */
};

/* A ?seconds=N request: the HTTP thread waits, the collection fills it. */
struct agent_req {
	int type;
	uint64_t seconds;
	/* CLOCK_MONOTONIC: pieces within are its; 0 until the first cut after the request */
	uint64_t start_ns, end_ns;
	struct merged m;
	struct agent_blob out;	/* set when done; empty: nothing was collected */
	bool done;
	struct agent_req *next;
};

struct agent_loss {
	int type;
	char *what;
	uint64_t count;
};

struct agent {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const struct settings *set;
	int ntypes;
	const char *names[SESSION_MAX_COLLECTORS];	/* collector names */
	uint64_t window_ns;
	/* eventfds, one per session (two while one renews): a write makes it cut a piece now */
	int cut_fds[2];
	bool stopping;		/* the run ended: requests are answered with what they have */

	struct agent_window recent[AGENT_RECENT];	/* recent[(id - 1) % AGENT_RECENT] */
	uint64_t nwindows;
	struct agent_req *reqs;
	int nreqs;

	/* for /metrics and /healthz */
	uint64_t pieces, renewals, renewals_failed;
	/* what renewals cost: CPU to start the new sessions and end the old, gaps between them */
	uint64_t renew_cpu_ns, renew_gap_ns, renew_start_ns;
	uint64_t last_piece_ns;	/* CLOCK_MONOTONIC */
	uint64_t samples[SESSION_MAX_COLLECTORS];
	struct agent_loss losses[AGENT_MAX_LOSSES];
	int nlosses;
	uint64_t files_written, files_failed;
	struct pusher *push;
};

/* 0, or -errno when the eventfd cannot be made. */
int agent_init(struct agent *a, const struct settings *set, const char *const *names, int n,
	       uint64_t window_ns);
void agent_free(struct agent *a);

/* Gzipped pprof of p into out (malloc'd). 0 or -errno. */
int agent_encode(const struct agent *a, const struct profile *p, struct agent_blob *out);

/* The collection side: one piece's profiles (figures, waiting requests). */
void agent_piece(struct agent *a, struct profile *const *ps, int n, const struct session_window *w);
/* A piece cut now (the sessions read cut_fds while they collect). */
void agent_cut_now(struct agent *a);
/* A window's encoded profiles join the recent ones (the blobs are taken). */
void agent_add_window(struct agent *a, uint64_t start_ns, uint64_t duration_ns,
		      struct agent_blob *pprof);
/* The run is over: waiting requests are answered. */
void agent_stop(struct agent *a);

/*
 * The HTTP side.  The next `seconds` of type into out: waits.  -EBUSY
 * with AGENT_MAX_REQS waiting, -ESHUTDOWN once stopped.
 */
int agent_wait_profile(struct agent *a, int type, unsigned int seconds, struct agent_blob *out);
/*
 * A copy of window id's pprof of type (id 0: the latest); its id, start
 * and duration in *w (no blobs).  -ENOENT when it is not kept.
 */
int agent_copy_window(struct agent *a, uint64_t id, int type, struct agent_blob *out,
		      struct agent_window *w);
/* The ids and times of the kept windows, newest first; returns how many. */
int agent_list_windows(struct agent *a, struct agent_window *out, int max);
/* The signals the sessions read from their signalfds (INT, TERM, HUP, CHLD) into *mask. */
void agent_session_signals(sigset_t *mask);
/* A condition variable whose timed waits run by CLOCK_MONOTONIC. */
void agent_cond_init(pthread_cond_t *cond);
/* The agent's resident memory, from /proc/self/statm; 0 when unknown. */
unsigned long agent_rss_bytes(void);
/*
 * The pages of the files the symbolizer and unwinder read through
 * read-only mappings (ELF files, the kallsyms cache) are given back: they
 * are clean and stay in the page cache, so a later read takes a minor
 * fault.  Measured under churn, 15-20 MiB of the agent's RSS (see
 * docs/performance.md, Agent).  Returns the bytes of mappings dropped.
 * The caller makes sure no other thread unmaps such a file meanwhile
 * (one session alive): a range reused by a new mapping would be zeroed.
 */
size_t agent_drop_file_pages(void);
/* The collector index of a profile type's name, or -1. */
int agent_type(const struct agent *a, const char *name);

#endif /* PROFILER_AGENT_H */
