// SPDX-License-Identifier: GPL-2.0
/*
 * The Pyroscope pusher: POST /ingest with libcurl from a queue of copied
 * profiles, drained in order by one thread.
 *
 * The query follows Grafana Pyroscope's server API ("Pyroscope server HTTP
 * API", POST /ingest): name, from, until, format, spyName, sampleRate.
 *   - folded: name is APP.TYPE{hostname=H,k=v}; the server takes the
 *     profile type from the last dot of the name.
 *   - pprof: the body is the gzipped profile.proto as it is (Content-Type
 *     application/octet-stream; the multipart form with a "profile" field
 *     is only needed for a custom sample_type_config, and Pyroscope reads a
 *     form only when format is not pprof).  The documented name is then a
 *     prefix, APP{hostname=H,k=v}: the server appends the type it reads from
 *     the profile's sample types, so APP.cpu would become APP.cpu.cpu.
 *   - spyName is "ebpfspy", the name Pyroscope's own eBPF agent reports, so
 *     the UI groups these profiles with other whole-system eBPF ones.
 *
 * A push that fails for a reason that may pass (no connection, a timeout,
 * 5xx, 408, 429) stays at the head of the queue and is retried after a
 * backoff that doubles from PUSH_BACKOFF_MIN_MS to PUSH_BACKOFF_MAX_MS; a
 * profile the server refuses (another 4xx) is dropped and counted, since
 * sending it again cannot help.  The queue is bounded by bytes: a profile
 * that does not fit is dropped at once and counted, never blocking the
 * caller (the collection loop).
 *
 * libcurl is loaded by dlopen() in push_open(), not linked: with openssl,
 * kerberos, LDAP and ssh it is some 20 libraries that every start of
 * every command mapped and relocated for the few agents that push
 * (util/dynlib.h).
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/push.h"
#include "agent/push_labels.h"
#include "util/dynlib.h"
#include "util/util.h"

#define PUSH_QUEUE_DEFAULT	(16u << 20)	/* about 100 windows of a busy host's pprof */
#define PUSH_BACKOFF_MIN_MS	250
#define PUSH_BACKOFF_MAX_MS	10000
#define PUSH_CONNECT_MS		5000
#define PUSH_REQUEST_MS		30000
#define PUSH_SPY_NAME		"ebpfspy"
#define PUSH_TYPE_MAX		32

/* Debian's libcurl4 (openssl), else libcurl3-gnutls: the same API */
static const char *const curl_sonames[] = { "libcurl.so.4", "libcurl-gnutls.so.4" };

/* The functions of libcurl this file calls, found by dlsym() */
struct curl_lib {
	typeof(curl_global_init) *global_init;
	typeof(curl_global_cleanup) *global_cleanup;
	typeof(curl_easy_init) *easy_init;
	typeof(curl_easy_cleanup) *easy_cleanup;
	typeof(curl_easy_setopt) *easy_setopt;
	typeof(curl_easy_perform) *easy_perform;
	typeof(curl_easy_getinfo) *easy_getinfo;
	typeof(curl_easy_strerror) *easy_strerror;
	typeof(curl_easy_escape) *easy_escape;
	typeof(curl_free) *cfree;
	typeof(curl_slist_append) *slist_append;
	typeof(curl_slist_free_all) *slist_free_all;
	typeof(curl_url) *url;
	typeof(curl_url_set) *url_set;
	typeof(curl_url_get) *url_get;
	typeof(curl_url_cleanup) *url_cleanup;
};

struct push_entry {
	struct push_entry *next;
	char type[PUSH_TYPE_MAX];
	bool pprof;		/* else folded */
	uint64_t from_s, until_s;
	unsigned int sample_rate;
	size_t len;
	unsigned char data[];
};

struct pusher {
	char *ingest_url;	/* scheme://host[:port][/path]/ingest */
	char *app;
	char *labels;		/* "{hostname=H,k=v}" */
	struct curl_lib c;
	bool inited;		/* curl_global_init() done */
	CURL *curl;		/* the sender thread's only */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* an item queued, or stop asked */
	struct push_entry *head, *tail;
	size_t bytes, cap;
	struct push_stats st;
	bool stopping;
	uint64_t deadline_ns;	/* when stopping: give up then */
	bool down;		/* the last attempt failed: warn once per outage */
};

/* base URL -> base/ingest: http or https, a host, no query or fragment. */
static int build_ingest_url(const struct curl_lib *c, const char *url, char **out)
{
	CURLU *u = c->url();
	char *scheme = NULL, *host = NULL, *path = NULL, *query = NULL, *frag = NULL;
	char *full = NULL, *newpath = NULL;
	size_t n;
	int err = -EINVAL;

	if (!u)
		return -ENOMEM;
	if (!url || !*url || c->url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		pr_err("bad --pyroscope URL '%s': not a URL; give the server's address, like http://127.0.0.1:4040",
		       url ? url : "(null)");
		goto out;
	}
	c->url_get(u, CURLUPART_SCHEME, &scheme, 0);
	c->url_get(u, CURLUPART_HOST, &host, 0);
	c->url_get(u, CURLUPART_QUERY, &query, 0);
	c->url_get(u, CURLUPART_FRAGMENT, &frag, 0);
	if (!scheme || (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
		pr_err("bad --pyroscope URL '%s': scheme '%s' is not http or https; give e.g. http://HOST:4040",
		       url, scheme ? scheme : "");
		goto out;
	}
	if (!host || !*host) {
		pr_err("bad --pyroscope URL '%s': no host; give e.g. http://HOST:4040", url);
		goto out;
	}
	if (query || frag) {
		pr_err("bad --pyroscope URL '%s': a query or fragment is not allowed; give the server's base URL (POST /ingest is added)",
		       url);
		goto out;
	}
	c->url_get(u, CURLUPART_PATH, &path, 0);
	n = path ? strlen(path) : 0;
	while (n && path[n - 1] == '/')
		n--;
	newpath = xmalloc(n + sizeof("/ingest"));
	memcpy(newpath, path, n);
	strcpy(newpath + n, "/ingest");
	if (c->url_set(u, CURLUPART_PATH, newpath, 0) != CURLUE_OK ||
	    c->url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
		pr_err("bad --pyroscope URL '%s': cannot add /ingest to its path", url);
		goto out;
	}
	*out = xstrdup(full);
	err = 0;
out:
	free(newpath);
	c->cfree(scheme);
	c->cfree(host);
	c->cfree(path);
	c->cfree(query);
	c->cfree(frag);
	c->cfree(full);
	c->url_cleanup(u);
	return err;
}

static uint64_t ms_ns(uint64_t ms)
{
	return ms * 1000000ull;
}

/* Abort a transfer that outlives push_close()'s timeout. */
static int xfer_check(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct pusher *p = arg;
	int stop;

	pthread_mutex_lock(&p->lock);
	stop = p->stopping && now_ns() >= p->deadline_ns;
	pthread_mutex_unlock(&p->lock);
	return stop;
}

static size_t keep_reply(char *ptr, size_t size, size_t nmemb, void *arg)
{
	char *reply = arg;
	size_t have = strlen(reply), n = size * nmemb;

	if (have < 159) {
		size_t take = MIN(n, 159 - have);

		memcpy(reply + have, ptr, take);
		reply[have + take] = '\0';
	}
	return n;
}

/* "name=...&from=..." for an entry, URL-encoded. */
static char *entry_query(struct pusher *p, const struct push_entry *e)
{
	char name[512], *ename, *q;
	size_t n;

	if (e->pprof)
		snprintf(name, sizeof(name), "%s%s", p->app, p->labels);
	else
		snprintf(name, sizeof(name), "%s.%s%s", p->app, e->type, p->labels);
	ename = p->c.easy_escape(p->curl, name, 0);
	if (!ename)
		return NULL;
	n = strlen(ename) + 200;
	q = xmalloc(n);
	snprintf(q, n, "name=%s&from=%llu&until=%llu&format=%s&spyName=%s", ename,
		 (unsigned long long)e->from_s, (unsigned long long)e->until_s,
		 e->pprof ? "pprof" : "folded", PUSH_SPY_NAME);
	if (e->sample_rate)
		snprintf(q + strlen(q), n - strlen(q), "&sampleRate=%u", e->sample_rate);
	p->c.cfree(ename);
	return q;
}

enum send_result { SENT, RETRY, REFUSED };

/* One POST, outside the lock. */
static enum send_result send_entry(struct pusher *p, const struct push_entry *e)
{
	struct curl_slist *hdr = NULL;
	char *query = entry_query(p, e), *url, reply[160] = "";
	long status = 0;
	CURLcode rc;
	size_t n;

	if (!query)
		return RETRY;
	n = strlen(p->ingest_url) + strlen(query) + 2;
	url = xmalloc(n);
	snprintf(url, n, "%s?%s", p->ingest_url, query);
	hdr = p->c.slist_append(hdr, e->pprof ? "Content-Type: application/octet-stream"
					      : "Content-Type: text/plain");
	/* no 100-continue round trip before each body */
	hdr = p->c.slist_append(hdr, "Expect:");
	p->c.easy_setopt(p->curl, CURLOPT_URL, url);
	p->c.easy_setopt(p->curl, CURLOPT_HTTPHEADER, hdr);
	p->c.easy_setopt(p->curl, CURLOPT_POSTFIELDS, (const char *)e->data);
	p->c.easy_setopt(p->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)e->len);
	p->c.easy_setopt(p->curl, CURLOPT_WRITEDATA, reply);
	rc = p->c.easy_perform(p->curl);
	if (rc == CURLE_OK)
		p->c.easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &status);
	p->c.slist_free_all(hdr);
	free(url);
	free(query);

	if (rc == CURLE_OK && status >= 200 && status < 300) {
		if (p->down)
			pr_warn("pyroscope: %s reachable again", p->ingest_url);
		p->down = false;
		return SENT;
	}
	if (rc == CURLE_OK && status >= 400 && status < 500 && status != 408 && status != 429) {
		reply[strcspn(reply, "\r\n")] = '\0';
		pr_warn("pyroscope: %s refused a %s profile (HTTP %ld%s%s); dropped",
			p->ingest_url, e->type, status, *reply ? ": " : "", reply);
		return REFUSED;
	}
	if (!p->down) {
		if (rc != CURLE_OK)
			pr_warn("pyroscope: %s: %s; retrying with backoff", p->ingest_url,
				p->c.easy_strerror(rc));
		else
			pr_warn("pyroscope: %s: HTTP %ld; retrying with backoff", p->ingest_url, status);
	}
	p->down = true;
	return RETRY;
}

static void entry_free_locked(struct pusher *p)
{
	struct push_entry *e = p->head;

	p->head = e->next;
	if (!p->head)
		p->tail = NULL;
	p->bytes -= sizeof(*e) + e->len;
	p->st.queued--;
	free(e);
}

static void deadline_ts(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = ns / 1000000000ull;
	ts->tv_nsec = ns % 1000000000ull;
}

static void *sender(void *arg)
{
	struct pusher *p = arg;
	uint64_t backoff_ms = PUSH_BACKOFF_MIN_MS;
	struct timespec ts;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct push_entry *e;
		enum send_result r;
		uint64_t until;

		while (!p->head && !p->stopping)
			pthread_cond_wait(&p->cond, &p->lock);
		if (!p->head || (p->stopping && now_ns() >= p->deadline_ns))
			break;
		/* only this thread removes entries: e stays valid unlocked */
		e = p->head;
		pthread_mutex_unlock(&p->lock);
		r = send_entry(p, e);
		pthread_mutex_lock(&p->lock);
		if (r == SENT) {
			p->st.pushed++;
			entry_free_locked(p);
			backoff_ms = PUSH_BACKOFF_MIN_MS;
			continue;
		}
		p->st.failed_attempts++;
		if (r == REFUSED) {
			p->st.dropped++;
			entry_free_locked(p);
			continue;
		}
		until = now_ns() + ms_ns(backoff_ms);
		backoff_ms = MIN(backoff_ms * 2, PUSH_BACKOFF_MAX_MS);
		/* sleep out the backoff unless stopping cuts it short */
		while (!(p->stopping && now_ns() >= p->deadline_ns) && now_ns() < until) {
			uint64_t wake = p->stopping ? MIN(until, p->deadline_ns) : until;

			deadline_ts(wake, &ts);
			pthread_cond_timedwait(&p->cond, &p->lock, &ts);
		}
	}
	/* what could not be sent before the deadline is lost: count it */
	while (p->head) {
		p->st.dropped++;
		entry_free_locked(p);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void pusher_free(struct pusher *p)
{
	if (p->curl)
		p->c.easy_cleanup(p->curl);
	if (p->inited)
		p->c.global_cleanup();
	free(p->ingest_url);
	free(p->app);
	free(p->labels);
	free(p);
}

/* libcurl's functions into c, and its global state set up: 0, or -ENOENT. */
static int curl_load(struct curl_lib *c)
{
	const struct dynlib_sym syms[] = {
		DYNLIB_SYM("curl_global_init", c->global_init),
		DYNLIB_SYM("curl_global_cleanup", c->global_cleanup),
		DYNLIB_SYM("curl_easy_init", c->easy_init),
		DYNLIB_SYM("curl_easy_cleanup", c->easy_cleanup),
		DYNLIB_SYM("curl_easy_setopt", c->easy_setopt),
		DYNLIB_SYM("curl_easy_perform", c->easy_perform),
		DYNLIB_SYM("curl_easy_getinfo", c->easy_getinfo),
		DYNLIB_SYM("curl_easy_strerror", c->easy_strerror),
		DYNLIB_SYM("curl_easy_escape", c->easy_escape),
		DYNLIB_SYM("curl_free", c->cfree),
		DYNLIB_SYM("curl_slist_append", c->slist_append),
		DYNLIB_SYM("curl_slist_free_all", c->slist_free_all),
		DYNLIB_SYM("curl_url", c->url),
		DYNLIB_SYM("curl_url_set", c->url_set),
		DYNLIB_SYM("curl_url_get", c->url_get),
		DYNLIB_SYM("curl_url_cleanup", c->url_cleanup),
	};
	char why[256], first[256];

	for (size_t i = 0; i < ARRAY_SIZE(curl_sonames); i++) {
		if (dynlib_open(curl_sonames[i], syms, ARRAY_SIZE(syms), i ? why : first,
				sizeof(why)))
			return 0;
	}
	pr_err("pyroscope: cannot load libcurl (%s): install Debian's libcurl4 to push to "
	       "--pyroscope", first);
	return -ENOENT;
}

int push_open(const struct push_opts *o, struct pusher **out)
{
	const char *app = o->app && *o->app ? o->app : "profiler";
	pthread_condattr_t ca;
	struct pusher *p;
	int err;

	*out = NULL;
	err = push_check_app(app);
	if (err)
		return err;
	p = xcalloc(1, sizeof(*p));
	p->app = xstrdup(app);
	p->cap = o->queue_bytes ? o->queue_bytes : PUSH_QUEUE_DEFAULT;
	err = curl_load(&p->c);
	if (!err && p->c.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		pr_err("pyroscope: libcurl failed to initialise");
		err = -ENOMEM;
	}
	p->inited = !err;
	if (!err)
		err = build_ingest_url(&p->c, o->url, &p->ingest_url);
	if (!err)
		err = push_build_labels(o, &p->labels);
	if (!err && !(p->curl = p->c.easy_init()))
		err = -ENOMEM;
	if (err) {
		pusher_free(p);
		return err;
	}
	p->c.easy_setopt(p->curl, CURLOPT_NOSIGNAL, 1L);
	p->c.easy_setopt(p->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)PUSH_CONNECT_MS);
	p->c.easy_setopt(p->curl, CURLOPT_TIMEOUT_MS, (long)PUSH_REQUEST_MS);
	p->c.easy_setopt(p->curl, CURLOPT_USERAGENT, "profiler-agent");
	p->c.easy_setopt(p->curl, CURLOPT_NOPROGRESS, 0L);
	p->c.easy_setopt(p->curl, CURLOPT_XFERINFOFUNCTION, xfer_check);
	p->c.easy_setopt(p->curl, CURLOPT_XFERINFODATA, p);
	p->c.easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, keep_reply);

	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	err = -pthread_create(&p->thread, NULL, sender, p);
	if (err) {
		pr_err("pyroscope: cannot start the sender thread: %s", strerror(-err));
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
		pusher_free(p);
		return err;
	}
	*out = p;
	return 0;
}

static bool type_ok(const char *t)
{
	size_t n = t ? strlen(t) : 0;

	if (!n || n >= PUSH_TYPE_MAX)
		return false;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9') || *t == '_'))
			return false;
	return true;
}

int push_profile(struct pusher *p, const struct push_item *it)
{
	struct push_entry *e;
	size_t need;
	bool pprof;

	if (!type_ok(it->type) || !it->format || (it->len && !it->data))
		return -EINVAL;
	pprof = !strcmp(it->format, "pprof");
	if (!pprof && strcmp(it->format, "folded"))
		return -EINVAL;
	need = sizeof(*e) + it->len;

	pthread_mutex_lock(&p->lock);
	if (p->stopping || p->bytes + need > p->cap) {
		p->st.dropped++;
		pthread_mutex_unlock(&p->lock);
		return -ENOSPC;
	}
	p->bytes += need;
	p->st.queued++;
	pthread_mutex_unlock(&p->lock);

	/* copy outside the lock; the room is already taken */
	e = xmalloc(need);
	e->next = NULL;
	snprintf(e->type, sizeof(e->type), "%s", it->type);
	e->pprof = pprof;
	e->from_s = it->from_s;
	e->until_s = it->until_s;
	e->sample_rate = it->sample_rate;
	e->len = it->len;
	if (it->len)
		memcpy(e->data, it->data, it->len);

	pthread_mutex_lock(&p->lock);
	if (p->tail)
		p->tail->next = e;
	else
		p->head = e;
	p->tail = e;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void push_stats(struct pusher *p, struct push_stats *st)
{
	pthread_mutex_lock(&p->lock);
	*st = p->st;
	pthread_mutex_unlock(&p->lock);
}

void push_close(struct pusher *p, int timeout_ms)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	p->deadline_ns = now_ns() + ms_ns(timeout_ms > 0 ? timeout_ms : 0);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	pusher_free(p);
}
