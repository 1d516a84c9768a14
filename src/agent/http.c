// SPDX-License-Identifier: GPL-2.0
/*
 * Routes, on libmicrohttpd (see http.h).  No path names a file: every
 * answer comes from the agent's memory.
 *   /debug/pprof/             index
 *   /debug/pprof/profile      cpu, the next ?seconds=N (default 30), as Go's
 *   /debug/pprof/TYPE         TYPE a collector (cpu, offcpu, lock, io, mem) or
 *                             Go's name for it (block, mutex, allocs, heap):
 *                             the next ?seconds=N, else the latest window
 *                             (?window=ID: a kept one)
 *   /                         the page: latest window's flame graph (?type, ?window)
 *   /flame.svg                the svg alone (?type, ?window)
 *   /healthz, /metrics
 *
 * libmicrohttpd is loaded by dlopen() in http_start(), not linked: it
 * brings gnutls and its libraries, which every start of every command
 * mapped and relocated for the agent alone (util/dynlib.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "agent/http.h"
#include "util/dynlib.h"
#include "util/util.h"

#define MHD_SONAME "libmicrohttpd.so.12"

/* The functions of libmicrohttpd this file calls, found by dlsym() */
struct mhd_lib {
	typeof(MHD_start_daemon) *start_daemon;
	typeof(MHD_stop_daemon) *stop_daemon;
	typeof(MHD_get_daemon_info) *get_daemon_info;
	typeof(MHD_create_response_from_buffer) *create_response_from_buffer;
	typeof(MHD_add_response_header) *add_response_header;
	typeof(MHD_queue_response) *queue_response;
	typeof(MHD_destroy_response) *destroy_response;
	typeof(MHD_lookup_connection_value) *lookup_connection_value;
};

struct http_server {
	struct mhd_lib m;
	struct MHD_Daemon *d;
	struct agent *a;
	unsigned int port;
};

/* The collectors the agent can run, and Go's names for what they measure. */
static const char *const collectors[] = { "cpu", "offcpu", "mem", "lock", "io" };

static const struct {
	const char *go, *ours;
} aliases[] = {
	{ "profile", "cpu" }, { "block", "offcpu" }, { "mutex", "lock" },
	{ "allocs", "mem" }, { "heap", "mem" },
};

static enum MHD_Result reply(struct http_server *h, struct MHD_Connection *c,
			     unsigned int status, const char *type, char *body, size_t len)
{
	struct MHD_Response *r = h->m.create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	h->m.add_response_header(r, "Content-Type", type);
	h->m.add_response_header(r, "Cache-Control", "no-store");
	h->m.add_response_header(r, "X-Content-Type-Options", "nosniff");
	ret = h->m.queue_response(c, status, r);
	h->m.destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct http_server *h, struct MHD_Connection *c,
				  unsigned int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static enum MHD_Result reply_text(struct http_server *h, struct MHD_Connection *c,
				  unsigned int status, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MHD_NO;
	return reply(h, c, status, "text/plain; charset=utf-8", s, (size_t)n);
}

static enum MHD_Result reply_pprof(struct http_server *h, struct MHD_Connection *c,
				   struct agent_blob *b)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!b->data)
		return reply_text(h, c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "nothing was collected: the agent stopped\n");
	r = h->m.create_response_from_buffer(b->len, b->data, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(b->data);
		return MHD_NO;
	}
	h->m.add_response_header(r, "Content-Type", "application/octet-stream");
	h->m.add_response_header(r, "Content-Disposition", "attachment; filename=\"profile\"");
	h->m.add_response_header(r, "X-Content-Type-Options", "nosniff");
	ret = h->m.queue_response(c, MHD_HTTP_OK, r);
	h->m.destroy_response(r);
	return ret;
}

/* A query argument as a whole number in [min, max]: 0, -ENOENT when absent, -EINVAL. */
static int arg_u64(struct http_server *h, struct MHD_Connection *c, const char *name, uint64_t min, uint64_t max,
		   uint64_t *out)
{
	const char *v = h->m.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);

	if (!v)
		return -ENOENT;
	return parse_u64(v, min, max, out) ? -EINVAL : 0;
}

static enum MHD_Result serve_profile(struct http_server *h, struct MHD_Connection *c,
				     const char *name, bool is_profile)
{
	struct agent *a = h->a;
	struct agent_blob b;
	struct agent_window w;
	uint64_t seconds = is_profile ? HTTP_DEFAULT_SECONDS : 0, id = 0;
	int type = agent_type(a, name), err;

	if (type < 0)
		return reply_text(h, c, MHD_HTTP_NOT_FOUND,
				  "this agent does not collect %s: start it with --what %s\n",
				  name, name);
	err = arg_u64(h, c, "seconds", 1, HTTP_MAX_SECONDS, &seconds);
	if (err == -EINVAL)
		return reply_text(h, c, MHD_HTTP_BAD_REQUEST,
				  "bad seconds '%s': give a whole number of seconds from 1 to %d\n",
				  h->m.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "seconds"),
				  HTTP_MAX_SECONDS);
	if (arg_u64(h, c, "window", 1, UINT64_MAX, &id) == -EINVAL)
		return reply_text(h, c, MHD_HTTP_BAD_REQUEST,
				  "bad window: give a window's number from the page or /debug/pprof/\n");
	if (seconds && !id) {
		err = agent_wait_profile(a, type, (unsigned int)seconds, &b);
		if (err == -EBUSY)
			return reply_text(h, c, MHD_HTTP_SERVICE_UNAVAILABLE,
					  "%d profiles are being collected for clients already: "
					  "retry later\n", AGENT_MAX_REQS);
		if (err)
			return reply_text(h, c, MHD_HTTP_SERVICE_UNAVAILABLE, "the agent is stopping\n");
		return reply_pprof(h, c, &b);
	}
	if (agent_copy_window(a, id, type, &b, &w)) {
		if (id)
			return reply_text(h, c, MHD_HTTP_NOT_FOUND, "window %llu is not kept: see "
					  "/debug/pprof/ for those that are\n", (unsigned long long)id);
		return reply_text(h, c, MHD_HTTP_SERVICE_UNAVAILABLE, "no window is complete yet: "
				  "wait for one, or ask for ?seconds=N\n");
	}
	return reply_pprof(h, c, &b);
}

static enum MHD_Result serve_health(struct http_server *h, struct MHD_Connection *c)
{
	struct agent *a = h->a;
	uint64_t last, now = now_ns();
	bool stopping;

	pthread_mutex_lock(&a->lock);
	last = a->last_piece_ns;
	stopping = a->stopping;
	pthread_mutex_unlock(&a->lock);
	if (stopping)
		return reply_text(h, c, MHD_HTTP_SERVICE_UNAVAILABLE, "stopping\n");
	if (!last)
		return reply_text(h, c, MHD_HTTP_SERVICE_UNAVAILABLE, "starting\n");
	/* a piece every window: half a minute late is a stuck collection */
	if (now - last > a->window_ns + 30000000000ULL)
		return reply_text(h, c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "collection stalled: last profile %.0f s ago\n", (now - last) / 1e9);
	return reply_text(h, c, MHD_HTTP_OK, "ok\n");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **state)
{
	struct http_server *h = cls;
	const char *pp = "/debug/pprof/";
	uint64_t id = 0;
	const char *type;
	size_t len;
	char *body;

	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply_text(h, c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	if (*upload_size)
		return reply_text(h, c, MHD_HTTP_BAD_REQUEST, "a GET takes no body\n");
	type = h->m.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "type");
	if (arg_u64(h, c, "window", 1, UINT64_MAX, &id) == -EINVAL)
		return reply_text(h, c, MHD_HTTP_BAD_REQUEST, "bad window: give a window's number\n");
	if (!strcmp(url, "/healthz"))
		return serve_health(h, c);
	if (!strcmp(url, "/metrics")) {
		body = metrics_text(h->a, &len);
		return reply(h, c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len);
	}
	if (!strcmp(url, "/")) {
		body = page_home(h->a, type, id, &len);
		return reply(h, c, MHD_HTTP_OK, "text/html; charset=utf-8", body, len);
	}
	if (!strcmp(url, "/flame.svg")) {
		body = page_flame(h->a, agent_type(h->a, type ? type : h->a->names[0]), id, &len);
		if (!body)
			return reply_text(h, c, MHD_HTTP_NOT_FOUND,
					  "no such window or type: see / for those kept\n");
		return reply(h, c, MHD_HTTP_OK, "image/svg+xml", body, len);
	}
	if (!strcmp(url, "/debug/pprof") || !strcmp(url, pp)) {
		body = page_index(h->a, &len);
		return reply(h, c, MHD_HTTP_OK, "text/html; charset=utf-8", body, len);
	}
	if (!strncmp(url, pp, strlen(pp))) {
		const char *name = url + strlen(pp);

		for (size_t i = 0; i < ARRAY_SIZE(aliases); i++)
			if (!strcmp(name, aliases[i].go))
				return serve_profile(h, c, aliases[i].ours, !strcmp(name, "profile"));
		/* a collector's own name: it says how to collect it when it is not */
		for (size_t i = 0; i < ARRAY_SIZE(collectors); i++)
			if (!strcmp(name, collectors[i]))
				return serve_profile(h, c, name, false);
	}
	return reply_text(h, c, MHD_HTTP_NOT_FOUND, "no page %s: see / and /debug/pprof/\n", url);
}

/* "host:port", "[v6]:port" or ":port" into a socket address. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, bool *v6)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	uint64_t port;
	size_t hl;

	if (!colon || parse_u64(colon + 1, 0, 65535, &port))
		return -EINVAL;
	hl = colon - s;
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	*v6 = strchr(host, ':') != NULL;
	if (*v6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		return inet_pton(AF_INET6, host, &a6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

	a4->sin_family = AF_INET;
	a4->sin_port = htons(port);
	if (!hl) {
		a4->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	return inet_pton(AF_INET, host, &a4->sin_addr) == 1 ? 0 : -EINVAL;
}

/* libmicrohttpd's functions into m: 0, or -ENOENT with a line on stderr. */
static int mhd_load(struct mhd_lib *m)
{
	const struct dynlib_sym syms[] = {
		DYNLIB_SYM("MHD_start_daemon", m->start_daemon),
		DYNLIB_SYM("MHD_stop_daemon", m->stop_daemon),
		DYNLIB_SYM("MHD_get_daemon_info", m->get_daemon_info),
		DYNLIB_SYM("MHD_create_response_from_buffer", m->create_response_from_buffer),
		DYNLIB_SYM("MHD_add_response_header", m->add_response_header),
		DYNLIB_SYM("MHD_queue_response", m->queue_response),
		DYNLIB_SYM("MHD_destroy_response", m->destroy_response),
		DYNLIB_SYM("MHD_lookup_connection_value", m->lookup_connection_value),
	};
	char why[256];

	if (dynlib_open(MHD_SONAME, syms, ARRAY_SIZE(syms), why, sizeof(why)))
		return 0;
	pr_err("cannot load %s (%s): install Debian's libmicrohttpd12 to serve HTTP, or give "
	       "--listen off", MHD_SONAME, why);
	return -ENOENT;
}

int http_start(struct agent *a, const char *addr, struct http_server **out)
{
	struct http_server *h;
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	bool v6;

	if (parse_listen(addr, &ss, &v6)) {
		pr_err("invalid --listen '%s': give ADDRESS:PORT, for example 127.0.0.1:6060, "
		       "[::1]:6060 or :6060 for every address", addr);
		return -EINVAL;
	}
	h = xcalloc(1, sizeof(*h));
	h->a = a;
	if (mhd_load(&h->m)) {
		free(h);
		return -ENOENT;
	}
	h->d = h->m.start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
				 (v6 ? MHD_USE_IPv6 : 0),
				 0, NULL, NULL, handle, h,
				 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				 MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_CONNECTIONS,
				 MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_PER_IP,
				 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_IDLE_TIMEOUT_S,
				 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
				 /* flame graphs recurse by stack depth: 1 MiB is plenty */
				 MHD_OPTION_THREAD_STACK_SIZE, (size_t)1 << 20,
				 MHD_OPTION_END);
	if (!h->d) {
		pr_err("cannot listen on %s: %s (another process has the port? choose one with "
		       "--listen ADDRESS:PORT)", addr, strerror(errno ? errno : EADDRINUSE));
		free(h);
		return -EADDRINUSE;
	}
	info = h->m.get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : 0;
	*out = h;
	return 0;
}

unsigned int http_port(const struct http_server *h)
{
	return h->port;
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	h->m.stop_daemon(h->d);
	free(h);
}
