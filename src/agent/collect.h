/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's collection: one session at a time, each window's pieces
 * added up, encoded, kept for HTTP, written to --dir and pushed.  A
 * session is renewed (every map and cache started empty) once it is old
 * enough and the agent's RSS passed a limit, or at its maximum age: the
 * new session starts and attaches while the old one still collects, and
 * takes over at the instant the old one stops, so no sample falls
 * between them.
 */
#ifndef PROFILER_AGENT_COLLECT_H
#define PROFILER_AGENT_COLLECT_H

#include <stdint.h>

#include "agent/agent.h"

struct agent_renew {
	uint64_t rss;		/* bytes at a window's end ... */
	uint64_t min_ns;	/* ... once the session is this old */
	uint64_t max_ns;	/* at this age whatever the RSS */
};

/*
 * Sessions of cols until -d, SIGTERM or SIGINT, the command's exit or the
 * targets' end (a -- COMMAND runs in one session, never renewed).  The
 * signals must be blocked in every thread already.  The exit code.
 */
int agent_collect(struct agent *a, const struct collector *const *cols, int n,
		  struct settings *set, const struct agent_renew *rn);

#endif /* PROFILER_AGENT_COLLECT_H */
