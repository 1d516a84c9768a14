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
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "runtime/cgroups.h"
#include "runtime/deltas.h"
#include "runtime/entry_hold.h"
#include "runtime/load_heap.h"
#include "session/cmd_stdout.h"
#include "session/err_capture.h"
#include "runtime/mmap_watch.h"
#include "runtime/preflight.h"
#include "runtime/python.h"
#include "runtime/runtime.h"
#include "runtime/stats.h"
#include "runtime/unwind.h"
#include "session/ring_wake.h"
#include "session/run.h"
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

/* Mapping records: for the unwinder's tables and Python's interpreters */
static void on_map(void *ctx, uint32_t pid, enum mw_event what, const char *path)
{
	struct session *ss = ctx;
	struct unwinder *u = ss->unw;

	switch (what) {
	case MW_MAP:
		unwinder_mark(u, pid);
		unwinder_mark_new(u, pid);
		python_note_mapping(ss->py, pid, path);
		break;
	case MW_EXEC:	/* BPF dropped its entry */
		unwinder_forget(u, pid);
		break;
	case MW_EXIT:
		unwinder_exited(u, pid);
		break;
	case MW_LOST:
		unwinder_forget_all(u);
		break;
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
	session_core_btf_close(c);
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
		int err, nobjs;

		share(r);
		nobjs = r->rt.nobjs;
		if (r->sink->failed)
			err_capture_begin(&cap);
		err = c->col->start(c);
		if (r->sink->failed)
			err_capture_end(&cap, why, sizeof(why));
		/* the shared context learns what the collectors made */
		r->rt.no_entry_hold |= c->no_entry_hold;
		if (err && r->sink->failed && ++nfailed < r->ncols) {
			/* its objects go with it: not for --stats, nor the loop's promise */
			r->rt.nobjs = nobjs;
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
	struct timespec real;
	int sigfd = -1, stats_fd = -1, err, rc = 1, started = 0;
	uint64_t stop_begin_ns;

	if (ncols < 1 || ncols > SESSION_MAX_COLLECTORS) {
		pr_err("a session runs 1 to %d collectors, not %d", SESSION_MAX_COLLECTORS, ncols);
		free(r);
		return 1;
	}
	*ss = (struct session){ .rt = ss, .set = set, .col = cols[0], .child_go = -1,
				.child_err = -1, .ncols = ncols,
				.batching = o->batch_mappings };
	r->ncols = ncols;
	r->o = o;
	r->sink = sink;
	r->window_ns = o->window_ns;
	for (int i = 0; i < ncols; i++)
		r->cols[i] = (struct session){ .rt = ss, .set = set, .col = cols[i],
					       .child_go = -1, .child_err = -1, .index = i,
					       .keep_whole = o->whole_run || sink->want_whole };
	ss->launch_ns = now_ns();
	/*
	 * Large arrays always in mappings of their own: glibc otherwise raises
	 * its threshold to the largest block freed (up to 32 MiB), after which
	 * a growing array is copied within the heap, old and new resident at
	 * once, and what is freed stays in RSS.  The agent sets the same.
	 */
	mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD);
	bpf_setup_logging(set->verbose);
	raise_fd_limit();
	err = check_privileges();
	if (!err)
		err = check_btf();
	if (!err)
		err = check_kernel_maps();
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
	clock_gettime(CLOCK_REALTIME, &real);
	r->real_start_ns = (uint64_t)real.tv_sec * 1000000000ULL + real.tv_nsec -
			   (now_ns() - ss->start_ns);
	run_fold_start(r);
	r->batch = r->o->batch_mappings || ss->kernel_entries;
	ss->mw = mmap_watch_open(ss->cpus, ss->ncpus, ss->sym, r->batch);
	/* the parts' CPU time, a system call per look: only for --stats */
	mmap_watch_time(ss->mw, set->stats);
	if (ss->unw || ss->py)
		mmap_watch_on_map(ss->mw, on_map, ss);
	symbolizer_preload(ss->sym);
	/* every object is loaded: the loop's promise reaches each */
	r->rw = ring_wake_open(ss->objs, ss->nobjs);
	/* a front-end that batches mapping records forgoes the tables of a
	 * program's first milliseconds: nothing is urgent to it */
	ring_wake_urgent(r->rw, ss->unw && !r->batch);
	/* stopped again at its entry point, for its unwind tables */
	if (ss->child && ss->unw && !ss->no_entry_hold)
		ss->hold = entry_hold_arm(set->cmd[0], ss->child);
	/*
	 * Until its exec the command's process is a copy of ours, waiting on
	 * the pipe: its samples there (the exec's own work, 1 in 4 short
	 * runs) are named from our mappings, read now, not left [unmapped];
	 * its exec's record starts the program's own
	 */
	if (ss->child)
		symbolizer_note_process(ss->sym, ss->child);
	if (ss->child && release_child(ss))
		goto out;
	share(r);
	pr_debug("%s: loaded and attached in %.1f ms; collecting", ncols == 1 ? cols[0]->name :
		 run_front_name(r), (now_ns() - ss->launch_ns) / 1e6);

	r->from_ns = ss->start_ns;
	if (sink->started)
		sink->started(sink->ctx);
	run_wait_for_end(r, sigfd);
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
		if (run_cut_window(r, true, false, NULL) || run_cut_window(r, true, true, last))
			goto out;
	} else if (run_cut_window(r, true, false, last)) {
		goto out;
	}
	run_print_end(r, last);
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
		session_core_btf_close(&r->cols[i]);
	}
	ring_wake_close(r->rw);
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
	run_fold_free(r);
	if (sigfd >= 0)
		close(sigfd);
	if (stats_fd >= 0)
		close(stats_fd);
	if (ss->cpus != set->cpus)
		free(ss->cpus);
	free(r);
	return rc;
}
