// SPDX-License-Identifier: GPL-2.0
/*
 * profiler agent: always-on profiling.  The session runs the collectors
 * (--what, default cpu at 19 Hz, system-wide) and cuts a window every
 * --window seconds (default 10), and a piece of one at each start and end
 * of a ?seconds=N request; each window is kept in memory for HTTP clients
 * (src/agent/http.c), written to --dir and pushed to --pyroscope
 * (src/agent/collect.c).  Each window starts empty, and the session is
 * renewed now and then, so that every kernel map and cache does too.
 * SIGHUP reopens --dir; SIGTERM and SIGINT end the run after writing the
 * window under way.  Each collector's own options are taken as record
 * takes them, --NAME-OPTION (src/cli/col_opts.c).
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/collect.h"
#include "agent/files.h"
#include "agent/http.h"
#include "agent/push.h"
#include "cli/args.h"
#include "cli/col_opts.h"
#include "cli/frontends.h"
#include "runtime/load_heap.h"
#include "session/session.h"
#include "util/util.h"

#define DEFAULT_WINDOW 10	/* seconds: see docs/architecture.md, Decisions */
/*
 * The runtime keeps what it learnt of every process it saw (#20): a
 * session renewed every ten minutes, or sooner when the agent's RSS
 * passes RENEW_RSS at the end of a window, does not grow without bound
 * (docs/architecture.md, Decisions).  The hidden --renew-rss MIB and
 * --renew-min SECS change both limits, for tests.
 */
#define RENEW_S 600
#define RENEW_RSS (48UL << 20)
#define RENEW_MIN_S 60		/* a renewal costs ~0.4 s of CPU: not more than once a minute */
#define DEFAULT_FREQ 19		/* Hz */
#define DEFAULT_LISTEN "127.0.0.1:6060"

/* record's collectors, in its order: --what and --NAME-OPTION are record's */
#define agent_cols record_cols
#define NCOLS RECORD_NCOLS

enum { OPT_WHAT = 3101, OPT_WINDOW, OPT_LISTEN, OPT_DIR, OPT_KEEP, OPT_PYROSCOPE, OPT_APP,
       OPT_LABEL, OPT_RENEW_RSS, OPT_RENEW_MIN };

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
	{ "renew-rss", required_argument, NULL, OPT_RENEW_RSS },	/* hidden: tests */
	{ "renew-min", required_argument, NULL, OPT_RENEW_MIN },	/* hidden: tests */
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
	case OPT_RENEW_RSS:
		if (parse_u64(arg, 1, 1 << 20, &v)) {
			pr_err("invalid --renew-rss '%s': give MiB from 1 to 1048576", arg);
			return -EINVAL;
		}
		s->agent_renew_rss_mib = (unsigned int)v;
		return 0;
	case OPT_RENEW_MIN:
		if (parse_u64(arg, 1, 86400, &v)) {
			pr_err("invalid --renew-min '%s': give whole seconds from 1 to 86400", arg);
			return -EINVAL;
		}
		s->agent_renew_min_s = (unsigned int)v;
		return 0;
	}
	return col_opts_parse(agent_cols, NCOLS, s, opt, arg);
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

/* The HTTP threads must never take the signals the session reads from its signalfd. */
static int start_http(struct agent *a, const char *addr, struct http_server **h)
{
	sigset_t mask, old;
	int err;

	agent_session_signals(&mask);
	sigaddset(&mask, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &mask, &old);
	err = http_start(a, addr, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

static const char agent_usage_text[] =
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
	"                         /metrics (Prometheus); needs libmicrohttpd12,\n"
	"                         loaded when HTTP starts\n"
	"      --dir DIR          write DIR/TYPE-YYYYMMDDTHHMMSS.mmmZ.pb.gz per window\n"
	"                         and type (UTC start), each replaced only once complete\n"
	"      --keep LIMITS      prune --dir's files: a count per type (100), an age\n"
	"                         (30m, 24h, 7d), a total size (500M, 2G); commas\n"
	"                         combine them\n"
	"      --pyroscope URL    push every window to a Grafana Pyroscope server\n"
	"                         (POST URL/ingest), queued and retried; needs\n"
	"                         libcurl4, loaded when the pusher starts\n"
	"      --app NAME         the application name pushed (default profiler)\n"
	"      --label KEY=VALUE  a label on every push (hostname is always one);\n"
	"                         may be repeated\n";
static const char agent_usage_end[] =
	"Signals: SIGHUP reopens --dir (made again if removed); SIGTERM and SIGINT\n"
	"write the window under way, then stop.  Every 10 minutes, or once its RSS\n"
	"passes 48 MiB, the agent renews its session: maps and caches start empty;\n"
	"the new one starts before the old one stops, and no sample is lost.\n";

static void agent_usage(char *buf, size_t size)
{
	int at = snprintf(buf, size, "%s", agent_usage_text);

	at = col_opts_usage(agent_cols, NCOLS, buf, size, at);
	snprintf(buf + at, size - at, "%s", agent_usage_end);
}

int agent_main(int argc, char **argv)
{
	struct settings set = {};
	char usage[4096], *optnames = NULL;
	struct option *longopts = col_opts_longopts(agent_cols, NCOLS, agent_longopts, &optnames);
	struct collector front = {
		.name = "agent",
		.summary = "always-on profiling: windows served over HTTP (pprof, a web page, "
			   "metrics), written to a directory, pushed to Pyroscope",
		.usage = usage,
		.default_format = "pprof",
		.output_usage = "  (no -f, -o: see --listen, --dir, --pyroscope below)\n",
		.value_names = "",
		.shortopts = "F:",
		.longopts = longopts,
		.parse = agent_parse,
		.validate = agent_validate,
	};
	const struct collector *cols[SESSION_MAX_COLLECTORS];
	const char *names[SESSION_MAX_COLLECTORS];
	struct agent *a = xcalloc(1, sizeof(*a));
	struct agent_renew rn;
	struct http_server *http = NULL;
	const char *listen_addr;
	sigset_t mask;
	int n = 0, err, rc = 2;

	agent_usage(usage, sizeof(usage));
	err = args_parse(&front, argc, argv, &set);
	if (err) {
		rc = err > 0 ? 0 : 2;
		goto out_free;
	}
	/*
	 * The sessions read these from their signalfds: no thread of ours
	 * (HTTP, the pusher, the sessions') may take them by default action.
	 */
	agent_session_signals(&mask);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	/*
	 * Each window reads the stacks maps in batches of megabytes.  glibc
	 * raises its mmap threshold after freeing such a block, and later
	 * ones then come from the heap and stay resident: measured, RSS
	 * climbed by tens of MiB in the first minute.  A fixed threshold
	 * gives each back to the kernel when freed.
	 */
	mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD);
	for (int i = 0; i < NCOLS; i++)
		if (set.record_what & 1u << i) {
			cols[n] = agent_cols[i];
			names[n++] = agent_cols[i]->name;
		}
	rn = (struct agent_renew){
		.rss = set.agent_renew_rss_mib ? (uint64_t)set.agent_renew_rss_mib << 20 : RENEW_RSS,
		.min_ns = (set.agent_renew_min_s ? set.agent_renew_min_s : RENEW_MIN_S) * 1000000000ULL,
		.max_ns = RENEW_S * 1000000000ULL,
	};
	if (set.agent_dir && dir_open(set.agent_dir))
		goto out_free;
	if (agent_init(a, &set, names, n, (uint64_t)set.window * 1000000000ULL))
		goto out_free;
	if (set.agent_pyroscope && open_pusher(&set, &a->push))
		goto out;
	listen_addr = set.agent_listen ? set.agent_listen : DEFAULT_LISTEN;
	if (strcmp(listen_addr, "off")) {
		if (start_http(a, listen_addr, &http))
			goto out;
		/* always said: with port 0, the only way to learn the port */
		fprintf(stderr, "profiler agent: listening on http://%.*s:%u/\n",
			listen_addr[0] == ':' ? 7 : (int)(strrchr(listen_addr, ':') - listen_addr),
			listen_addr[0] == ':' ? "0.0.0.0" : listen_addr, http_port(http));
	}
	rc = agent_collect(a, cols, n, &set, &rn);
out:
	agent_stop(a);
	http_stop(http);
	if (a->push)
		push_close(a->push, 5000);
	agent_free(a);
out_free:
	settings_free(&set);
	free(a);
	free(longopts);
	free(optnames);
	return rc;
}
