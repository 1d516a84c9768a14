// SPDX-License-Identifier: GPL-2.0
/*
 * The loop of a session's run: wait for the end while reading what the
 * rings bring (mapping records, announcements), making tables, releasing
 * the held command and cutting windows.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "runtime/entry_hold.h"
#include "runtime/mmap_watch.h"
#include "runtime/preflight.h"
#include "runtime/python.h"
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

void run_wait_for_end(struct run *r, int sigfd)
{
	struct session *ss = &r->rt;
	const struct settings *s = ss->set;
	uint64_t deadline = s->duration > 0 ? ss->start_ns + (uint64_t)(s->duration * 1e9) : 0;
	uint64_t next_check = 0, next_window = r->window_ns ? ss->start_ns + r->window_ns : 0;
	uint64_t read_by = 0;	/* while the rings bring news: their next read */
	uint64_t news_ns = 0;	/* when a read last found something */
	uint64_t period = r->o->batch_mappings ? BATCH_READ_NS : RING_READ_NS;

	/* the loop ends within a table-making step of the deadline: tables of
	 * binaries that come after it are not made (a loaded machine's
	 * compilers held the loop for 10 s past -d 3) */
	unwinder_set_until(ss->unw, deadline);
	for (;;) {
		struct pollfd fds[3 + 64 + 2] = {	/* + 2: the sink's idle_fd, stop_fd */
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = ss->rb ? ring_buffer__epoll_fd(ss->rb) : -1, .events = POLLIN },
			{ .fd = r->o->cut_fd > 0 ? r->o->cut_fd : -1, .events = POLLIN },
		};
		uint64_t now = now_ns(), wait = 250000000ULL;
		/*
		 * Records coming: the next read is the timer's, not one wake
		 * per record (the rings' own wake-ups are left out of the
		 * poll; batched ones come only when a ring fills).  Else the
		 * first record wakes the loop, and so does each one just
		 * after an exec: the new program's libraries, mapped a
		 * fraction of a millisecond apart, each need their tables.
		 */
		int nmw = read_by && !just_after_exec(ss, now) && !r->o->batch_mappings ? 0 :
			  mmap_watch_pollfds(ss->mw, fds + 3, 64);
		int nfds = 3 + nmw;
		struct timespec ts;
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
		if (r->sink->idle && r->sink->idle_fd >= 0)
			fds[nfds++] = (struct pollfd){ .fd = r->sink->idle_fd, .events = POLLIN };
		if (r->o->stop_fd > 0)
			fds[nfds++] = (struct pollfd){ .fd = r->o->stop_fd, .events = POLLIN };
		ts = (struct timespec){ .tv_sec = wait / 1000000000ULL, .tv_nsec = wait % 1000000000ULL };
		if (ppoll(fds, nfds, &ts, NULL) < 0 && errno != EINTR)
			return;
		ss->wakeups++;
		if (r->o->stop_fd > 0 && fds[nfds - 1].revents) {
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
			unwinder_add(ss->unw, ss->child);
			python_note_process(ss->py, ss->child);
			entry_hold_release(ss->hold);
		}
		/* collectors that drain their maps as they fill (cpu) */
		for (int i = 0; i < r->ncols; i++)
			if (r->cols[i].col->tick && !r->failed[i])
				r->cols[i].col->tick(&r->cols[i]);
		if (fds[2].revents) {
			uint64_t n;

			if (read(r->o->cut_fd, &n, sizeof(n)) == sizeof(n))
				run_cut_window(r, false, false, NULL);
		}
		if (fds[0].revents) {
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
