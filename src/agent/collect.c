// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's collection (see collect.h).  Each session runs in a thread
 * of its own, so that a renewal can start the next one (loading and
 * attaching take about half a second of CPU) while the current one still
 * collects.  The handover, with A the old session and B the new one:
 *   1. B is attached: its started hook asks A to stop (A's stop_fd);
 *   2. A detaches its programs: its stopped hook marks that instant in B
 *      (keep_from_ns) and makes B cut a piece at once;
 *   3. A's last piece ends the window under way; B's pieces before the
 *      mark are dropped (A counted them), the first after it waits for
 *      A's last piece, and from there on B's pieces are the windows'.
 * What falls between A's detaching and B's cut (a wake-up, well under a
 * millisecond on an idle machine) is counted in /metrics as the renewal
 * gap.  The sinks of both sessions run under one lock.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "agent/collect.h"
#include "agent/files.h"
#include "agent/push.h"
#include "util/util.h"

struct agent_run;

struct agent_sess {
	struct agent_run *r;
	int slot;
	pthread_t th;
	bool running;		/* its thread is started and not joined */
	bool ended;		/* session_run returned */
	bool took_over;		/* it asked its predecessor to stop */
	bool handed_over;	/* its successor took over: it stops for that */
	bool counting;		/* its pieces make the windows */
	uint64_t keep_from_ns;	/* before counting: its pieces from here on count */
	uint64_t begin_ns;	/* its thread started (CLOCK_MONOTONIC) */
	uint64_t cpu_stop_ns;	/* its thread's CPU time when it stopped */
	int stop_fd;		/* eventfd: the session ends */
	int rc;
	struct session_sink sink;
	struct session_opts o;
};

struct agent_run {
	struct agent *a;
	const struct collector *const *cols;
	int ncols;
	struct settings *set;
	struct agent_renew rn;
	struct keep keep;
	struct merged cur[SESSION_MAX_COLLECTORS];	/* the window under way */
	uint64_t boundary_ns;	/* where it ends: a multiple of window_ns from its session's start */
	uint64_t window_ns;
	pthread_mutex_t lock;	/* all below, and the sinks */
	pthread_cond_t cond;
	struct agent_sess sess[2];
	int live;		/* the slot whose pieces count */
	uint64_t live_since_ns;	/* when it began to count */
	uint64_t handover_ns;	/* the end of the old session's last piece */
	uint64_t retry_ns;	/* after a failed renewal: none before */
	bool stop;		/* -d, SIGTERM, SIGINT, the targets' end: no more sessions */
	bool renew_wanted;	/* a window's end found the session due for renewal */
	bool renewing;		/* a successor runs */
	bool prev_pending;	/* the old session's last piece has not come yet */
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void poke(int fd)
{
	if (eventfd_write(fd, 1))
		return;		/* the counter is full: it is readable anyway */
}

static void push_window(struct agent_run *r, int i, const struct profile *p,
			const struct agent_blob *b)
{
	struct push_item it = {
		.type = r->a->names[i],
		.from_s = p->start_time_ns / 1000000000ULL,
		.until_s = (p->start_time_ns + p->duration_ns + 999999999ULL) / 1000000000ULL,
		.sample_rate = !strcmp(r->a->names[i], "cpu") ? (unsigned int)r->set->freq : 0,
		.format = "pprof",
		.data = b->data,
		.len = b->len,
	};

	/* a full queue drops it, and the pusher counts that for /metrics */
	push_profile(r->a->push, &it);
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
		if (agent_encode(r->a, p, &blobs[i])) {
			pr_warn("cannot encode the %s profile of a window: it is left out", r->a->names[i]);
		} else {
			if (r->set->agent_dir) {
				if (dir_write(r->set->agent_dir, r->a->names[i], start, blobs[i].data,
					      blobs[i].len))
					failed++;
				else
					written++;
			}
			/* nothing to ingest: an idle window is not a request */
			if (r->a->push && p->nsamples)
				push_window(r, i, p, &blobs[i]);
		}
		profile_free(p);
	}
	agent_add_window(r->a, start, dur, blobs);
	pthread_mutex_lock(&r->a->lock);
	r->a->files_written += written;
	r->a->files_failed += failed;
	pthread_mutex_unlock(&r->a->lock);
	if (r->set->agent_dir) {
		clock_gettime(CLOCK_REALTIME, &ts);
		dir_prune(r->set->agent_dir, &r->keep, (uint64_t)ts.tv_sec);
	}
	/*
	 * Only with one session alive: another session's thread unmaps
	 * the files it read, and a mapping made at the same address
	 * between the read of the maps and the madvise would be zeroed.
	 * A session's own mappings are unmapped by its own thread, this
	 * one, and a successor cannot start while r->lock is held.
	 */
	if (!(r->sess[0].running && r->sess[1].running))
		agent_drop_file_pages();
}

/* Every session still running ends (its last window collected). */
static void stop_all(struct agent_run *r)
{
	r->stop = true;
	for (int i = 0; i < 2; i++)
		if (r->sess[i].running)
			poke(r->sess[i].stop_fd);
	pthread_cond_broadcast(&r->cond);
}

/* At a window's end, under r->lock: is the live session due for renewal? */
static void check_renewal(struct agent_run *r)
{
	uint64_t now = now_ns(), age = now - r->live_since_ns;

	if (r->stop || r->renewing || r->renew_wanted || r->set->cmd || now < r->retry_ns)
		return;
	if (age >= r->rn.max_ns || (age >= r->rn.min_ns && agent_rss_bytes() > r->rn.rss)) {
		r->renew_wanted = true;
		pthread_cond_broadcast(&r->cond);
	}
}

/*
 * Whether a piece counts: not a successor's before the handover (its
 * predecessor counted those samples).  Such a piece is then not named:
 * it came at the moment the predecessor names its last piece, and two
 * namings at once were the renewal's peak of RSS.  keep_from_ns is set
 * once, later than any piece cut before it ends, so sess_window's own
 * test agrees.
 */
static bool counts(const struct agent_sess *s, const struct session_window *w)
{
	return s->counting || (s->keep_from_ns && w->from_ns >= s->keep_from_ns);
}

static bool sess_wanted(void *ctx, const struct session_window *w)
{
	struct agent_sess *s = ctx;
	bool want;

	pthread_mutex_lock(&s->r->lock);
	want = counts(s, w);
	pthread_mutex_unlock(&s->r->lock);
	return want;
}

static int sess_window(void *ctx, struct profile *const *ps, int n, const struct session_window *w)
{
	struct agent_sess *s = ctx;
	struct agent_run *r = s->r;
	struct session_window piece = *w;

	pthread_mutex_lock(&r->lock);
	if (!s->counting) {
		/* a successor's pieces before the handover are its predecessor's samples */
		if (!counts(s, w)) {
			pthread_mutex_unlock(&r->lock);
			return 0;
		}
		while (r->prev_pending)
			pthread_cond_wait(&r->cond, &r->lock);
		s->counting = true;
		r->live = s->slot;
		r->live_since_ns = now_ns();
		pthread_mutex_lock(&r->a->lock);
		r->a->renew_gap_ns += w->from_ns > r->handover_ns ? w->from_ns - r->handover_ns : 0;
		pthread_mutex_unlock(&r->a->lock);
	}
	/* the old session's last piece: the run goes on in the new one */
	if (s->handed_over)
		piece.last = false;
	agent_piece(r->a, ps, n, &piece);
	/* the session cuts at its start plus multiples of window_ns; requests cut between */
	if (!r->cur[0].p)
		r->boundary_ns = w->run_start_ns +
				 ((w->from_ns - w->run_start_ns) / r->window_ns + 1) * r->window_ns;
	for (int i = 0; i < n; i++)
		merged_add(&r->cur[i], ps[i]);
	if (w->last || w->to_ns >= r->boundary_ns)
		finish_window(r, n);
	if (w->last && s->handed_over) {
		r->handover_ns = w->to_ns;
		r->prev_pending = false;
		pthread_cond_broadcast(&r->cond);
	} else if (!w->last && w->to_ns >= r->boundary_ns) {
		check_renewal(r);
	}
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* Attached: the first session cuts a piece at once (/healthz then knows
 * collection began); a successor asks its predecessor to stop. */
static void sess_started(void *ctx)
{
	struct agent_sess *s = ctx;
	struct agent_run *r = s->r;
	struct agent_sess *prev = &r->sess[!s->slot];
	uint64_t cpu = thread_cpu_ns();

	pthread_mutex_lock(&r->lock);
	if (s->counting) {
		poke(r->a->cut_fds[s->slot]);
	} else if (!r->stop && prev->running && !prev->ended) {
		s->took_over = true;
		prev->handed_over = true;
		r->prev_pending = true;
		pthread_mutex_lock(&r->a->lock);
		r->a->renew_cpu_ns += cpu;
		r->a->renew_start_ns += now_ns() - s->begin_ns;
		pthread_mutex_unlock(&r->a->lock);
		poke(prev->stop_fd);
	}
	pthread_mutex_unlock(&r->lock);
}

/* Detached: the successor's pieces count from now, and it cuts one now. */
static void sess_stopped(void *ctx)
{
	struct agent_sess *s = ctx;
	struct agent_run *r = s->r;
	struct agent_sess *next = &r->sess[!s->slot];

	pthread_mutex_lock(&r->lock);
	s->cpu_stop_ns = thread_cpu_ns();
	if (s->handed_over) {
		next->keep_from_ns = now_ns();
		poke(r->a->cut_fds[next->slot]);
	}
	pthread_mutex_unlock(&r->lock);
}

static bool sess_signal(void *ctx, int signo)
{
	struct agent_sess *s = ctx;
	struct agent_run *r = s->r;

	if (signo != SIGHUP) {
		/* SIGTERM, SIGINT: every session writes what it has, then stops */
		pthread_mutex_lock(&r->lock);
		stop_all(r);
		pthread_mutex_unlock(&r->lock);
		return false;
	}
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

static void *sess_thread(void *arg)
{
	struct agent_sess *s = arg;
	struct agent_run *r = s->r;
	int rc = session_run(r->cols, r->ncols, r->set, &s->o, &s->sink);

	/* what the session freed goes back to the kernel (docs/performance.md, Agent) */
	malloc_trim(0);
	pthread_mutex_lock(&r->lock);
	s->rc = rc;
	s->ended = true;
	if (s->handed_over) {
		pthread_mutex_lock(&r->a->lock);
		r->a->renew_cpu_ns += thread_cpu_ns() - s->cpu_stop_ns;
		pthread_mutex_unlock(&r->a->lock);
		/* its last piece may never have come (a failed read): do not wait for it */
		r->prev_pending = false;
	}
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* Session slot's thread, under r->lock; counting: the first session. */
static int sess_start(struct agent_run *r, int slot, bool counting, double duration)
{
	struct agent_sess *s = &r->sess[slot];
	eventfd_t junk;
	int err;

	/* a stop or cut asked of the slot's last session is not this one's */
	eventfd_read(s->stop_fd, &junk);
	eventfd_read(r->a->cut_fds[slot], &junk);
	s->running = true;
	s->ended = s->took_over = s->handed_over = false;
	s->counting = counting;
	s->keep_from_ns = 0;
	s->begin_ns = now_ns();
	s->rc = 0;
	s->o.cut_fd = r->a->cut_fds[slot];
	r->set->duration = duration;
	err = pthread_create(&s->th, NULL, sess_thread, s);
	if (err) {
		s->running = false;
		pr_err("cannot start a session's thread: %s", strerror(err));
		return -err;
	}
	return 0;
}

/* A session's thread ended, under r->lock: joined, and what it means. */
static void sess_join(struct agent_run *r, struct agent_sess *s, int *rc)
{
	pthread_mutex_unlock(&r->lock);
	pthread_join(s->th, NULL);
	pthread_mutex_lock(&r->lock);
	s->running = false;
	if (s->handed_over) {
		r->renewing = false;
		pthread_mutex_lock(&r->a->lock);
		r->a->renewals++;
		pthread_mutex_unlock(&r->a->lock);
	} else if (s->counting || s->took_over) {
		/* the live session ended by itself: -d, a signal, the targets' end, an error */
		*rc = s->rc;
		stop_all(r);
	} else {
		/* a successor that never took over: the live one goes on, tried again later */
		r->renewing = false;
		if (!r->stop) {
			pthread_mutex_lock(&r->a->lock);
			r->a->renewals_failed++;
			pthread_mutex_unlock(&r->a->lock);
			r->retry_ns = now_ns() + r->rn.min_ns;
			pr_warn("agent: a renewed session could not start (see above): the current one "
				"goes on");
		}
	}
}

static void run_init(struct agent_run *r)
{
	pthread_mutex_init(&r->lock, NULL);
	agent_cond_init(&r->cond);	/* the -d deadline is waited for by the monotonic clock */
	for (int i = 0; i < 2; i++) {
		struct agent_sess *s = &r->sess[i];

		s->r = r;
		s->slot = i;
		s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		s->sink = (struct session_sink){ .ctx = s, .window = sess_window,
						 .signal = sess_signal, .started = sess_started,
						 .stopped = sess_stopped, .wanted = sess_wanted };
		s->o = (struct session_opts){ .window_ns = r->window_ns, .batch_mappings = true,
					      .stop_fd = s->stop_fd };
	}
}

static void run_free(struct agent_run *r)
{
	for (int i = 0; i < r->ncols; i++)
		merged_free(&r->cur[i]);
	for (int i = 0; i < 2; i++)
		if (r->sess[i].stop_fd >= 0)
			close(r->sess[i].stop_fd);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
}

int agent_collect(struct agent *a, const struct collector *const *cols, int n,
		  struct settings *set, const struct agent_renew *rn)
{
	struct agent_run *r = xcalloc(1, sizeof(*r));
	double duration = set->duration;
	uint64_t deadline = duration > 0 ? now_ns() + (uint64_t)(duration * 1e9) : 0;
	struct timespec until = { (time_t)(deadline / 1000000000ULL),
				  (long)(deadline % 1000000000ULL) };
	int rc = 0;

	*r = (struct agent_run){ .a = a, .cols = cols, .ncols = n, .set = set, .rn = *rn,
				 .window_ns = a->window_ns };
	if (set->agent_keep)
		keep_parse(&r->keep, set->agent_keep);
	run_init(r);
	if (r->sess[0].stop_fd < 0 || r->sess[1].stop_fd < 0) {
		pr_err("eventfd: %s", strerror(errno));
		rc = 2;
		goto out;
	}
	if (set->cmd) {
		sigset_t mask;

		/* -- COMMAND: one session, here; the command starts with no signal blocked */
		agent_session_signals(&mask);
		pthread_sigmask(SIG_UNBLOCK, &mask, NULL);
		r->sess[0].counting = true;
		r->sess[0].o.cut_fd = a->cut_fds[0];
		sess_thread(&r->sess[0]);
		rc = r->sess[0].rc;
		goto out;
	}
	pthread_mutex_lock(&r->lock);
	r->live_since_ns = now_ns();
	if (sess_start(r, 0, true, duration)) {
		pthread_mutex_unlock(&r->lock);
		rc = 2;
		goto out;
	}
	for (;;) {
		struct agent_sess *ended = NULL;

		for (int i = 0; i < 2; i++)
			if (r->sess[i].running && r->sess[i].ended)
				ended = &r->sess[i];
		if (ended) {
			sess_join(r, ended, &rc);
			continue;
		}
		if (!r->sess[0].running && !r->sess[1].running)
			break;
		if (deadline && now_ns() >= deadline && !r->stop) {
			stop_all(r);	/* a successor's own -d would end half a second late */
			continue;
		}
		if (r->renew_wanted && !r->stop) {
			double left = deadline ? (double)(deadline - MIN(deadline, now_ns())) / 1e9 : 0;

			r->renew_wanted = false;
			/* with under two seconds left, the run ends first */
			if ((!deadline || left > 2) && !sess_start(r, !r->live, false, left))
				r->renewing = true;
			continue;
		}
		if (deadline && !r->stop)
			pthread_cond_timedwait(&r->cond, &r->lock, &until);
		else
			pthread_cond_wait(&r->cond, &r->lock);
	}
	pthread_mutex_unlock(&r->lock);
out:
	set->duration = duration;
	run_free(r);
	free(r);
	return rc;
}
