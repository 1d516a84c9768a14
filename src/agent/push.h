/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pushing profiles to a Grafana Pyroscope server (POST /ingest), from a
 * bounded queue drained by a thread of its own: a server that is down or
 * slow never holds up collection.  Pushes that fail are retried with
 * backoff; what does not fit in the queue is dropped and counted.
 *
 * The agent (src/cli/agent.c) calls push_profile() once per window and
 * profile type; everything else (HTTP, retries, labels in the name) is
 * here.
 */
#ifndef PROFILER_AGENT_PUSH_H
#define PROFILER_AGENT_PUSH_H

#include <stddef.h>
#include <stdint.h>

struct pusher;

struct push_opts {
	const char *url;	/* server base URL, e.g. http://127.0.0.1:4040 */
	const char *app;	/* application name; NULL: "profiler" */
	/* extra labels "k=v" (hostname is always added); n_labels of them */
	const char *const *labels;
	int n_labels;
	size_t queue_bytes;	/* 0: a default */
};

struct push_item {
	const char *type;	/* profile type in the name: "cpu", "offcpu", "mem", ... */
	uint64_t from_s, until_s;	/* the window, Unix seconds */
	unsigned int sample_rate;	/* Hz for cpu, 0 when it does not apply */
	const char *format;	/* "pprof" (gzipped profile.proto) or "folded" */
	const void *data;
	size_t len;
};

struct push_stats {
	uint64_t pushed, failed_attempts, dropped, queued;
};

/* Check the options (one-line error on a bad URL or label) and start the thread. */
int push_open(const struct push_opts *o, struct pusher **out);
/* Copy the item into the queue; never blocks on the network.  -ENOSPC: dropped. */
int push_profile(struct pusher *p, const struct push_item *it);
void push_stats(struct pusher *p, struct push_stats *st);
/* Try to send what is queued for at most timeout_ms, then stop the thread and free. */
void push_close(struct pusher *p, int timeout_ms);

#endif /* PROFILER_AGENT_PUSH_H */
