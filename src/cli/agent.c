// SPDX-License-Identifier: GPL-2.0
/*
 * profiler agent: always-on profiling.  The session runs the collectors
 * (--what, default cpu at 19 Hz, system-wide) and cuts a window every
 * --window seconds (default 10), and a piece of one at each start and end
 * of a ?seconds=N request; each window is kept in memory for HTTP clients
 * (src/agent/http.c), written to --dir and pushed to --pyroscope.  Each
 * window starts empty, and every RENEW_S the session is started anew, so
 * that every kernel map and cache does too.  SIGHUP reopens --dir;
 * SIGTERM and SIGINT end the run after writing the window under way.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/files.h"
#include "agent/http.h"
#include "agent/push.h"
#include "cli/args.h"
#include "cli/frontends.h"
#include "runtime/preflight.h"
#include "session/session.h"
#include "util/util.h"

#define DEFAULT_WINDOW 10	/* seconds: see docs/architecture.md, Decisions */
/*
 * A session's stacks map holds every stack it saw and is read whole at
 * each window, and the symbolizer keeps what it read: renewed every ten
 * minutes, or sooner when the agent's RSS passes RENEW_RSS at the end of
 * a window, neither grows without bound (docs/architecture.md, Decisions).
 */
#define RENEW_S 600
#define RENEW_RSS (48UL << 20)
#define RENEW_MIN_S 60		/* a renewal costs ~0.4 s of CPU: not more than once a minute */
#define DEFAULT_FREQ 19		/* Hz */
#define DEFAULT_LISTEN "127.0.0.1:6060"

static const struct collector *const agent_cols[] = {
	&cpu_collector, &offcpu_collector, &mem_collector, &lock_collector, &io_collector,
};
#define NCOLS ((int)ARRAY_SIZE(agent_cols))

enum { OPT_WHAT = 3101, OPT_WINDOW, OPT_LISTEN, OPT_DIR, OPT_KEEP, OPT_PYROSCOPE, OPT_APP,
       OPT_LABEL };

static const struct option agent_longopts[] = {
	{ "freq", required_argument, NULL, 'F' },
	{ "what", required_argument, NULL, OPT_WHAT },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "pyroscope", required_argument, NULL, OPT_PYROSCOPE },
	{ "app", required_argument, NULL, OPT_APP },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ NULL, 0, NULL, 0 },
};

static int agent_parse(struct settings *s, int opt, const char *arg)
{
	struct keep k = {};
	uint64_t v;

	switch (opt) {
	case 'F':
		return cpu_collector.parse(s, opt, arg);
	case OPT_WHAT:
		return parse_what(agent_cols, NCOLS, arg, &s->record_what);
	case OPT_WINDOW:
		if (parse_u64(arg, 1, 86400, &v)) {
			pr_err("invalid --window '%s': give whole seconds from 1 to 86400, for "
			       "example --window 10", arg);
			return -EINVAL;
		}
		s->window = (double)v;
		return 0;
	case OPT_LISTEN:
		s->agent_listen = arg;
		return 0;
	case OPT_DIR:
		s->agent_dir = arg;
		return 0;
	case OPT_KEEP:
		s->agent_keep = arg;
		return keep_parse(&k, arg);
	case OPT_PYROSCOPE:
		s->agent_pyroscope = arg;
		return 0;
	case OPT_APP:
		s->agent_app = arg;
		return 0;
	case OPT_LABEL:
		if (!strchr(arg, '=') || arg[0] == '=') {
			pr_err("invalid --label '%s': give KEY=VALUE, for example --label env=prod", arg);
			return -EINVAL;
		}
		if (s->agent_nlabels == MAX_AGENT_LABELS) {
			pr_err("too many --label: at most %d", MAX_AGENT_LABELS);
			return -EINVAL;
		}
		s->agent_labels[s->agent_nlabels++] = arg;
		return 0;
	}
	return -EINVAL;
}

static int agent_validate(struct settings *s)
{
	if (s->format || s->noutputs) {
		pr_err("profiler agent takes no -f or -o: it serves profiles over HTTP, writes "
		       "them with --dir DIR and pushes them with --pyroscope URL");
		return -EINVAL;
	}
	if (s->agent_keep && !s->agent_dir) {
		pr_err("--keep prunes the files of --dir: give --dir DIR too");
		return -EINVAL;
	}
	if ((s->agent_app || s->agent_nlabels) && !s->agent_pyroscope) {
		pr_err("--app and --label name what is pushed: give --pyroscope URL too");
		return -EINVAL;
	}
	if (!s->record_what)
		s->record_what = 1;	/* cpu */
	if (!s->window)
		s->window = DEFAULT_WINDOW;
	if (!s->freq)
		s->freq = DEFAULT_FREQ;
	return validate_what(agent_cols, NCOLS, s->record_what, s);
}

struct agent_run {
	struct agent a;
	const struct settings *set;
	struct keep keep;
	struct merged cur[SESSION_MAX_COLLECTORS];	/* the window under way */
	uint64_t boundary_ns;	/* where it ends: a multiple of window_ns from the run's start */
	uint64_t window_ns;
	bool stop;		/* SIGTERM or SIGINT: no renewal */
	bool renew;		/* RENEW_RSS passed: the session is asked to end */
};

static void push_window(struct agent_run *r, int i, const struct profile *p,
			const struct agent_blob *b)
{
	struct push_item it = {
		.type = r->a.names[i],
		.from_s = p->start_time_ns / 1000000000ULL,
		.until_s = (p->start_time_ns + p->duration_ns + 999999999ULL) / 1000000000ULL,
		.sample_rate = !strcmp(r->a.names[i], "cpu") ? (unsigned int)r->set->freq : 0,
		.format = "pprof",
		.data = b->data,
		.len = b->len,
	};

	/* a full queue drops it, and the pusher counts that for /metrics */
	push_profile(r->a.push, &it);
}

/* The window's profiles: encoded, kept, written, pushed. */
static void finish_window(struct agent_run *r, int n)
{
	struct agent_blob blobs[SESSION_MAX_COLLECTORS] = {};
	uint64_t start = 0, dur = 0;
	int written = 0, failed = 0;
	struct timespec ts;

	for (int i = 0; i < n; i++) {
		struct profile *p = merged_take(&r->cur[i]);

		if (!p)
			continue;
		start = p->start_time_ns;
		dur = p->duration_ns;
		if (agent_encode(&r->a, p, &blobs[i])) {
			pr_warn("cannot encode the %s profile of a window: it is left out", r->a.names[i]);
		} else {
			if (r->set->agent_dir) {
				if (dir_write(r->set->agent_dir, r->a.names[i], start, blobs[i].data,
					      blobs[i].len))
					failed++;
				else
					written++;
			}
			if (r->a.push)
				push_window(r, i, p, &blobs[i]);
		}
		profile_free(p);
	}
	agent_add_window(&r->a, start, dur, blobs);
	pthread_mutex_lock(&r->a.lock);
	r->a.files_written += written;
	r->a.files_failed += failed;
	pthread_mutex_unlock(&r->a.lock);
	if (r->set->agent_dir) {
		clock_gettime(CLOCK_REALTIME, &ts);
		dir_prune(r->set->agent_dir, &r->keep, (uint64_t)ts.tv_sec);
	}
}

static int agent_window(void *ctx, struct profile *const *ps, int n, const struct session_window *w)
{
	struct agent_run *r = ctx;

	agent_piece(&r->a, ps, n, w);
	/* the session cuts at its start plus multiples of window_ns; requests cut between */
	if (!r->cur[0].p)
		r->boundary_ns = w->run_start_ns +
				 ((w->from_ns - w->run_start_ns) / r->window_ns + 1) * r->window_ns;
	for (int i = 0; i < n; i++)
		merged_add(&r->cur[i], ps[i]);
	if (w->last || w->to_ns >= r->boundary_ns) {
		finish_window(r, n);
		/* through the session's own signalfd: it ends as after -d, the window written */
		if (!w->last && !r->renew && !r->set->cmd &&
		    w->to_ns - w->run_start_ns >= RENEW_MIN_S * 1000000000ULL &&
		    agent_rss_bytes() > RENEW_RSS) {
			r->renew = true;
			kill(getpid(), SIGHUP);
		}
	}
	return 0;
}

static bool agent_signal(void *ctx, int signo)
{
	struct agent_run *r = ctx;

	if (signo != SIGHUP) {
		r->stop = true;
		return false;	/* SIGTERM, SIGINT: the session writes the window under way */
	}
	/* ours, for a renewal (a user's SIGHUP at the same moment is merged: it reopens too) */
	if (r->renew)
		return false;
	/* a log rotation moved or removed DIR: make it again, and prune now */
	if (r->set->agent_dir && !dir_open(r->set->agent_dir)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		dir_prune(r->set->agent_dir, &r->keep, (uint64_t)ts.tv_sec);
	}
	if (!r->set->quiet)
		fprintf(stderr, "profiler agent: SIGHUP: %s reopened\n",
			r->set->agent_dir ? r->set->agent_dir : "nothing to be");
	return true;
}

static int open_pusher(const struct settings *s, struct pusher **out)
{
	struct push_opts o = {
		.url = s->agent_pyroscope,
		.app = s->agent_app,
		.labels = s->agent_labels,
		.n_labels = s->agent_nlabels,
	};

	return push_open(&o, out);
}

static bool targets_alive(const struct settings *s)
{
	for (int i = 0; i < s->npids; i++)
		if (proc_alive(s->pids[i]))
			return true;
	for (int i = 0; i < s->ntids; i++)
		if (proc_alive(s->tids[i]))
			return true;
	return !s->npids && !s->ntids;
}

/*
 * Sessions one after another, each at most RENEW_S long, until -d, a
 * signal, the command's exit or the targets' end.  The windows go on
 * across a renewal: the one under way ends early, the next starts with
 * the new session.
 */
static int run_sessions(struct agent_run *r, const struct collector *const *cols, int n,
			struct settings *set, const struct session_opts *o,
			const struct session_sink *sink)
{
	double duration = set->duration;
	uint64_t deadline = duration > 0 ? now_ns() + (uint64_t)(duration * 1e9) : 0;
	int rc;

	for (;;) {
		double left = deadline ? (double)(deadline - MIN(deadline, now_ns())) / 1e9 : 0;

		/* -- COMMAND runs once: no renewal */
		if (!set->cmd)
			set->duration = deadline ? MIN(left, RENEW_S) : RENEW_S;
		/* a first piece at once: /healthz then knows collection began */
		agent_cut_now(&r->a);
		rc = session_run(cols, n, set, o, sink);
		/* what the session freed goes back to the kernel before the next */
		malloc_trim(0);
		if (rc || r->stop || set->cmd || !targets_alive(set) ||
		    (deadline && now_ns() + 100000000ULL >= deadline))
			break;
		r->renew = false;
		pthread_mutex_lock(&r->a.lock);
		r->a.renewals++;
		pthread_mutex_unlock(&r->a.lock);
	}
	set->duration = duration;
	return rc;
}

/* The HTTP threads must never take the signals the session reads from its signalfd. */
static int start_http(struct agent *a, const char *addr, struct http_server **h)
{
	sigset_t mask, old;
	int err;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &mask, &old);
	err = http_start(a, addr, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

static const char agent_usage[] =
	"      --what LIST        the collectors, from cpu,offcpu,mem,lock,io (default\n"
	"                         cpu); mem needs -p or -- COMMAND\n"
	"      --window SECS      one profile per collector every SECS, whole seconds\n"
	"                         (default 10); each starts empty\n"
	"  -F, --freq HZ          cpu: samples per second per CPU (default 19)\n"
	"      --listen ADDR:PORT HTTP on ADDR:PORT (default 127.0.0.1:6060; :PORT for\n"
	"                         every address, port 0 picks one, 'off' for none):\n"
	"                         /debug/pprof/profile?seconds=N (cpu, as Go's\n"
	"                         net/http/pprof), /debug/pprof/TYPE for each collector\n"
	"                         (also block, mutex, allocs), /debug/pprof/ an index,\n"
	"                         / a page with the latest flame graph, /healthz,\n"
	"                         /metrics (Prometheus)\n"
	"      --dir DIR          write DIR/TYPE-YYYYMMDDTHHMMSS.mmmZ.pb.gz per window\n"
	"                         and type (UTC start), each replaced only once complete\n"
	"      --keep LIMITS      prune --dir's files: a count per type (100), an age\n"
	"                         (30m, 24h, 7d), a total size (500M, 2G); commas\n"
	"                         combine them\n"
	"      --pyroscope URL    push every window to a Grafana Pyroscope server\n"
	"                         (POST URL/ingest), queued and retried\n"
	"      --app NAME         the application name pushed (default profiler)\n"
	"      --label KEY=VALUE  a label on every push (hostname is always one);\n"
	"                         may be repeated\n"
	"Signals: SIGHUP reopens --dir (made again if removed); SIGTERM and SIGINT\n"
	"write the window under way, then stop.  Every 10 minutes, or once its RSS\n"
	"passes 48 MiB, the agent restarts its session: maps and caches start empty.\n";

int agent_main(int argc, char **argv)
{
	struct settings set = {};
	struct collector front = {
		.name = "agent",
		.summary = "always-on profiling: windows served over HTTP (pprof, a web page, "
			   "metrics), written to a directory, pushed to Pyroscope",
		.usage = agent_usage,
		.default_format = "pprof",
		.output_usage = "  (no -f, -o: see --listen, --dir, --pyroscope below)\n",
		.value_names = "",
		.shortopts = "F:",
		.longopts = agent_longopts,
		.parse = agent_parse,
		.validate = agent_validate,
	};
	const struct collector *cols[SESSION_MAX_COLLECTORS];
	const char *names[SESSION_MAX_COLLECTORS];
	struct agent_run *r = xcalloc(1, sizeof(*r));
	struct session_sink sink = { .ctx = r, .window = agent_window, .signal = agent_signal };
	struct session_opts o = { .batch_mappings = true };
	struct http_server *http = NULL;
	const char *listen_addr;
	int n = 0, err, rc = 2;

	err = args_parse(&front, argc, argv, &set);
	if (err) {
		rc = err > 0 ? 0 : 2;
		goto out_free;
	}
	/*
	 * Each window reads the stacks maps in batches of megabytes.  glibc
	 * raises its mmap threshold after freeing such a block, and later
	 * ones then come from the heap and stay resident: measured, RSS
	 * climbed by tens of MiB in the first minute.  A fixed threshold
	 * gives each back to the kernel when freed.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 << 10);
	for (int i = 0; i < NCOLS; i++)
		if (set.record_what & 1u << i) {
			cols[n] = agent_cols[i];
			names[n++] = agent_cols[i]->name;
		}
	r->set = &set;
	r->window_ns = (uint64_t)set.window * 1000000000ULL;
	o.window_ns = r->window_ns;
	if (set.agent_keep)
		keep_parse(&r->keep, set.agent_keep);
	if (set.agent_dir && dir_open(set.agent_dir))
		goto out_free;
	if (agent_init(&r->a, &set, names, n, r->window_ns))
		goto out_free;
	o.cut_fd = r->a.cut_fd;
	if (set.agent_pyroscope && open_pusher(&set, &r->a.push))
		goto out;
	listen_addr = set.agent_listen ? set.agent_listen : DEFAULT_LISTEN;
	if (strcmp(listen_addr, "off")) {
		if (start_http(&r->a, listen_addr, &http))
			goto out;
		/* always said: with port 0, the only way to learn the port */
		fprintf(stderr, "profiler agent: listening on http://%.*s:%u/\n",
			listen_addr[0] == ':' ? 7 : (int)(strrchr(listen_addr, ':') - listen_addr),
			listen_addr[0] == ':' ? "0.0.0.0" : listen_addr, http_port(http));
	}
	rc = run_sessions(r, cols, n, &set, &o, &sink);
out:
	agent_stop(&r->a);
	http_stop(http);
	if (r->a.push)
		push_close(r->a.push, 5000);
	for (int i = 0; i < n; i++)
		merged_free(&r->cur[i]);
	agent_free(&r->a);
out_free:
	settings_free(&set);
	free(r);
	return rc;
}
