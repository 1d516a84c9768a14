// SPDX-License-Identifier: GPL-2.0
/*
 * The Pyroscope pusher against a real HTTP receiver on 127.0.0.1
 * (libmicrohttpd): each push's query as Pyroscope's POST /ingest reads
 * it, a receiver that comes up late gets what was queued, in order, and a
 * full queue drops and counts.
 *
 * "Down" is a socket bound to the port but not listening, so connections
 * are refused; "up" is the same socket listening and handed to the
 * receiver: no other process can take the port in between.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"
#include "agent/push.h"
#include "util/util.h"

#define MAX_REQS 32

struct req {
	char *name, *from, *until, *format, *spy, *rate, *ctype;
	unsigned char *body;
	size_t len;
};

static struct receiver {
	pthread_mutex_t lock;
	struct req reqs[MAX_REQS];
	int n;
	int fail_left;		/* answer 503 to this many first */
	unsigned int status;	/* else this (200) */
	struct MHD_Daemon *d;
	int fd;
	char url[64];
} rx = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct upload {
	unsigned char *buf;
	size_t len, cap;
};

static char *arg_dup(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *k)
{
	const char *v = MHD_lookup_connection_value(c, kind, k);

	return v ? xstrdup(v) : NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *data_size, void **con_cls)
{
	struct upload *up = *con_cls;
	struct MHD_Response *resp;
	unsigned int status;
	enum MHD_Result ret;
	struct req *r;

	if (!up) {
		*con_cls = xcalloc(1, sizeof(*up));
		return MHD_YES;
	}
	if (*data_size) {
		GROW(up->buf, up->cap, up->len + *data_size);
		memcpy(up->buf + up->len, data, *data_size);
		up->len += *data_size;
		*data_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&rx.lock);
	if (rx.fail_left > 0) {
		rx.fail_left--;
		status = 503;
	} else if (strcmp(method, "POST") || strcmp(url, "/ingest")) {
		status = 404;
	} else {
		status = rx.status;
		if (rx.n < MAX_REQS) {
			r = &rx.reqs[rx.n++];
			r->name = arg_dup(c, MHD_GET_ARGUMENT_KIND, "name");
			r->from = arg_dup(c, MHD_GET_ARGUMENT_KIND, "from");
			r->until = arg_dup(c, MHD_GET_ARGUMENT_KIND, "until");
			r->format = arg_dup(c, MHD_GET_ARGUMENT_KIND, "format");
			r->spy = arg_dup(c, MHD_GET_ARGUMENT_KIND, "spyName");
			r->rate = arg_dup(c, MHD_GET_ARGUMENT_KIND, "sampleRate");
			r->ctype = arg_dup(c, MHD_HEADER_KIND, "Content-Type");
			r->body = up->buf;
			r->len = up->len;
			up->buf = NULL;
		}
	}
	pthread_mutex_unlock(&rx.lock);
	resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;

	if (up) {
		free(up->buf);
		free(up);
	}
	*con_cls = NULL;
}

/* A port of our own, refusing connections until rx_up(). */
static void rx_down(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int one = 1;

	rx.fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(rx.fd >= 0);
	setsockopt(rx.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(rx.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(rx.fd, (struct sockaddr *)&a, &alen), 0);
	snprintf(rx.url, sizeof(rx.url), "http://127.0.0.1:%u", ntohs(a.sin_port));
	rx.status = 200;
}

static void rx_up(void)
{
	assert_int_equal(listen(rx.fd, 16), 0);
	rx.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, NULL,
				MHD_OPTION_LISTEN_SOCKET, rx.fd,
				MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
				MHD_OPTION_END);
	assert_non_null(rx.d);
}

static int rx_count(void)
{
	int n;

	pthread_mutex_lock(&rx.lock);
	n = rx.n;
	pthread_mutex_unlock(&rx.lock);
	return n;
}

static int teardown(void **state)
{
	int i;

	if (rx.d)
		MHD_stop_daemon(rx.d);
	else if (rx.fd > 0)
		close(rx.fd);
	for (i = 0; i < rx.n; i++) {
		struct req *r = &rx.reqs[i];

		free(r->name);
		free(r->from);
		free(r->until);
		free(r->format);
		free(r->spy);
		free(r->rate);
		free(r->ctype);
		free(r->body);
	}
	memset(rx.reqs, 0, sizeof(rx.reqs));
	rx.n = 0;
	rx.fail_left = 0;
	rx.d = NULL;
	rx.fd = -1;
	return 0;
}

/* Wait (polling, up to 20 s: a bound for a loaded machine, not a timing) for a condition. */
#define WAIT_FOR(cond) do {							\
		for (int _i = 0; _i < 2000 && !(cond); _i++)			\
			usleep(10000);						\
	} while (0)

static void host(char *buf, size_t size)
{
	assert_int_equal(gethostname(buf, size), 0);
}

/* A pusher to the receiver (down or up). */
static struct pusher *open_to_rx(struct push_opts *o)
{
	struct pusher *p;

	o->url = rx.url;
	assert_int_equal(push_open(o, &p), 0);
	return p;
}

static void test_bad_options(void **state)
{
	const char *bad_urls[] = { NULL, "", "not a url", "ftp://127.0.0.1:21", "http://",
				   "http://127.0.0.1:4040/?x=1", "http://127.0.0.1:4040/#top" };
	const char *bad_labels[] = { "env", "=prod", "env=", "1env=prod", "__name__=x",
				     "env=a,b", "env=a}", "env=a b", "e-nv=prod" };
	struct push_opts o = { .url = "http://127.0.0.1:4040" };
	struct pusher *p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_urls); i++) {
		o.url = bad_urls[i];
		assert_int_equal(push_open(&o, &p), -EINVAL);
		assert_null(p);
	}
	o.url = "http://127.0.0.1:4040";
	for (i = 0; i < ARRAY_SIZE(bad_labels); i++) {
		const char *l[] = { bad_labels[i] };

		o.labels = l;
		o.n_labels = 1;
		assert_int_equal(push_open(&o, &p), -EINVAL);
	}
	{
		const char *twice[] = { "env=a", "env=b" };

		o.labels = twice;
		o.n_labels = 2;
		assert_int_equal(push_open(&o, &p), -EINVAL);
	}
	o.labels = NULL;
	o.n_labels = 0;
	o.app = "my app";
	assert_int_equal(push_open(&o, &p), -EINVAL);
	o.app = "a{b}";
	assert_int_equal(push_open(&o, &p), -EINVAL);

	/* a good one opens, and refuses bad items without queueing them */
	o.app = NULL;
	assert_int_equal(push_open(&o, &p), 0);
	{
		struct push_item it = { .type = "cpu", .format = "json", .data = "x", .len = 1 };
		struct push_stats st;

		assert_int_equal(push_profile(p, &it), -EINVAL);
		it.format = "pprof";
		it.type = "CPU{x}";
		assert_int_equal(push_profile(p, &it), -EINVAL);
		push_stats(p, &st);
		assert_int_equal(st.queued, 0);
		assert_int_equal(st.dropped, 0);
	}
	push_close(p, 0);
}

static void test_query(void **state)
{
	const char *labels[] = { "env=test", "region=eu-1" };
	static const unsigned char gz[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	const char folded[] = "main;spin 12\nmain;wait 3\n";
	struct push_opts o = { .app = "web.api", .labels = labels, .n_labels = 2 };
	struct push_item cpu = { .type = "cpu", .from_s = 1700000000, .until_s = 1700000010,
				 .sample_rate = 49, .format = "pprof", .data = gz, .len = sizeof(gz) };
	struct push_item off = { .type = "offcpu", .from_s = 1700000010, .until_s = 1700000020,
				 .format = "folded", .data = folded, .len = strlen(folded) };
	char h[256], want[512];
	struct pusher *p;

	rx_down();
	rx_up();
	host(h, sizeof(h));
	p = open_to_rx(&o);
	assert_int_equal(push_profile(p, &cpu), 0);
	assert_int_equal(push_profile(p, &off), 0);
	WAIT_FOR(rx_count() == 2);
	push_close(p, 2000);
	assert_int_equal(rx_count(), 2);

	/* pprof: the name is the prefix, the server adds the type (Pyroscope's API) */
	snprintf(want, sizeof(want), "web.api{hostname=%s,env=test,region=eu-1}", h);
	assert_string_equal(rx.reqs[0].name, want);
	assert_string_equal(rx.reqs[0].from, "1700000000");
	assert_string_equal(rx.reqs[0].until, "1700000010");
	assert_string_equal(rx.reqs[0].format, "pprof");
	assert_string_equal(rx.reqs[0].spy, "ebpfspy");
	assert_string_equal(rx.reqs[0].rate, "49");
	assert_string_equal(rx.reqs[0].ctype, "application/octet-stream");
	assert_int_equal(rx.reqs[0].len, sizeof(gz));
	assert_memory_equal(rx.reqs[0].body, gz, sizeof(gz));

	/* folded: APP.TYPE{labels}; no sampleRate when the item has none */
	snprintf(want, sizeof(want), "web.api.offcpu{hostname=%s,env=test,region=eu-1}", h);
	assert_string_equal(rx.reqs[1].name, want);
	assert_string_equal(rx.reqs[1].from, "1700000010");
	assert_string_equal(rx.reqs[1].until, "1700000020");
	assert_string_equal(rx.reqs[1].format, "folded");
	assert_null(rx.reqs[1].rate);
	assert_int_equal(rx.reqs[1].len, strlen(folded));
	assert_memory_equal(rx.reqs[1].body, folded, strlen(folded));
}

/* A --label hostname=X replaces the machine's name; a path in the URL is kept. */
static void test_hostname_label_and_path(void **state)
{
	const char *labels[] = { "hostname=node-7" };
	struct push_opts o = { .labels = labels, .n_labels = 1 };
	struct push_item it = { .type = "cpu", .from_s = 1, .until_s = 2, .format = "folded",
				.data = "a;b 1\n", .len = 6 };
	char url[128];
	struct pusher *p;

	rx_down();
	rx_up();
	snprintf(url, sizeof(url), "%s/", rx.url);
	o.url = url;
	assert_int_equal(push_open(&o, &p), 0);
	assert_int_equal(push_profile(p, &it), 0);
	WAIT_FOR(rx_count() == 1);
	push_close(p, 2000);
	assert_int_equal(rx_count(), 1);
	assert_string_equal(rx.reqs[0].name, "profiler.cpu{hostname=node-7}");
}

static void push_n(struct pusher *p, int n, size_t len, int *accepted, int *refused)
{
	static unsigned char buf[1000];
	struct push_item it = { .type = "cpu", .format = "pprof", .data = buf, .len = len };
	int i, err;

	for (i = 0; i < n; i++) {
		it.from_s = 100 + i;
		it.until_s = 101 + i;
		err = push_profile(p, &it);
		if (!err)
			(*accepted)++;
		else if (err == -ENOSPC)
			(*refused)++;
		else
			fail_msg("push_profile: %d", err);
	}
}

static void test_down_then_up(void **state)
{
	struct push_opts o = { 0 };
	struct push_stats st;
	struct pusher *p;
	int ok = 0, full = 0, i;

	rx_down();
	p = open_to_rx(&o);
	push_n(p, 3, 100, &ok, &full);
	assert_int_equal(ok, 3);
	/* the first attempt fails (refused) before the receiver comes up */
	WAIT_FOR((push_stats(p, &st), st.failed_attempts >= 1));
	assert_true(st.failed_attempts >= 1);
	assert_int_equal(st.pushed, 0);
	assert_int_equal(st.queued, 3);
	/* and the receiver's 503 is retried too */
	rx.fail_left = 1;
	rx_up();
	WAIT_FOR(rx_count() == 3);
	push_stats(p, &st);
	push_close(p, 2000);
	assert_int_equal(rx_count(), 3);
	assert_int_equal(st.pushed, 3);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.queued, 0);
	assert_true(st.failed_attempts >= 2);
	for (i = 0; i < 3; i++) {	/* in the order pushed */
		char from[16];

		snprintf(from, sizeof(from), "%d", 100 + i);
		assert_string_equal(rx.reqs[i].from, from);
	}
}

/* 4 items of 1000 bytes fit 4500 bytes (the per-item bookkeeping is < 125). */
static void test_full_queue_drops(void **state)
{
	struct push_opts o = { .queue_bytes = 4500 };
	struct push_stats st;
	struct pusher *p;
	int ok = 0, full = 0;

	rx_down();
	p = open_to_rx(&o);
	push_n(p, 6, 1000, &ok, &full);
	assert_int_equal(ok, 4);
	assert_int_equal(full, 2);
	push_stats(p, &st);
	assert_int_equal(st.dropped, 2);
	assert_int_equal(st.queued, 4);
	rx_up();
	WAIT_FOR(rx_count() == 4);
	/* the room is free again */
	push_n(p, 1, 1000, &ok, &full);
	assert_int_equal(ok, 5);
	WAIT_FOR(rx_count() == 5);
	push_close(p, 2000);
	assert_int_equal(rx_count(), 5);
	assert_int_equal(rx.reqs[4].len, 1000);
}

/* A server that rejects the profile (400) is not retried: dropped, counted. */
static void test_refused_dropped(void **state)
{
	struct push_opts o = { 0 };
	struct push_stats st;
	struct pusher *p;
	int ok = 0, full = 0;

	rx_down();
	rx.status = 400;
	rx_up();
	p = open_to_rx(&o);
	push_n(p, 2, 10, &ok, &full);
	WAIT_FOR((push_stats(p, &st), st.dropped == 2));
	push_close(p, 2000);
	assert_int_equal(st.dropped, 2);
	assert_int_equal(st.pushed, 0);
	assert_int_equal(st.failed_attempts, 2);
	assert_int_equal(rx_count(), 2);
}

/* Closing while the server is down gives up at the timeout and counts what is lost. */
static void test_close_while_down(void **state)
{
	struct push_opts o = { 0 };
	struct push_stats st;
	struct pusher *p;
	int ok = 0, full = 0;

	rx_down();
	p = open_to_rx(&o);
	push_n(p, 3, 10, &ok, &full);
	WAIT_FOR((push_stats(p, &st), st.failed_attempts >= 1));
	assert_int_equal(st.queued, 3);
	push_close(p, 100);	/* returns: a hang would stop the test */
	assert_int_equal(rx_count(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test_teardown(test_query, teardown),
		cmocka_unit_test_teardown(test_hostname_label_and_path, teardown),
		cmocka_unit_test_teardown(test_down_then_up, teardown),
		cmocka_unit_test_teardown(test_full_queue_drops, teardown),
		cmocka_unit_test_teardown(test_refused_dropped, teardown),
		cmocka_unit_test_teardown(test_close_while_down, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
