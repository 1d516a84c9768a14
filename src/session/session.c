// SPDX-License-Identifier: GPL-2.0
/*
 * The run of one subcommand: check, start the command, let the collector
 * attach, wait for the end (duration, Ctrl-C, targets gone), collect,
 * symbolize and write.  Whatever ends the wait, what was collected is
 * written.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "runtime/entry_hold.h"
#include "runtime/mmap_watch.h"
#include "runtime/preflight.h"
#include "session/session.h"
#include "runtime/stats.h"
#include "runtime/unwind.h"
#include "output/output.h"
#include "util/util.h"

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

static int write_outputs(struct session *ss, struct profile *p, struct output *outs, int nouts,
			 bool last);

/* Collect, symbolize and write what came since from_ns; *pp gets the profile. */
static int report(struct session *ss, struct output *outs, int nouts, uint64_t from_ns,
		  bool last, struct profile **pp)
{
	struct profile *p = profile_new();
	struct timespec rt;
	uint64_t now = now_ns(), mlost;

	*pp = p;
	/* user frames as (file, offset): one location for all processes of a binary */
	p->file_of = symbolizer_file_of;
	p->file_ctx = ss->sym;
	clock_gettime(CLOCK_REALTIME, &rt);
	p->start_time_ns = (uint64_t)rt.tv_sec * 1000000000ULL + rt.tv_nsec - (now - from_ns);
	p->duration_ns = (ss->stop_ns ? ss->stop_ns : now) - from_ns;
	if (ss->col->collect(ss, p))
		return -1;
	mlost = mmap_watch_take_lost(ss->mw);
	/*
	 * The records are the whole system's: with targets, nearly all are
	 * other processes' (a busy machine filled the ring in a run of one
	 * command), and a live target's mappings are read again on a miss.
	 */
	if (ss->filter_pids || ss->filter_tids)
		pr_debug("%llu mapping records lost (ring buffer full)", (unsigned long long)mlost);
	else
		profile_add_loss(p, "mapping records lost (ring buffer full)", mlost,
				 "libraries mapped then are named only if their process was still alive");
	symbolizer_resolve(ss->sym, p);
	if (ss->set->verbose) {
		struct symbolizer_stats st;

		symbolizer_get_stats(ss->sym, &st);
		pr_debug("symbolized %zu locations in %.1f ms: %llu named, %llu unnamed, "
			 "%llu processes, %llu files (%llu with debug files), %llu symbols, "
			 "%llu JIT maps, %llu lines, %llu inlined, %llu mappings from mmap records "
			 "(%llu processes, %llu pids reused, %llu forgotten, %llu records lost); "
			 "kernel symbols from %s", p->nlocs, st.ns / 1e6,
			 (unsigned long long)st.resolved, (unsigned long long)st.unnamed,
			 (unsigned long long)st.procs, (unsigned long long)st.files_loaded,
			 (unsigned long long)st.debug_files, (unsigned long long)st.symbols,
			 (unsigned long long)st.jit_maps, (unsigned long long)st.lines,
			 (unsigned long long)st.inlined, (unsigned long long)st.mappings,
			 (unsigned long long)st.timeline_procs, (unsigned long long)st.timeline_reused,
			 (unsigned long long)st.timeline_dropped,
			 (unsigned long long)mmap_watch_lost(ss->mw),
			 st.kallsyms_cached ? "the cache" : "/proc/kallsyms");
	}
	return write_outputs(ss, p, outs, nouts, last) ? -1 : 0;
}

/* -i: one report per interval while waiting; the last, partial one comes at the end. */
static void report_interval(struct session *ss, struct output *outs, int nouts,
			    uint64_t *from_ns)
{
	struct profile *p = NULL;

	report(ss, outs, nouts, *from_ns, false, &p);
	profile_free(p);
	*from_ns = now_ns();
}

static void unwind_on_map(void *ctx, uint32_t pid)
{
	unwinder_mark(ctx, pid);
	unwinder_mark_new(ctx, pid);
}

/*
 * Processes without tables that mapped code since the last look (an exec'd
 * child, above all): their tables from the mappings their records gave,
 * before their first sample, when their binaries have rows already.
 */
static void unwind_new(struct session *ss)
{
	uint32_t *pids;
	size_t n = unwinder_take_new(ss->unw, &pids);

	for (size_t i = 0; i < n; i++) {
		size_t nmaps;
		const struct proc_map *maps = symbolizer_current_maps(ss->sym, pids[i], &nmaps);

		unwinder_set_maps(ss->unw, pids[i], maps, nmaps);
	}
}

void session_catch_up(struct session *ss)
{
	mmap_watch_consume(ss->mw);
	unwind_new(ss);
}

static void wait_for_end(struct session *ss, int sigfd, struct output *outs, int nouts,
			 uint64_t *from_ns)
{
	const struct settings *s = ss->set;
	uint64_t deadline = s->duration > 0 ? ss->start_ns + (uint64_t)(s->duration * 1e9) : 0;
	uint64_t next_check = 0, next_report = ss->interval_ns ? ss->start_ns + ss->interval_ns : 0;

	for (;;) {
		struct pollfd fds[2 + 64] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = ss->rb ? ring_buffer__epoll_fd(ss->rb) : -1, .events = POLLIN },
		};
		int nfds = 2 + mmap_watch_pollfds(ss->mw, fds + 2, 64);
		uint64_t now = now_ns();
		int timeout = 250;

		if (deadline) {
			if (now >= deadline) {
				ss->stop_reason = "duration reached";
				return;
			}
			timeout = MIN(timeout, (int)((deadline - now + 999999) / 1000000));
		}
		if (next_report) {
			if (now >= next_report) {
				report_interval(ss, outs, nouts, from_ns);
				/*
				 * Late (a loaded machine, the first symbolization
				 * waiting for the kernel's symbols): the next report
				 * comes at the next boundary, not at once with an
				 * interval of nothing and rates divided by zero.
				 */
				do
					next_report += ss->interval_ns;
				while (next_report <= now_ns());
				continue;
			}
			timeout = MIN(timeout, (int)((next_report - now + 999999) / 1000000));
		}
		if (poll(fds, nfds, timeout) < 0 && errno != EINTR)
			return;
		/* mappings first: a new process's announcement may follow its mmap */
		for (int i = 2; i < nfds; i++)
			if (fds[i].revents) {
				mmap_watch_consume(ss->mw);
				break;
			}
		if (fds[1].revents)
			ring_buffer__consume(ss->rb);
		/* tables of processes that mapped more code (dlopen) */
		unwinder_flush(ss->unw);
		unwind_new(ss);
		entry_hold_check(ss->hold, ss->unw);
		if (ss->col->tick)
			ss->col->tick(ss);
		if (fds[0].revents) {
			struct signalfd_siginfo si;

			while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo != SIGCHLD) {
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

static int write_outputs(struct session *ss, struct profile *p, struct output *outs, int nouts,
			 bool last)
{
	struct write_opts wo;

	write_opts_init(&wo, ss->set, p);
	return outputs_write(p, &wo, outs, nouts, last);
}

static void print_summary(struct session *ss, struct profile *p)
{
	const struct sample_type *t = &p->types[p->default_type];
	int64_t total = profile_total(p, p->default_type);
	char b1[64], b2[64];
	for (size_t i = 0; i < p->nlosses; i++)
		pr_warn("%s %s: %s", fmt_count(b1, sizeof(b1), p->losses[i].count),
			p->losses[i].what, p->losses[i].hint ? p->losses[i].hint : "");
	if (ss->unw) {
		struct unwinder_stats us;

		unwinder_get_stats(ss->unw, &us);
		if (us.full || us.procs_full)
			pr_warn("unwind tables full: %llu binaries and %llu processes have none, and "
				"their callers are found by frame pointers only (see --stats)",
				(unsigned long long)us.full, (unsigned long long)us.procs_full);
	}
	if (ss->set->quiet)
		return;
	fprintf(stderr, "profiler %s: %s %s, %s stacks, %.2f s (%s)\n", ss->col->name,
		fmt_value(b1, sizeof(b1), t->unit, total), strcmp(t->unit, "count") ? "" : t->name,
		fmt_count(b2, sizeof(b2), p->nsamples), p->duration_ns / 1e9,
		ss->stop_reason ? ss->stop_reason : "stopped");
	if (!total && ss->col->no_samples)
		fprintf(stderr, "profiler %s: no samples: %s\n", ss->col->name, ss->col->no_samples);
	else if (!total)
		fprintf(stderr, "profiler %s: no samples: was the target running%s?\n", ss->col->name,
			ss->set->npids || ss->set->ntids || ss->set->cmd ? " on a CPU" : "");
	if (ss->child_exited && WIFEXITED(ss->child_status) && WEXITSTATUS(ss->child_status))
		fprintf(stderr, "profiler %s: the command exited with status %d\n", ss->col->name,
			WEXITSTATUS(ss->child_status));
}

int session_run(const struct collector *col, struct settings *set)
{
	struct session ss = { .set = set, .col = col, .child_go = -1, .child_err = -1, .btf_fd = -1 };
	struct output outs[MAX_OUTPUTS + 1];
	struct profile *p = NULL;
	sigset_t mask, oldmask;
	int nouts = 0, sigfd = -1, stats_fd = -1, err, rc = 1;
	uint64_t from_ns, stop_begin_ns;

	ss.launch_ns = now_ns();
	bpf_setup_logging(set->verbose);
	raise_fd_limit();
	err = check_privileges();
	if (!err)
		err = check_btf();
	if (!err)
		err = check_targets(set);
	if (err)
		return 1;
	if (set->cpus) {
		ss.cpus = set->cpus;
		ss.ncpus = set->ncpus;
	} else if ((err = online_cpus(&ss.cpus, &ss.ncpus))) {
		pr_err("cannot read the online CPUs from /sys/devices/system/cpu/online: %s",
		       strerror(-err));
		return 1;
	}
	ss.filter_pids = set->npids > 0 || set->cmd;
	ss.filter_tids = set->ntids > 0;
	ss.follow_forks = set->cmd != NULL;

	if (outputs_open(set, col->default_format, outs, &nouts))
		goto out;

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
	if (set->cmd && (err = spawn_child(&ss, &oldmask))) {
		pr_err("cannot start '%s': %s", set->cmd[0], strerror(-err));
		goto out;
	}

	ss.sym = symbolizer_new();
	symbolizer_set_lines(ss.sym, set->lines);
	if (set->stats)
		stats_fd = stats_enable();
	if (col->start(&ss))
		goto out;
	ss.mw = mmap_watch_open(ss.cpus, ss.ncpus, ss.sym);
	if (ss.unw)
		mmap_watch_on_map(ss.mw, unwind_on_map, ss.unw);
	symbolizer_preload(ss.sym);
	ss.start_ns = now_ns();
	/* stopped again at its entry point, for its unwind tables */
	if (ss.child && ss.unw && !ss.no_entry_hold)
		ss.hold = entry_hold_arm(set->cmd[0], ss.child);
	if (ss.child && release_child(&ss))
		goto out;
	pr_debug("%s: loaded and attached in %.1f ms; collecting", col->name,
		 (ss.start_ns - ss.launch_ns) / 1e6);

	from_ns = ss.start_ns;
	wait_for_end(&ss, sigfd, outs, nouts, &from_ns);
	stop_begin_ns = now_ns();
	col->stop(&ss);
	ss.stop_ns = now_ns();
	pr_debug("%s: stopped in %.1f ms", col->name, (ss.stop_ns - stop_begin_ns) / 1e6);
	mmap_watch_consume(ss.mw);
	if (ss.rb)
		ring_buffer__consume(ss.rb);
	if (ss.first_event_ns)
		pr_debug("first sample %.1f ms after launch", (ss.first_event_ns - ss.launch_ns) / 1e6);
	if (report(&ss, outs, nouts, from_ns, true, &p))
		goto out;
	print_summary(&ss, p);
	if (set->stats)
		stats_print(&ss, stats_fd);
	rc = 0;
out:
	entry_hold_close(ss.hold);
	end_child(&ss);
	if (ss.child_go >= 0)
		close(ss.child_go);	/* an unreleased child reads EOF and exits */
	if (ss.child_err >= 0)
		close(ss.child_err);
	if (ss.child && !ss.child_exited)
		waitpid(ss.child, NULL, 0);
	col->destroy(&ss);
	if (ss.btf_fd >= 0)
		close(ss.btf_fd);
	ring_buffer__free(ss.rb);
	mmap_watch_close(ss.mw);
	unwinder_free(ss.unw);
	symbolizer_free(ss.sym);
	profile_free(p);
	outputs_close(outs, nouts);	/* a failed run leaves the old files as they were */
	if (sigfd >= 0)
		close(sigfd);
	if (stats_fd >= 0)
		close(stats_fd);
	if (ss.cpus != set->cpus)
		free(ss.cpus);
	return rc;
}
