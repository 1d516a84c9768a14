// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting rules: a contended lock (a FRAME_GROUP frame of kind "lock" with
 * contentions and delay), threads that are mostly off the CPU (an
 * "offcpu" time type) and on what, and code paths that wait on fsync
 * (off-CPU time, or disk latency, under an fsync frame).
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/rules.h"
#include "util/util.h"

/*
 * The sample's lock frame, wherever --by put it; NULL for none.  By its
 * module and name ("lock:NAME (TYPE)" in module "lock"), not only its
 * kind: a pprof file keeps those but not the kind.
 */
static const struct location *lock_frame(const struct profile *p, size_t s)
{
	const struct sample *smp = &p->samples[s];

	for (uint32_t i = 0; i < smp->nframes; i++) {
		const struct location *l = &p->locs[p->frames[smp->first + i]];

		if (l->module && !strcmp(l->module, "lock") && l->name &&
		    !strncmp(l->name, "lock:", 5))
			return l;
	}
	return NULL;
}

struct waiter {
	const char *lock;
	uint32_t pid, tid;
};

static int cmp_waiter(const void *a, const void *b)
{
	const struct waiter *x = a, *y = b;

	if (x->lock != y->lock)
		return x->lock < y->lock ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

/* Distinct threads (or processes, where samples carry no thread) per lock. */
static size_t waiters_of(const struct waiter *w, size_t n, const char *lock)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (w[i].lock == lock && (!i || cmp_waiter(&w[i - 1], &w[i])))
			k++;
	return k;
}

void rule_locks(const struct profile *p, struct advice *a)
{
	int tc = type_index(p, "contentions", "count"), td = type_index(p, "delay", "nanoseconds");
	int tm = type_index(p, "max_delay", "nanoseconds");
	double secs = profile_secs(p);
	struct tally locks = {};
	struct waiter *w = NULL;
	size_t nw = 0, cap = 0;

	if (tc < 0 || td < 0 || secs <= 0)
		return;
	for (size_t s = 0; s < p->nsamples; s++) {
		const struct location *l = lock_frame(p, s);
		int64_t d = profile_value(p, s, td), mx = tm >= 0 ? profile_value(p, s, tm) : 0;
		struct tally_row *r;

		if (!l)
			continue;
		r = tally_add(&locks, l->name, NULL, s, (int64_t[4]){ d, profile_value(p, s, tc) });
		r->v[2] = MAX(r->v[2], mx);
		GROW(w, cap, nw + 1);
		w[nw++] = (struct waiter){ l->name, p->samples[s].pid,
					   sample_label(p, &p->samples[s])->tid };
	}
	if (nw)
		qsort(w, nw, sizeof(*w), cmp_waiter);
	tally_sort(&locks, 0);
	for (size_t i = 0; i < locks.n; i++) {
		const struct tally_row *r = &locks.rows[i];
		const char *name = r->k1;
		double share = r->v[0] / 1e9 / secs;
		const struct location *own = own_frame(p, r->sample);
		size_t nwait = waiters_of(w, nw, name);
		char ob[1024], kb[64], *title, *ev, *next;

		if (share < LOCK_WALL_SHARE)
			break;
		if (r->v[1] < LOCK_MIN_CONTENTIONS)
			continue;
		if (!strncmp(name, "lock:", 5))
			name += 5;
		if (own)
			own_path(p, r->sample, ob, sizeof(ob));
		title = strf("%s: %.3f s spent waiting for it, %.1f%% of the %.2f s run", name,
			     r->v[0] / 1e9, 100 * share, secs);
		ev = strf("%s contentions by %zu waiting thread%s, %.2f ms on average, the longest "
			  "%.2f ms; threshold %.0f%% of the run with at least %d contentions; "
			  "the heaviest waits come from %s", fmt_count(kb, sizeof(kb), r->v[1]), nwait,
			  nwait == 1 ? "" : "s", r->v[1] ? r->v[0] / 1e6 / r->v[1] : 0, r->v[2] / 1e6,
			  100 * LOCK_WALL_SHARE, LOCK_MIN_CONTENTIONS, own ? ob : "the kernel");
		if (strstr(name, "(futex)"))	/* the program's own lock */
			next = strf("shorten what is done while %s is held where it is taken (%s): "
				    "move work out of the critical section, or split the lock "
				    "(per-thread or sharded state) so that %zu threads stop queueing "
				    "on one", name,
				    own ? ob : sample_label(p, &p->samples[r->sample])->comm, nwait);
		else
			next = strf("a kernel lock taken for %s%s%s: make fewer such calls there, or "
				    "spread the work over more of what the lock guards (files, "
				    "directories, processes)", kernel_cause(p, r->sample, kb, sizeof(kb)),
				    own ? " from " : "", own ? ob : "");
		advice_add(a, "lock-contended", false, share, LOCK_WALL_SHARE, title, ev, next);
	}
	free(w);
	tally_free(&locks);
}

/* One next step per kind of wait, by the system call or the kernel frame. */
static char *wait_next(const char *why, const struct location *at, const char *own,
		       uint32_t pid)
{
	const char *k = at ? at->name : "";

	if (strstr(why, "futex") || strstr(k, "futex"))
		return strf("run profiler lock -p %u: it names the lock or condition %s waits on "
			    "and how long each wait lasts", pid, own);
	if (strstr(why, "sleep") || strstr(k, "sleep"))
		return strf("%s sleeps on purpose: if it polls, wait for the event instead "
			    "(a condition variable, eventfd, epoll) and the latency of each "
			    "round goes", own);
	if (strstr(why, "fsync") || strstr(k, "io_schedule") || strstr(k, "folio_wait") ||
	    strstr(k, "jbd2") || strstr(k, "blk"))
		return strf("%s waits for the disk: run profiler io to see the device and its "
			    "latency, and see the fsync finding if there is one", own);
	if (strstr(why, "read") || strstr(why, "recv") || strstr(why, "poll") ||
	    strstr(why, "select") || strstr(why, "accept") || strstr(why, "wait"))
		return strf("%s waits for input: if that is on a request's path, profile the "
			    "side that feeds it (the writer of the pipe or socket)", own);
	return strf("%s waits in %s: if that is on a request's path, that call is what to "
		    "shorten; a worker idle by design needs nothing", own, k);
}

/* Where thread (pid, comm) blocks the longest: a sample of it, and the time. */
static size_t top_wait(const struct profile *p, int t, const struct sample *thread, int64_t *v)
{
	struct tally w = {};
	size_t s;

	for (s = 0; s < p->nsamples; s++) {
		const struct location *at = wait_frame(p, s);
		int64_t x = profile_value(p, s, t);

		if (x > 0 && p->samples[s].pid == thread->pid &&
		    sample_label(p, &p->samples[s])->comm == sample_label(p, thread)->comm)
			tally_add(&w, at ? at->name : NULL, NULL, s, (int64_t[4]){ x });
	}
	tally_sort(&w, 0);
	s = w.rows[0].sample;	/* the thread's own sample is there: never empty */
	*v = w.rows[0].v[0];
	tally_free(&w);
	return s;
}

void rule_offcpu(const struct profile *p, struct advice *a)
{
	int t = type_index(p, "offcpu", "nanoseconds");
	double secs = profile_secs(p);
	struct tally threads = {};

	if (t < 0 || secs <= 0)
		return;
	for (size_t s = 0; s < p->nsamples; s++) {
		const struct sample *smp = &p->samples[s];
		int64_t v = profile_value(p, s, t);

		if (v > 0)
			tally_add(&threads, (void *)(uintptr_t)smp->pid, sample_label(p, smp)->comm, s,
				  (int64_t[4]){ v });
	}
	tally_sort(&threads, 0);
	for (size_t i = 0; i < threads.n && i < OFFCPU_MAX_THREADS; i++) {
		const struct tally_row *r = &threads.rows[i];
		const struct sample *smp = &p->samples[r->sample];
		double share = r->v[0] / 1e9 / secs;
		const struct location *at, *own;
		char wb[64], ob[512], ab[512], *title, *ev, *next;
		const char *why;
		int64_t topv;
		size_t top;

		if (share < OFFCPU_THREAD_SHARE)
			break;
		top = top_wait(p, t, smp, &topv);
		at = wait_frame(p, top);
		own = own_frame(p, top);
		why = kernel_cause(p, top, wb, sizeof(wb));
		if (own)
			frame_label(ob, sizeof(ob), own);
		else
			snprintf(ob, sizeof(ob), "%s", sample_label(p, smp)->comm);
		title = strf("thread %s [pid %u] is off the CPU %.0f%% of the run, mostly in %s",
			     sample_label(p, smp)->comm, smp->pid, 100 * share, why);
		ev = strf("%.3f s off-CPU in a %.2f s run (threshold %.0f%%%s); %.3f s (%.1f%%) of "
			  "it blocked in %s, from %s", r->v[0] / 1e9, secs, 100 * OFFCPU_THREAD_SHARE,
			  share > 1 ? "; over 100%: several threads of this name" : "",
			  topv / 1e9, share_pct(topv, r->v[0]),
			  at ? frame_label(ab, sizeof(ab), at) : "?", ob);
		next = wait_next(why, at, ob, smp->pid);
		advice_add(a, "offcpu-thread", false, share, OFFCPU_THREAD_SHARE, title, ev, next);
	}
	tally_free(&threads);
}

/*
 * fsync on the path: time blocked under an fsync frame as a share of the
 * run (off-CPU profiles), or disk latency of requests issued under one as
 * a share of all (block I/O profiles).  By the program's own function.
 */
void rule_fsync(const struct profile *p, struct advice *a)
{
	int t = type_index(p, "offcpu", "nanoseconds"), n;
	bool io = t < 0;
	double secs = profile_secs(p), total, share, limit;
	struct tally paths = {};
	int64_t sum = 0;

	if (io)
		t = type_index(p, "latency", "nanoseconds");
	n = type_index(p, io ? "requests" : "switches", "count");
	if (t < 0 || (!io && secs <= 0))
		return;
	total = io ? (double)profile_total(p, t) : secs * 1e9;
	limit = io ? FSYNC_IO_SHARE : FSYNC_WALL_SHARE;
	for (size_t s = 0; s < p->nsamples; s++) {
		const struct location *own;
		int64_t v = profile_value(p, s, t);

		if (v <= 0 || !(stack_has(p, s, "fsync") || stack_has(p, s, "fdatasync") ||
				stack_has(p, s, "sync_file_range")))
			continue;
		own = own_frame(p, s);
		sum += v;
		tally_add(&paths, own ? own->name : NULL, own ? own->module : NULL, s,
			  (int64_t[4]){ v, n >= 0 ? profile_value(p, s, n) : 0 });
	}
	share = total > 0 ? sum / total : 0;
	if (share >= limit && paths.n) {
		const struct tally_row *r;
		const struct location *own;
		char ob[512], cnt[64], *title, *ev, *next;

		tally_sort(&paths, 0);
		r = &paths.rows[0];
		own = own_frame(p, r->sample);
		if (own)
			frame_label(ob, sizeof(ob), own);
		else
			snprintf(ob, sizeof(ob), "%s", sample_label(p, &p->samples[r->sample])->comm);
		title = strf("fsync on the path: %s %s %.1f%% of %s under fsync", ob,
			     io ? "spends" : "is blocked", 100 * share,
			     io ? "the disk's time" : "the run");
		cnt[0] = '\0';
		if (n >= 0)
			snprintf(cnt, sizeof(cnt), " in %lld %s", (long long)r->v[1],
				 io ? "requests" : "waits");
		ev = strf("%.3f s %s under fsync/fdatasync (threshold %.0f%% of %s), %.3f s of it "
			  "from %s%s", sum / 1e9, io ? "of request latency" : "blocked",
			  100 * limit, io ? "all request latency" : "the run's wall time",
			  r->v[0] / 1e9, ob, cnt);
		next = strf("make %s sync less often: group several writes under one fsync "
			    "(a group commit), or use fdatasync when the file's metadata need not "
			    "be durable", own ? own->name : ob);
		advice_add(a, "fsync-path", false, share, limit, title, ev, next);
	}
	tally_free(&paths);
}
