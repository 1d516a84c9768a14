// SPDX-License-Identifier: GPL-2.0
/*
 * The run of a session: check, start the command, let every collector
 * attach, wait for the end (duration, Ctrl-C, targets gone) while cutting
 * windows, stop, and hand the last window (and the whole run) to the
 * front-end's sink.  Whatever ends the wait, what was collected reaches it.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "output/output.h"	/* fmt_value: units for the summary line */
#include "runtime/cgroups.h"
#include "runtime/deltas.h"
#include "runtime/entry_hold.h"
#include "session/cmd_stdout.h"
#include "session/err_capture.h"
#include "runtime/mmap_watch.h"
#include "runtime/preflight.h"
#include "runtime/python.h"
#include "runtime/runtime.h"
#include "runtime/stats.h"
#include "runtime/unwind.h"
#include "session/session.h"
#include "util/util.h"

/* The run: its shared runtime context, and one struct per collector. */
struct run {
	struct session rt;
	struct session cols[SESSION_MAX_COLLECTORS];
	int ncols;
	const struct session_opts *o;
	const struct session_sink *sink;
	uint64_t window_ns;
	uint64_t from_ns;	/* the current window's start */
	int index;		/* the current window's */
	bool failed[SESSION_MAX_COLLECTORS];	/* failed to start, alone (sink->failed) */
};

static int check_targets(const struct settings *s)
{
	for (int i = 0; i < s->npids; i++)
		if (!proc_alive(s->pids[i])) {
			pr_err("no process with PID %d: check it with 'ps -p %d' or 'pgrep NAME'",
			       s->pids[i], s->pids[i]);
			return -ESRCH;
		}
	for (int i = 0; i < s->ntids; i++)
		if (!proc_alive(s->tids[i])) {
			pr_err("no thread with TID %d: list threads with 'ps -T -p PID'", s->tids[i]);
			return -ESRCH;
		}
	return 0;
}

/* Fork the command stopped on a pipe, so the probes are in place before
 * its first instruction; a failed exec comes back through a second pipe. */
static int spawn_child(struct session *ss, const sigset_t *oldmask)
{
	int go[2], ex[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) || pipe2(ex, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char c;
		int e;

		sigprocmask(SIG_SETMASK, oldmask, NULL);
		close(go[1]);
		close(ex[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);	/* the profiler gave up before starting us */
		/* released: every check passed, so the note is no noise */
		cmd_stdout_apart(ss->set);
		execvp(ss->set->cmd[0], ss->set->cmd);
		e = errno;
		if (write(ex[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(ex[1]);
	ss->child = pid;
	ss->child_go = go[1];
	ss->child_err = ex[0];
	return 0;
}

static int release_child(struct session *ss)
{
	int e = 0;
	ssize_t r;

	if (write(ss->child_go, "g", 1) != 1)
		return -errno;
	close(ss->child_go);
	ss->child_go = -1;
	do {
		r = read(ss->child_err, &e, sizeof(e));
	} while (r < 0 && errno == EINTR);
	close(ss->child_err);
	ss->child_err = -1;
	if (r == sizeof(e)) {
		pr_err("cannot run '%s': %s", ss->set->cmd[0], strerror(e));
		waitpid(ss->child, NULL, 0);
		ss->child = 0;
		return -e;
	}
	return 0;
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

/* The shared scalars, as every collector's struct sees them. */
static void share(struct run *r)
{
	for (int i = 0; i < r->ncols; i++) {
		struct session *c = &r->cols[i];

		c->sym = r->rt.sym;
		c->rb = r->rt.rb;
		c->mw = r->rt.mw;
		c->unw = r->rt.unw;
		c->py = r->rt.py;
		c->child = r->rt.child;
		c->child_exited = r->rt.child_exited;
		c->child_status = r->rt.child_status;
		c->launch_ns = r->rt.launch_ns;
		c->start_ns = r->rt.start_ns;
		c->stop_ns = r->rt.stop_ns;
		c->stop_reason = r->rt.stop_reason;
	}
}

static void log_symbolizer(struct session *rt, const struct profile *p)
{
	struct symbolizer_stats st;

	symbolizer_get_stats(rt->sym, &st);
	pr_debug("symbolized %zu locations in %.1f ms: %llu named, %llu unnamed, "
		 "%llu processes, %llu files (%llu with debug files), %llu symbols, "
		 "%llu JIT maps, %llu lines, %llu inlined, %llu mappings from mmap records "
		 "(%llu processes, %llu pids reused, %llu forgotten, %llu records lost); "
		 "%llu exited processes forgotten once read; "
		 "kernel symbols from %s", p->nlocs, st.ns / 1e6,
		 (unsigned long long)st.resolved, (unsigned long long)st.unnamed,
		 (unsigned long long)st.procs, (unsigned long long)st.files_loaded,
		 (unsigned long long)st.debug_files, (unsigned long long)st.symbols,
		 (unsigned long long)st.jit_maps, (unsigned long long)st.lines,
		 (unsigned long long)st.inlined, (unsigned long long)st.mappings,
		 (unsigned long long)st.timeline_procs, (unsigned long long)st.timeline_reused,
		 (unsigned long long)st.timeline_dropped,
		 (unsigned long long)mmap_watch_lost(rt->mw),
		 (unsigned long long)st.forgotten,
		 st.kallsyms_cached ? "the cache" : "/proc/kallsyms");
}

/*
 * Whether a window's cut may forget the processes that exited before the
 * last one: not when a whole run after the windows (or on the sink's
 * asking) reads every process's samples again, nor with mem, whose allocations still outstanding when
 * their process exited are in every later window.
 */
static bool forgets_exited(const struct run *r)
{
	/* top's "the run so far" (want_whole) reads them again too */
	if (r->o->whole_run || r->sink->want_whole)
		return false;
	for (int i = 0; i < r->ncols; i++)
		if (!strcmp(r->cols[i].col->name, "mem"))
			return false;
	return true;
}

/*
 * Collect every collector's window (whole: the whole run), symbolize and
 * hand them to the sink.  The collectors are read one after another: each
 * one's windows tile its own run exactly, at boundaries a few
 * milliseconds apart from the others'.  last_out, when given, keeps the
 * profiles for the summary; else they are freed.
 */
static int cut_window(struct run *r, bool last, bool whole, struct profile **last_out)
{
	struct profile *ps[SESSION_MAX_COLLECTORS] = {};
	/* the only window of a run is its whole */
	struct session_window w = { .index = r->index, .last = last,
				    .whole = whole || (last && !r->index && r->o->whole_run),
				    .from_ns = whole ? r->rt.start_ns : r->from_ns };
	struct timespec rt;
	uint64_t now = now_ns(), mlost, cpu0 = cpu_ns_if(r->rt.set->stats);
	uint64_t mark = symbolizer_exit_mark(r->rt.sym);
	bool final, named;
	int err = 0;

	w.to_ns = r->rt.stop_ns ? r->rt.stop_ns : now;
	w.run_start_ns = r->rt.start_ns;
	clock_gettime(CLOCK_REALTIME, &rt);
	/* the records are the whole system's, lost since the last window */
	mlost = whole ? mmap_watch_lost(r->rt.mw) : mmap_watch_take_lost(r->rt.mw);
	for (int i = 0; i < r->ncols && !err; i++) {
		struct session *c = &r->cols[i];
		struct profile *p;

		if (r->failed[i])
			continue;	/* the sink gets NULL: it said why at the start */
		p = ps[i] = profile_new();

		/* user frames as (file, offset): one location for all processes of a binary */
		p->file_of = symbolizer_file_of;
		p->file_ctx = r->rt.sym;
		p->start_time_ns = (uint64_t)rt.tv_sec * 1000000000ULL + rt.tv_nsec - (now - w.from_ns);
		p->duration_ns = w.to_ns - w.from_ns;
		c->whole_run = whole;
		err = c->col->collect(c, p);
		c->whole_run = false;
		/*
		 * With targets, nearly all records are other processes' (a busy
		 * machine filled the ring in a run of one command), and a live
		 * target's mappings are read again on a miss.
		 */
		if (r->rt.filter_pids || r->rt.filter_tids)
			pr_debug("%llu mapping records lost (ring buffer full)", (unsigned long long)mlost);
		else
			profile_add_loss(p, "mapping records lost (ring buffer full)", mlost,
					 "libraries mapped then are named only if their process was still alive");
	}
	/*
	 * The announcements and mapping records of what was just read came
	 * before it (a program announces a process before it counts): handled
	 * now, a window names its frames as the whole run will.
	 */
	mmap_watch_consume(r->rt.mw);
	if (r->rt.rb)
		ring_buffer__consume(r->rt.rb);
	session_catch_up(&r->rt);
	/* a window the sink would drop is not named: a renewal's two sessions would name at once */
	named = !err && (!r->sink->wanted || r->sink->wanted(r->sink->ctx, &w));
	/* the run's last naming (a whole run after its windows comes last):
	 * what it reads per binary is not needed for writing */
	final = !err && last && (whole || !r->o->whole_run || !r->index);
	if (final && r->ncols == 1)
		symbolizer_last_naming(r->rt.sym);
	for (int i = 0; i < r->ncols && named; i++) {
		if (!ps[i])
			continue;
		symbolizer_resolve(r->rt.sym, ps[i]);
		cgroups_label(r->rt.cg, ps[i]);
		if (r->rt.set->verbose)
			log_symbolizer(&r->rt, ps[i]);
	}
	if (final)
		symbolizer_release(r->rt.sym);
	if (!err && forgets_exited(r))
		session_forget_exited(&r->rt, mark);
	pr_debug("window %d%s: collected and symbolized in %.1f ms", r->index + 1,
		 whole ? " (whole run)" : "", (now_ns() - now) / 1e6);
	if (named)
		err = r->sink->window(r->sink->ctx, ps, r->ncols, &w);
	for (int i = 0; i < r->ncols; i++) {
		if (!err && r->sink->keep)
			continue;	/* the sink's now */
		if (last_out && !err)
			last_out[i] = ps[i];
		else
			profile_free(ps[i]);
	}
	r->rt.window_ns += cpu_ns_if(r->rt.set->stats) - cpu0;
	session_heap_report();
	if (!whole) {
		/*
		 * The next window begins where this one's maps were read, not
		 * after symbolizing and writing: windows tile the run, and a
		 * slow cut does not shorten the next one's stated duration.
		 */
		r->from_ns = w.to_ns;
		r->index++;
	}
	return err ? -1 : 0;
}

static void unwind_on_map(void *ctx, uint32_t pid, enum mw_event what)
{
	switch (what) {
	case MW_MAP:
		unwinder_mark(ctx, pid);
		unwinder_mark_new(ctx, pid);
		break;
	case MW_EXEC:	/* BPF dropped its entry */
	case MW_EXIT:
		unwinder_forget(ctx, pid);
		break;
	case MW_LOST:
		unwinder_forget_all(ctx);
		break;
	}
}

static void wait_for_end(struct run *r, int sigfd)
{
	struct session *ss = &r->rt;
	const struct settings *s = ss->set;
	uint64_t deadline = s->duration > 0 ? ss->start_ns + (uint64_t)(s->duration * 1e9) : 0;
	uint64_t next_check = 0, next_window = r->window_ns ? ss->start_ns + r->window_ns : 0;

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
		int nmw = mmap_watch_pollfds(ss->mw, fds + 3, 64), nfds = 3 + nmw;
		uint64_t now = now_ns();
		int timeout = 250;

		if (deadline) {
			if (now >= deadline) {
				ss->stop_reason = "duration reached";
				return;
			}
			timeout = MIN(timeout, (int)((deadline - now + 999999) / 1000000));
		}
		if (next_window) {
			if (now >= next_window) {
				cut_window(r, false, false, NULL);
				if (r->sink->want_whole && r->sink->want_whole(r->sink->ctx))
					cut_window(r, false, true, NULL);
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
			timeout = MIN(timeout, (int)((next_window - now + 999999) / 1000000));
		}
		if (r->sink->idle && r->sink->idle_fd >= 0)
			fds[nfds++] = (struct pollfd){ .fd = r->sink->idle_fd, .events = POLLIN };
		if (r->o->stop_fd > 0)
			fds[nfds++] = (struct pollfd){ .fd = r->o->stop_fd, .events = POLLIN };
		if (poll(fds, nfds, timeout) < 0 && errno != EINTR)
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
		/* mappings first: a new process's announcement may follow its mmap */
		for (int i = 3; i < 3 + nmw; i++)
			if (fds[i].revents || r->o->batch_mappings) {
				mmap_watch_consume(ss->mw);
				break;
			}
		/* past -d, the rest of the round is the end's: records and
		 * announcements are read again once the probes are detached */
		if (deadline && now_ns() >= deadline)
			continue;
		if (fds[1].revents)
			ring_buffer__consume(ss->rb);
		if (deadline && now_ns() >= deadline)
			continue;
		/* tables of processes that mapped more code (dlopen), new ones */
		session_catch_up(ss);
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
				cut_window(r, false, false, NULL);
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

static void end_child(struct session *ss)
{
	if (!ss->child || ss->child_exited)
		return;
	/* We stopped first (duration, Ctrl-C): the command is ours to end. */
	kill(ss->child, SIGTERM);
	for (int i = 0; i < 40; i++) {
		if (waitpid(ss->child, &ss->child_status, WNOHANG) == ss->child) {
			ss->child_exited = true;
			return;
		}
		usleep(50000);
	}
	kill(ss->child, SIGKILL);
	waitpid(ss->child, &ss->child_status, 0);
	ss->child_exited = true;
}

/* Losses and one line per collector on stderr. */
static void print_summary(struct session *rt, const struct session *ss, struct profile *p)
{
	const struct sample_type *t = &p->types[p->default_type];
	int64_t total = profile_total(p, p->default_type);
	char b1[64], b2[64];

	for (size_t i = 0; i < p->nlosses; i++)
		if (p->losses[i].count)
			pr_warn("%s%s%s %s: %s", rt == ss ? "" : ss->col->name, rt == ss ? "" : ": ",
				fmt_count(b1, sizeof(b1), p->losses[i].count), p->losses[i].what,
				p->losses[i].hint ? p->losses[i].hint : "");
	if (rt->set->quiet)
		return;
	/* the type's name after its value: "12.7 KiB inuse_space", "1,331 samples" */
	fprintf(stderr, "profiler %s: %s %s, %s stacks, %.2f s (%s)\n", ss->col->name,
		fmt_value(b1, sizeof(b1), t->unit, total), t->name,
		fmt_count(b2, sizeof(b2), p->nsamples), p->duration_ns / 1e9,
		rt->stop_reason ? rt->stop_reason : "stopped");
	if (rt != ss)
		return;		/* several collectors: one finding nothing is no news */
	/* a default value of 0 beside others that are not (mem: everything
	 * allocated was freed) is an answer, not a run that saw nothing */
	for (int i = 0; !total && i < 2 * p->ntypes; i++) {
		const struct sample_type *o = &p->types[i % p->ntypes];
		int64_t other = profile_total(p, i % p->ntypes);

		/* one of the same unit first: alloc_space for inuse_space */
		if (!other || (i < p->ntypes && strcmp(o->unit, t->unit)))
			continue;
		fprintf(stderr, "profiler %s: %s is 0, but %s is %s: --value %s shows it\n",
			ss->col->name, t->name, o->name, fmt_value(b1, sizeof(b1), o->unit, other),
			o->name);
		return;
	}
	if (!total && ss->col->no_samples)
		fprintf(stderr, "profiler %s: no samples: %s\n", ss->col->name, ss->col->no_samples);
	else if (!total)
		fprintf(stderr, "profiler %s: no samples: was the target running%s?\n", ss->col->name,
			rt->set->npids || rt->set->ntids || rt->set->cmd ? " on a CPU" : "");
}

/* Who speaks for several collectors in messages: top, agent or record. */
static const char *front_name(const struct run *r)
{
	return r->o->front ? r->o->front : "record";
}

static void print_end(struct run *r, struct profile **ps)
{
	struct session *rt = &r->rt;

	for (int i = 0; i < r->ncols; i++)
		if (ps[i])	/* none when the sink keeps them */
			print_summary(r->ncols == 1 ? &r->cols[0] : rt, &r->cols[i], ps[i]);
	if (rt->unw) {
		struct unwinder_stats us;

		unwinder_get_stats(rt->unw, &us);
		if (us.full || us.procs_full)
			pr_warn("no unwind table for %llu binaries and %llu processes (the table slots are full): "
				"their callers are found by frame pointers only (see --stats)",
				(unsigned long long)us.full, (unsigned long long)us.procs_full);
	}
	if (!rt->set->quiet && rt->child_exited && WIFEXITED(rt->child_status) &&
	    WEXITSTATUS(rt->child_status))
		fprintf(stderr, "profiler %s: the command exited with status %d\n",
			r->ncols == 1 ? r->cols[0].col->name : front_name(r), WEXITSTATUS(rt->child_status));
}

/*
 * A collector that failed to start, alone: what it wrote in the shared
 * ring is read while it still exists, then it is freed (its programs
 * detached), so that nothing of it runs on; the shared runtime it made
 * (ring, unwinder) stays.
 */
static void fail_alone(struct run *r, int i, const char *why)
{
	struct session *c = &r->cols[i];

	if (r->rt.rb)
		ring_buffer__consume(r->rt.rb);
	/* destroy, as after a failed start: stop() expects a started one */
	c->col->destroy(c);
	if (c->btf_fd >= 0)
		close(c->btf_fd);
	c->btf_fd = -1;
	r->failed[i] = true;
	r->sink->failed(r->sink->ctx, i, why[0] ? why : "failed to start (see the messages "
			"after the exit)");
}

/* Start each collector with its own struct; the helpers fill the shared one. */
static int start_collectors(struct run *r)
{
	int nfailed = 0;

	for (int i = 0; i < r->ncols; i++) {
		struct session *c = &r->cols[i];
		struct err_capture cap;
		char why[256];
		int err;

		share(r);
		if (r->sink->failed)
			err_capture_begin(&cap);
		err = c->col->start(c);
		if (r->sink->failed)
			err_capture_end(&cap, why, sizeof(why));
		/* the shared context learns what the collectors made */
		r->rt.no_entry_hold |= c->no_entry_hold;
		if (err && r->sink->failed && ++nfailed < r->ncols) {
			fail_alone(r, i, why);
			continue;
		}
		if (c->interval_ns && (!r->window_ns || c->interval_ns < r->window_ns) &&
		    !r->o->window_ns)
			r->window_ns = c->interval_ns;
		if (err)
			return err;
		/*
		 * The run begins with the first collector attached, not after
		 * the last one and the symbolizer's start: under load those take
		 * seconds, whose samples and waits (the threads parked asleep at
		 * offcpu's start) the first window would count against a
		 * shorter time: top showed a thread off the CPU 175% of it.
		 */
		if (!r->rt.start_ns)
			r->rt.start_ns = now_ns();
	}
	return 0;
}

int session_run(const struct collector *const *cols, int ncols, struct settings *set,
		const struct session_opts *o, const struct session_sink *sink)
{
	struct run *r = xcalloc(1, sizeof(*r));
	struct session *ss = &r->rt;
	struct profile *last[SESSION_MAX_COLLECTORS] = {};
	sigset_t mask, oldmask;
	int sigfd = -1, stats_fd = -1, err, rc = 1, started = 0;
	uint64_t stop_begin_ns;

	if (ncols < 1 || ncols > SESSION_MAX_COLLECTORS) {
		pr_err("a session runs 1 to %d collectors, not %d", SESSION_MAX_COLLECTORS, ncols);
		free(r);
		return 1;
	}
	*ss = (struct session){ .rt = ss, .set = set, .col = cols[0], .child_go = -1,
				.child_err = -1, .btf_fd = -1 };
	r->ncols = ncols;
	r->o = o;
	r->sink = sink;
	r->window_ns = o->window_ns;
	for (int i = 0; i < ncols; i++)
		r->cols[i] = (struct session){ .rt = ss, .set = set, .col = cols[i], .btf_fd = -1,
					       .child_go = -1, .child_err = -1, .index = i,
					       .keep_whole = o->whole_run || sink->want_whole };
	ss->launch_ns = now_ns();
	/*
	 * Large arrays always in mappings of their own: glibc otherwise raises
	 * its threshold to the largest block freed (up to 32 MiB), after which
	 * a growing array is copied within the heap, old and new resident at
	 * once, and what is freed stays in RSS.  The agent sets the same.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 << 10);
	bpf_setup_logging(set->verbose);
	raise_fd_limit();
	err = check_privileges();
	if (!err)
		err = check_btf();
	if (!err)
		err = check_targets(set);
	if (!err)
		err = cgroups_open(set, &ss->cg);
	if (err)
		goto out;
	if (set->cpus) {
		ss->cpus = set->cpus;
		ss->ncpus = set->ncpus;
	} else if ((err = online_cpus(&ss->cpus, &ss->ncpus))) {
		pr_err("cannot read the online CPUs from /sys/devices/system/cpu/online: %s",
		       strerror(-err));
		goto out;
	}
	ss->filter_pids = set->npids > 0 || set->cmd;
	ss->filter_tids = set->ntids > 0;
	ss->follow_forks = set->cmd != NULL;
	for (int i = 0; i < ncols; i++) {
		r->cols[i].cpus = ss->cpus;
		r->cols[i].ncpus = ss->ncpus;
		r->cols[i].filter_pids = ss->filter_pids;
		r->cols[i].filter_tids = ss->filter_tids;
		r->cols[i].follow_forks = ss->follow_forks;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &oldmask);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0) {
		pr_err("signalfd: %s", strerror(errno));
		goto out;
	}
	if (set->cmd && (err = spawn_child(ss, &oldmask))) {
		pr_err("cannot start '%s': %s", set->cmd[0], strerror(-err));
		goto out;
	}

	ss->sym = symbolizer_new();
	symbolizer_set_lines(ss->sym, set->lines);
	symbolizer_set_debuginfod(ss->sym, !set->no_debuginfod);
	if (set->stats)
		stats_fd = stats_enable();
	started = ncols;
	if (start_collectors(r))
		goto out;
	ss->mw = mmap_watch_open(ss->cpus, ss->ncpus, ss->sym, r->o->batch_mappings);
	/* the parts' CPU time, a system call per look: only for --stats */
	mmap_watch_time(ss->mw, set->stats);
	if (ss->unw)
		mmap_watch_on_map(ss->mw, unwind_on_map, ss->unw);
	symbolizer_preload(ss->sym);
	/* stopped again at its entry point, for its unwind tables */
	if (ss->child && ss->unw && !ss->no_entry_hold)
		ss->hold = entry_hold_arm(set->cmd[0], ss->child);
	if (ss->child && release_child(ss))
		goto out;
	share(r);
	pr_debug("%s: loaded and attached in %.1f ms; collecting", ncols == 1 ? cols[0]->name :
		 front_name(r), (now_ns() - ss->launch_ns) / 1e6);

	r->from_ns = ss->start_ns;
	if (sink->started)
		sink->started(sink->ctx);
	wait_for_end(r, sigfd);
	share(r);
	stop_begin_ns = now_ns();
	for (int i = 0; i < ncols; i++)
		if (!r->failed[i])
			cols[i]->stop(&r->cols[i]);
	ss->stop_ns = now_ns();
	if (sink->stopped)
		sink->stopped(sink->ctx);
	share(r);
	pr_debug("stopped in %.1f ms", (ss->stop_ns - stop_begin_ns) / 1e6);
	mmap_watch_consume(ss->mw);
	if (ss->rb)
		ring_buffer__consume(ss->rb);
	if (ss->first_event_ns)
		pr_debug("first sample %.1f ms after launch", (ss->first_event_ns - ss->launch_ns) / 1e6);
	if (o->whole_run && r->index > 0) {
		if (cut_window(r, true, false, NULL) || cut_window(r, true, true, last))
			goto out;
	} else if (cut_window(r, true, false, last)) {
		goto out;
	}
	print_end(r, last);
	if (set->stats)
		stats_print(ss, stats_fd);
	if (set->stats && set->verbose)
		pr_debug("windows: %d cut, %zu loss counters remembered", r->index,
			 deltas_size(ss->drops));
	rc = 0;
out:
	entry_hold_close(ss->hold);
	end_child(ss);
	if (ss->child_go >= 0)
		close(ss->child_go);	/* an unreleased child reads EOF and exits */
	if (ss->child_err >= 0)
		close(ss->child_err);
	if (ss->child && !ss->child_exited)
		waitpid(ss->child, NULL, 0);
	for (int i = 0; i < started; i++) {
		if (r->failed[i])
			continue;	/* destroyed when it failed */
		share(r);
		cols[i]->destroy(&r->cols[i]);
		if (r->cols[i].btf_fd >= 0)
			close(r->cols[i].btf_fd);
	}
	ring_buffer__free(ss->rb);
	mmap_watch_close(ss->mw);
	unwinder_free(ss->unw);
	pyrt_free(ss->py);
	symbolizer_free(ss->sym);
	deltas_free(ss->drops);
	announced_free(ss->announced);
	cgroups_free(ss->cg);
	for (int i = 0; i < ncols; i++)
		profile_free(last[i]);
	if (sigfd >= 0)
		close(sigfd);
	if (stats_fd >= 0)
		close(stats_fd);
	if (ss->cpus != set->cpus)
		free(ss->cpus);
	free(r);
	return rc;
}
