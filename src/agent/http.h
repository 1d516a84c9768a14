/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's HTTP server (libmicrohttpd): Go's net/http/pprof paths, a
 * page with the latest window's flame graph, /healthz and /metrics.  A
 * thread per connection, a bounded number of them, idle connections
 * closed: clients wait in their own threads, never in the collection's.
 */
#ifndef PROFILER_AGENT_HTTP_H
#define PROFILER_AGENT_HTTP_H

#include "agent/agent.h"

#define HTTP_MAX_CONNECTIONS 32
#define HTTP_MAX_PER_IP 16
#define HTTP_IDLE_TIMEOUT_S 30
#define HTTP_MAX_SECONDS 300	/* ?seconds=N: at most */
#define HTTP_DEFAULT_SECONDS 30	/* /debug/pprof/profile without ?seconds, as Go's */

struct http_server;

/*
 * Listen on addr ("127.0.0.1:6060", "[::1]:6060", ":6060" for every
 * address; port 0 picks one).  Call with the signals the session handles
 * blocked: the server's threads must never take them.  -errno after a
 * one-line message.
 */
int http_start(struct agent *a, const char *addr, struct http_server **out);
/* The port listened on. */
unsigned int http_port(const struct http_server *h);
void http_stop(struct http_server *h);

/* The pages (page.c, metrics.c): text into a malloc'd buffer. */
char *page_index(struct agent *a, size_t *len);
char *page_home(struct agent *a, const char *type, uint64_t window, size_t *len);
/* The svg of a window; NULL when it is not kept (or the type is unknown). */
char *page_flame(struct agent *a, int type, uint64_t window, size_t *len);
char *metrics_text(struct agent *a, size_t *len);

#endif /* PROFILER_AGENT_HTTP_H */
