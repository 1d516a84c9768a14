// SPDX-License-Identifier: GPL-2.0
/*
 * The loop of a session's run: wait for the end while reading what the
 * rings bring (mapping records, announcements), making tables, releasing
 * the held command and cutting windows.
 */
#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "runtime/entry_hold.h"
#include "runtime/mmap_watch.h"
#include "runtime/preflight.h"
#include "runtime/unwind.h"
#include "session/ring_wake.h"
#include "session/run.h"
#include "util/util.h"

/*
 * How long a record may wait to be read while the rings bring news, and
 * how long after a target's exec each mapping record wakes the loop while
 * the program maps its libraries: chosen by measurement
 * (docs/architecture.md, Decisions: "The loop reads the rings on a timer
 * while they bring news").
 */
#define RING_READ_NS (20 * 1000000ULL)
#define URGENT_SPAN_NS (2 * 1000000ULL)
/*
 * The same for the front-ends that batch mapping records (the agent, top):
 * on a busy machine records come at every read, so this is how often the
 * loop wakes; what waits is only names and tables for a window's end.
 */
#define BATCH_READ_NS (100 * 1000000ULL)

/* What woke the loop: each fd's tag in the epoll set. */
enum wake_src { W_SIG, W_RB, W_CUT, W_MMAP, W_IDLE, W_STOP, W_MAX };

/*
 * The loop waits in one epoll set, kept from wake to wake: ppoll set up
 * and tore down a wait on every fd at each wake (one per CPU's mapping
 * ring among them), half of its cost under churn, where the loop wakes
 * hundreds of times a second.
 */
struct waiter {
	int ep;
	int mmap_fd;		/* mmap_watch_fd: in the set, EPOLLIN only when wanted */
	bool mmap_in;
	bool no_pwait2;		/* a kernel before 5.11: ms timeouts */
};

static void waiter_add(struct waiter *w, int fd, enum wake_src tag, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u32 = tag };

	if (fd >= 0 && epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		pr_debug("the loop cannot wait on fd %d (%m): it is read at each wake-up", fd);
}

/*
 * The mapping rings in the wait or out of it, as the loop wants them now:
 * they stay in the set, with or without EPOLLIN (an EPOLL_CTL_ADD of a
 * nested epoll fd checks the whole graph of sets, and at each exec's
 * add and delete that was a fifth of the wait's cost).
 */
static void waiter_want_mmap(struct waiter *w, bool on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0, .data.u32 = W_MMAP };

	if (w->mmap_fd < 0 || on == w->mmap_in)
		return;
	if (epoll_ctl(w->ep, EPOLL_CTL_MOD, w->mmap_fd, &ev) == 0)
		w->mmap_in = on;
}

/* Wait up to wait_ns; which sources woke it, as bits of enum wake_src. */
static int waiter_wait(struct waiter *w, uint64_t wait_ns, unsigned *woke)
{
	struct epoll_event evs[W_MAX];
	struct timespec ts = { .tv_sec = wait_ns / 1000000000ULL,
			       .tv_nsec = wait_ns % 1000000000ULL };
	int n = -1;

	if (!w->no_pwait2) {
		n = epoll_pwait2(w->ep, evs, W_MAX, &ts, NULL);
		w->no_pwait2 = n < 0 && errno == ENOSYS;
	}
	if (w->no_pwait2)	/* rounded up: never a busy loop of 0 ms waits */
		n = epoll_wait(w->ep, evs, W_MAX, (int)MIN((wait_ns + 999999) / 1000000, 250));
	*woke = 0;
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++)
		*woke |= 1u << evs[i].data.u32;
	return 0;
}

/* Within URGENT_SPAN_NS of reading a target's exec: its libraries are being mapped. */
static bool just_after_exec(const struct session *ss, uint64_t now)
{
	return now < ss->exec_ns + URGENT_SPAN_NS;
}

static bool targets_gone(const struct settings *s)
{
	int alive = 0;

	if (!s->npids && !s->ntids)
		return false;
	for (int i = 0; i < s->npids; i++)
		alive += proc_alive(s->pids[i]);
	for (int i = 0; i < s->ntids; i++)
		alive += proc_alive(s->tids[i]);
	return alive == 0;
}

static void run_wait(struct run *r, int sigfd, struct waiter *wt, uint64_t deadline)
{
	struct session *ss = &r->rt;
	const struct settings *s = ss->set;
	uint64_t next_check = 0, next_window = r->window_ns ? ss->start_ns + r->window_ns : 0;
	uint64_t read_by = 0;	/* while the rings bring news: their next read */
	uint64_t news_ns = 0;	/* when a read last found something */
	uint64_t period = r->batch ? BATCH_READ_NS : RING_READ_NS;

	for (;;) {
		uint64_t now = now_ns(), wait = 250000000ULL;
		/*
		 * Records coming: the next read is the timer's, not one wake
		 * per record (the rings' own wake-ups are left out of the
		 * poll; batched ones come only when a ring fills).  Else the
		 * first record wakes the loop, and so does each one just
		 * after an exec: the new program's libraries, mapped a
		 * fraction of a millisecond apart, each need their tables.
		 */
		bool want_mmap = !read_by || just_after_exec(ss, now) || r->batch;
		unsigned woke;
		size_t got;
		int nrb;

		if (deadline) {
			if (now >= deadline) {
				ss->stop_reason = "duration reached";
				return;
			}
			wait = MIN(wait, deadline - now);
		}
		if (next_window) {
			if (now >= next_window) {
				run_cut_window(r, false, false, NULL);
				if (r->sink->want_whole && r->sink->want_whole(r->sink->ctx))
					run_cut_window(r, false, true, NULL);
				/*
				 * Late (a loaded machine, the first symbolization
				 * waiting for the kernel's symbols): the next window
				 * ends at the next boundary, not at once with an
				 * interval of nothing and rates divided by zero.
				 */
				do
					next_window += r->window_ns;
				while (next_window <= now_ns());
				continue;
			}
			wait = MIN(wait, next_window - now);
		}
		if (read_by)
			wait = read_by > now ? MIN(wait, read_by - now) : 0;
		waiter_want_mmap(wt, want_mmap);
		if (waiter_wait(wt, wait, &woke) < 0)
			return;
		ss->wakeups++;
		if (woke & (1u << W_STOP)) {
			ss->stop_reason = "stopped";
			return;
		}
		if (r->sink->idle && r->sink->idle(r->sink->ctx)) {
			ss->stop_reason = "quit";
			return;
		}
		/*
		 * Every wake reads every ring (nothing new costs a look at
		 * their heads); mappings first: a new process's announcement
		 * may follow its mmap.
		 */
		got = mmap_watch_consume(ss->mw);
		/* past -d, the rest of the round is the end's: records and
		 * announcements are read again once the probes are detached */
		if (deadline && now_ns() >= deadline)
			continue;
		if (ss->rb && (nrb = ring_buffer__consume(ss->rb)) > 0)
			got += nrb;
		if (deadline && now_ns() >= deadline)
			continue;
		/* tables of processes that mapped more code (dlopen), new ones */
		session_catch_up(ss);
		/*
		 * News: more is likely to follow (an exec's mappings, a
		 * burst of processes), read on the timer, and the BPF
		 * programs submit without waking us until then, but for an
		 * urgent record (an exec, a process without tables) when the
		 * read is further than RING_URGENT_NS; just after an exec the
		 * mapping rings are polled as well, so each library's record
		 * wakes the loop.  A read that finds nothing keeps the
		 * timer: the promise lapses only after a whole period without
		 * news.  Lapsed at each empty read, under churn it let each
		 * process's exit and the next one's fork wake the loop on
		 * their own, two of its ~5 wakes per new process.  Nothing
		 * for a period: the rings wake the loop again.
		 */
		now = now_ns();
		if (got)
			news_ns = now;
		read_by = news_ns && now < news_ns + period ? news_ns + period : 0;
		ring_wake_promise(r->rw, read_by);
		/* the command at its entry point: its tables and its Python
		 * interpreter before its first instruction */
		if (entry_hold_stopped(ss->hold)) {
			session_note_held(ss, ss->child);
			entry_hold_release(ss->hold);
		}
		/* collectors that drain their maps as they fill (cpu) */
		for (int i = 0; i < r->ncols; i++)
			if (r->cols[i].col->tick && !r->failed[i])
				r->cols[i].col->tick(&r->cols[i]);
		if (woke & (1u << W_CUT)) {
			uint64_t n;

			if (read(r->o->cut_fd, &n, sizeof(n)) == sizeof(n))
				run_cut_window(r, false, false, NULL);
		}
		if (woke & (1u << W_SIG)) {
			struct signalfd_siginfo si;

			while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo != SIGCHLD &&
				    !(r->sink->signal && r->sink->signal(r->sink->ctx, si.ssi_signo))) {
					ss->stop_reason = "interrupted";
					return;
				}
			}
		}
		if (ss->child && !ss->child_exited &&
		    waitpid(ss->child, &ss->child_status, WNOHANG) == ss->child) {
			ss->child_exited = true;
			ss->stop_reason = "command exited";
			return;
		}
		now = now_ns();
		if (now >= next_check) {
			next_check = now + 250000000ULL;
			if (targets_gone(s)) {
				ss->stop_reason = "targets exited";
				return;
			}
		}
	}
}

void run_wait_for_end(struct run *r, int sigfd)
{
	struct session *ss = &r->rt;
	const struct settings *s = ss->set;
	uint64_t deadline = s->duration > 0 ? ss->start_ns + (uint64_t)(s->duration * 1e9) : 0;
	struct waiter wt = { .ep = epoll_create1(EPOLL_CLOEXEC), .mmap_fd = mmap_watch_fd(ss->mw) };

	/* the loop ends within a table-making step of the deadline: tables of
	 * binaries that come after it are not made (a loaded machine's
	 * compilers held the loop for 10 s past -d 3) */
	unwinder_set_until(ss->unw, deadline);
	if (wt.ep < 0) {
		ss->stop_reason = "no epoll set for the wait (raise the limit on open files)";
		return;
	}
	waiter_add(&wt, sigfd, W_SIG, EPOLLIN);
	waiter_add(&wt, ss->rb ? ring_buffer__epoll_fd(ss->rb) : -1, W_RB, EPOLLIN);
	waiter_add(&wt, r->o->cut_fd > 0 ? r->o->cut_fd : -1, W_CUT, EPOLLIN);
	waiter_add(&wt, r->sink->idle ? r->sink->idle_fd : -1, W_IDLE, EPOLLIN);
	waiter_add(&wt, r->o->stop_fd > 0 ? r->o->stop_fd : -1, W_STOP, EPOLLIN);
	waiter_add(&wt, wt.mmap_fd, W_MMAP, 0);	/* waiter_want_mmap turns it on */
	run_wait(r, sigfd, &wt, deadline);
	close(wt.ep);
}
