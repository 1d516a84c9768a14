// SPDX-License-Identifier: GPL-2.0
/*
 * profiler top: the live dashboard.  A session of record's collectors cut
 * into windows of -i SECS; each window's profiles become a view
 * (src/ui/view.c) that the screen draws (src/ui/screen.c) or -b prints as
 * text (src/ui/batch.c).  The session calls back while it waits (its
 * sink's idle), so keys are read between windows without a thread of our
 * own, and the sink keeps the window on the screen so that sorting,
 * filtering and w work on it while paused.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/frontends.h"
#include "session/session.h"
#include "ui/batch.h"
#include "ui/keys.h"
#include "ui/screen.h"
#include "ui/snapshot.h"
#include "ui/view.h"
#include "util/util.h"

/* 2 s: as perf top; what one refresh costs is in docs/performance.md */
#define DEFAULT_REFRESH 2.0
#define DEFAULT_SLOW_MS 10.0
#define BATCH_ROWS 10
#define LOG_TAIL (64 * 1024)
#define NOTE_SECS 6	/* a first message on the status line, before the keys' line */

enum { OPT_WHAT = 3101, OPT_SLOW };

/* A window's profiles (owned) and what top adds to them. */
struct top_window {
	struct profile *p[SESSION_MAX_COLLECTORS];	/* NULL: none (failed to start) */
	bool have;		/* a window came */
	struct session_window w;
	bool growth_known;
	int64_t growth;		/* outstanding bytes since the window before */
};

struct top {
	struct settings *set;
	const char *names[SESSION_MAX_COLLECTORS];
	int n;
	bool batch;
	const char *mem_why;
	int ncpus;
	struct top_window shown, pending;	/* pending: the newest, come while paused */
	bool have_inuse;
	int64_t last_inuse;
	int windows;		/* handed to us so far */
	bool done;		/* -n reached, or the screen failed */
	struct ui_view view;
	struct ui_state ui;
	struct screen scr;
	FILE *tty;		/* the screen's; stdout and stderr go to the log meanwhile */
	int log_fd, saved_out, saved_err;
	char why[320];		/* the screen could not start: why */
	/* collectors that failed to start, alone: why, for their panels */
	char failed_why[SESSION_MAX_COLLECTORS][256];
	const char *failed[SESSION_MAX_COLLECTORS];
	bool want_whole;	/* W: the run so far, written at the next refresh */
	uint64_t note_until;	/* the note on the command's output stays until then */
};

static int top_parse(struct settings *s, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case 'b':
		s->top_batch = true;
		return 0;
	case 'n':
		if (parse_u64(arg, 1, 1000000000, &v)) {
			pr_err("invalid -n '%s': give the number of refreshes, for example -n 5", arg);
			return -EINVAL;
		}
		s->top_count = v;
		return 0;
	case 'i':
		if (parse_seconds(arg, &s->window) || s->window < 0.1) {
			pr_err("invalid -i '%s': give seconds between refreshes, at least 0.1, for "
			       "example -i 2", arg);
			return -EINVAL;
		}
		return 0;
	case 'F':
		return cpu_collector.parse(s, opt, arg);
	case OPT_WHAT:
		return parse_what(record_cols, RECORD_NCOLS, arg, &s->record_what);
	case OPT_SLOW:
		if (parse_seconds(arg, &s->slow_ms) || s->slow_ms <= 0) {
			pr_err("invalid --slow '%s': give milliseconds, for example --slow 10", arg);
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

static int top_validate(struct settings *s)
{
	if (s->format) {
		pr_err("profiler top takes no -f: w and W write svg, pprof and folded files");
		return -EINVAL;
	}
	if (s->noutputs > 1 || (s->noutputs == 1 && !strcmp(s->outputs[0], "-"))) {
		pr_err("profiler top takes one -o DIR (where w and W write), not %s",
		       s->noutputs > 1 ? "several" : "'-'");
		return -EINVAL;
	}
	if (!s->window)
		s->window = DEFAULT_REFRESH;
	if (!s->slow_ms)
		s->slow_ms = DEFAULT_SLOW_MS;
	return record_validate_what(s);
}

static void window_free(struct top_window *tw)
{
	for (int i = 0; i < SESSION_MAX_COLLECTORS; i++)
		profile_free(tw->p[i]);
	*tw = (struct top_window){};
}

/* Take the session's profiles, with mem's growth since the last window. */
static void window_take(struct top *t, struct top_window *tw, struct profile *const *ps,
			const struct session_window *w)
{
	window_free(tw);
	tw->w = *w;
	tw->have = true;
	for (int i = 0; i < t->n; i++) {
		int ti = ps[i] ? profile_find_type(ps[i], "inuse_space") : -1;

		tw->p[i] = ps[i];
		if (strcmp(t->names[i], "mem") || ti < 0)
			continue;
		tw->growth = profile_total(ps[i], ti) - t->last_inuse;
		tw->growth_known = t->have_inuse;
		t->last_inuse = profile_total(ps[i], ti);
		t->have_inuse = true;
	}
}

static struct ui_input input(const struct top *t, const struct top_window *tw)
{
	return (struct ui_input){
		.profiles = tw->p, .names = t->names, .n = t->n,
		.secs = (tw->w.to_ns - tw->w.from_ns) / 1e9, .ncpus = t->ncpus,
		.mem_growth_known = tw->growth_known, .mem_growth = tw->growth,
		.mem_why = t->mem_why, .no_advice = t->set->no_advice, .failed = t->failed,
	};
}

/* The screen before the first window ends; a collector that failed says so at once. */
static void waiting_view(struct top *t)
{
	static const char *const titles[UI_NPANELS] = { "CPU", "MEM", "I/O", "WAIT" };
	static const char *const cols[UI_NPANELS] = { "cpu", "mem", "io", "lock" };
	struct ui_input in = input(t, &t->shown);

	ui_view_free(&t->view);
	for (int i = 0; i < UI_NPANELS; i++) {
		const char *failed = ui_failed(&in, cols[i]);
		char why[256];

		t->view.panels[i].title = titles[i];
		if (failed)
			snprintf(t->view.panels[i].summary, sizeof(t->view.panels[i].summary),
				 "%-4s %s", titles[i], ui_absent(&in, cols[i], why, sizeof(why)));
		else
			snprintf(t->view.panels[i].summary, sizeof(t->view.panels[i].summary),
				 "%-4s collecting: the first window ends %.1f s after the start",
				 titles[i], t->set->window);
	}
}

static void rebuild(struct top *t)
{
	const struct top_window *tw = &t->shown;
	struct ui_input in = input(t, tw);

	if (!tw->have)
		return waiting_view(t);
	ui_view_free(&t->view);
	ui_view_build(&t->view, &in, &t->ui.filter);
}

static const char *target(const struct settings *s, char *buf, size_t size)
{
	if (s->cmd)
		snprintf(buf, size, "%s", strrchr(s->cmd[0], '/') ? strrchr(s->cmd[0], '/') + 1 : s->cmd[0]);
	else if (s->npids)
		snprintf(buf, size, "PID %d%s", s->pids[0], s->npids > 1 ? ",..." : "");
	else if (s->ntids)
		snprintf(buf, size, "TID %d%s", s->tids[0], s->ntids > 1 ? ",..." : "");
	else
		snprintf(buf, size, "the whole system");
	return buf;
}

/* The first profile of a window: a collector that failed has none. */
static const struct profile *any_profile(const struct top *t, const struct top_window *tw)
{
	for (int i = 0; i < t->n; i++)
		if (tw->p[i])
			return tw->p[i];
	return NULL;
}

static void header(const struct top *t, char *buf, size_t size)
{
	const struct top_window *tw = &t->shown;
	const struct profile *p = any_profile(t, tw);
	char tgt[128], clock[16] = "--:--:--";

	if (p) {
		time_t end = (p->start_time_ns + p->duration_ns) / 1000000000ULL;
		struct tm tm;

		localtime_r(&end, &tm);
		strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	}
	/* what matters first: 80 columns cut the rest */
	snprintf(buf, size, "profiler top%s - window %d, %.2f s, at %s - %s - refresh %g s",
		 t->ui.paused ? " PAUSED" : "", tw->have ? tw->w.index + 1 : 0,
		 tw->have ? (tw->w.to_ns - tw->w.from_ns) / 1e9 : 0.0, clock,
		 target(t->set, tgt, sizeof(tgt)), t->set->window);
}

static void draw(struct top *t)
{
	char head[512];

	header(t, head, sizeof(head));
	screen_draw(&t->scr, &t->view, &t->ui, head);
}

/* Messages and the command's output go to a file while the screen is up. */
static int log_start(struct top *t)
{
	int out = dup(STDOUT_FILENO);

	t->log_fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	if (t->log_fd < 0 || out < 0 || !(t->tty = fdopen(out, "w"))) {
		pr_err("cannot make a file for messages in /tmp: %s", strerror(errno));
		return -errno;
	}
	fflush(stdout);
	t->saved_out = dup(STDOUT_FILENO);
	t->saved_err = dup(STDERR_FILENO);
	dup2(t->log_fd, STDOUT_FILENO);
	dup2(t->log_fd, STDERR_FILENO);
	return 0;
}

/* The terminal back, then what was said meanwhile (its end, if long). */
static void log_end(struct top *t)
{
	char buf[8192];
	off_t size;
	ssize_t r;

	screen_close(&t->scr);
	if (t->tty)
		fclose(t->tty);
	t->tty = NULL;
	if (t->saved_err < 0)
		return;
	fflush(stdout);
	dup2(t->saved_out, STDOUT_FILENO);
	dup2(t->saved_err, STDERR_FILENO);
	close(t->saved_out);
	close(t->saved_err);
	t->saved_out = t->saved_err = -1;
	size = lseek(t->log_fd, 0, SEEK_END);
	if (size > LOG_TAIL)
		fprintf(stderr, "profiler top: the last %d KiB of the messages:\n", LOG_TAIL / 1024);
	lseek(t->log_fd, size > LOG_TAIL ? size - LOG_TAIL : 0, SEEK_SET);
	while ((r = read(t->log_fd, buf, sizeof(buf))) > 0)
		if (write(STDERR_FILENO, buf, r) != r)
			break;
	close(t->log_fd);
}

static int screen_up(struct top *t)
{
	if (t->scr.term || t->done)
		return t->done ? -1 : 0;
	if (screen_open(&t->scr, t->tty, t->why, sizeof(t->why))) {
		t->done = true;
		return -1;
	}
	/* once, until the first key or for NOTE_SECS: where the command's lines went */
	if (t->set->cmd_output_kept) {
		char cmd[128];

		snprintf(t->ui.message, sizeof(t->ui.message), "%s's output is kept and shown when top "
			 "exits", target(t->set, cmd, sizeof(cmd)));
		t->note_until = now_ns() + NOTE_SECS * 1000000000ULL;
	}
	rebuild(t);
	draw(t);
	return 0;
}

static const char *snapshot_dir(const struct top *t)
{
	return t->set->noutputs ? t->set->outputs[0] : ".";
}

/* w: the window on the screen, at once */
static void snapshot(struct top *t)
{
	char tag[32], what[48];

	if (!t->shown.have) {
		snprintf(t->ui.message, sizeof(t->ui.message),
			 "nothing to write yet: the first window ends %.1f s after the start",
			 t->set->window);
		return;
	}
	snprintf(tag, sizeof(tag), "w%d", t->shown.w.index + 1);
	snprintf(what, sizeof(what), "window %d", t->shown.w.index + 1);
	ui_snapshot(snapshot_dir(t), tag, what, t->shown.p, t->names, t->n, t->set,
		    t->ui.message, sizeof(t->ui.message));
}

/*
 * W: the run so far, which the session cuts after the next window (the
 * collectors' maps hold the run; only cpu keeps totals for it, per stack)
 * rather than top adding up every window's profiles at each refresh.
 */
static void snapshot_run_ask(struct top *t)
{
	t->want_whole = true;
	snprintf(t->ui.message, sizeof(t->ui.message),
		 "writing the run so far at the next refresh (within %g s)", t->set->window);
}

static void snapshot_run(struct top *t, struct profile *const *ps, const struct session_window *w)
{
	char what[64];

	snprintf(what, sizeof(what), "the run so far (%.0f s)", (w->to_ns - w->from_ns) / 1e9);
	ui_snapshot(snapshot_dir(t), "run", what, ps, t->names, t->n, t->set, t->ui.message,
		    sizeof(t->ui.message));
	draw(t);
}

static bool top_want_whole(void *ctx)
{
	struct top *t = ctx;
	bool want = t->want_whole && !t->done;

	t->want_whole = false;
	return want;
}

static void top_failed(void *ctx, int i, const char *why)
{
	struct top *t = ctx;

	snprintf(t->failed_why[i], sizeof(t->failed_why[i]), "%s", why);
	t->failed[i] = t->failed_why[i];
}

static int top_idle(void *ctx)
{
	struct top *t = ctx;
	bool redraw = false;
	int key;

	if (t->batch || screen_up(t))
		return t->done;
	while ((key = screen_key(&t->scr)) != SCREEN_NO_KEY) {
		switch (ui_key(&t->ui, key)) {
		case UI_QUIT:
			/* the terminal back now: the last collection and the
			 * detaching that follow take seconds on a busy machine */
			t->done = true;
			log_end(t);
			return 1;
		case UI_REBUILD:
			/* going on after a pause: the newest window at once */
			if (!t->ui.paused && t->pending.p[0]) {
				window_free(&t->shown);
				t->shown = t->pending;
				t->pending = (struct top_window){};
			}
			rebuild(t);
			redraw = true;
			break;
		case UI_SNAPSHOT:
			snapshot(t);
			redraw = true;
			break;
		case UI_SNAPSHOT_RUN:
			snapshot_run_ask(t);
			redraw = true;
			break;
		case UI_REDRAW:
			redraw = true;
			break;
		case UI_NONE:
			break;
		}
	}
	if (redraw)
		draw(t);
	return t->done;
}

static int top_window_cb(void *ctx, struct profile *const *profiles, int n,
			 const struct session_window *w)
{
	struct top *t = ctx;
	char head[512];
	int err = 0;

	if (w->whole && !t->done && !t->batch)
		snapshot_run(t, profiles, w);
	if (w->whole || t->done || (!t->batch && w->last)) {
		/* written, or after q or -n, or the screen is closing: nobody will see it */
		for (int i = 0; i < n; i++)
			profile_free(profiles[i]);
		return 0;
	}
	if (t->batch) {
		window_take(t, &t->shown, profiles, w);
		rebuild(t);
		header(t, head, sizeof(head));
		err = ui_batch_print(stdout, &t->view, head, t->set->top ? t->set->top : BATCH_ROWS);
		if (err)
			pr_err("cannot write to standard output: %s", strerror(-err));
	} else if (t->ui.paused) {
		window_take(t, &t->pending, profiles, w);
	} else {
		window_take(t, &t->shown, profiles, w);
		/* the note gives the status line back to the keys */
		if (t->note_until && now_ns() >= t->note_until) {
			if (strstr(t->ui.message, "'s output is kept"))
				t->ui.message[0] = '\0';
			t->note_until = 0;
		}
		if (!screen_up(t)) {
			rebuild(t);
			draw(t);
		}
	}
	/* -n: this was the last; the idle call that follows ends the run */
	if (t->set->top_count && ++t->windows >= t->set->top_count)
		t->done = true;
	return 0;	/* the profiles are ours now, freed with the window */
}

static const char top_usage[] =
	"  -i, --interval SECS    refresh every SECS (default 2): each refresh shows\n"
	"                         what happened in the SECS that just ended\n"
	"  -b, --batch            plain text on stdout, a block per refresh (the default\n"
	"                         when stdout is no terminal)\n"
	"  -n, --iterations N     stop after N refreshes (-d SECS: after SECS)\n"
	"      --what LIST        the collectors, from cpu,offcpu,mem,lock,io (default:\n"
	"                         all; without mem for -a and -t)\n"
	"      --slow MS          list I/O requests slower than MS (default 10)\n"
	"  -F HZ                  cpu: samples per second (default 99)\n"
	"Panels: CPU (top functions by self and total share, processes), MEM\n"
	"(allocation rate and sites, outstanding bytes), I/O (IOPS and latency\n"
	"percentiles per disk, a histogram, slow requests), WAIT (contended locks,\n"
	"off-CPU reasons), and a line of recommendations.\n"
	"A collector that fails to start fails only its panel, which says why.\n"
	"Keys: q quit, space pause, tab or arrows change the panel, s sort, p one PID,\n"
	"/ search names, w write the window and W the run so far (svg, pprof, folded)\n"
	"under -o DIR, h or ? the keys.  The output of -- COMMAND is shown when top\n"
	"exits.  NO_COLOR set: no colors.  TERM must name the terminal (else -b).\n";

static const struct option top_longopts[] = {
	{ "batch", no_argument, NULL, 'b' },
	{ "iterations", required_argument, NULL, 'n' },
	{ "interval", required_argument, NULL, 'i' },
	{ "what", required_argument, NULL, OPT_WHAT },
	{ "slow", required_argument, NULL, OPT_SLOW },
	{},
};

int top_main(int argc, char **argv)
{
	struct settings set = {};
	struct collector col = {
		.name = "top",
		.summary = "the live dashboard: CPU, memory, I/O, locks and waits with their code "
			   "paths, refreshing",
		.usage = top_usage,
		.default_format = "report",
		.output_usage =
			"  -o DIR                    where w and W write (default: the current\n"
			"                            directory)\n",
		.value_names = "",
		.shortopts = "bn:i:F:",
		.longopts = top_longopts,
		.parse = top_parse,
		.validate = top_validate,
	};
	const struct collector *cols[SESSION_MAX_COLLECTORS];
	struct top t = { .set = &set, .log_fd = -1, .saved_out = -1, .saved_err = -1 };
	struct session_sink sink = { .ctx = &t, .window = top_window_cb, .keep = true,
				     .idle = top_idle, .idle_fd = -1, .failed = top_failed,
				     .want_whole = top_want_whole };
	struct session_opts o = { .batch_mappings = true, .front = "top" };
	int err, rc = 2;

	err = args_parse(&col, argc, argv, &set);
	if (err) {
		rc = err > 0 ? 0 : 2;
		goto out;
	}
	for (int i = 0; i < RECORD_NCOLS; i++)
		if (set.record_what & 1u << i) {
			cols[t.n] = record_cols[i];
			t.names[t.n++] = record_cols[i]->name;
		}
	if (!(set.record_what & 1u << 2) && (set.system_wide || set.ntids))
		t.mem_why = "not collected: mem follows processes, so it runs with -p PID or "
			    "-- COMMAND, not with -a or -t";
	t.ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	t.batch = set.top_batch || !isatty(STDOUT_FILENO);
	ui_state_init(&t.ui);
	if (!t.batch) {
		if (screen_check(t.why, sizeof(t.why))) {
			pr_err("%s", t.why);
			goto out;
		}
		if (!set.quiet)
			fprintf(stderr, "profiler top: starting %d collectors...\n", t.n);
		if (log_start(&t))
			goto out;
		/* its lines would garble the screen: to the log, said on the status line */
		set.cmd_output_kept = set.cmd != NULL;
		/* keys from a terminal only: /dev/null would wake the wait at once, always */
		sink.idle_fd = isatty(STDIN_FILENO) ? STDIN_FILENO : -1;
	}
	o.window_ns = (uint64_t)(set.window * 1e9);
	rc = session_run(cols, t.n, &set, &o, &sink);
	log_end(&t);
	if (t.why[0]) {
		pr_err("%s", t.why);
		rc = 1;
	}
out:
	window_free(&t.shown);
	window_free(&t.pending);
	ui_view_free(&t.view);
	settings_free(&set);
	return rc;
}
