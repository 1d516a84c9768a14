// SPDX-License-Identifier: GPL-2.0
/*
 * profiler lock: which locks threads queue on, for how long, from where.
 * Kernel locks through lock:contention_begin/end, user-space locks through
 * futex(2) waits that slept; summed in the kernel per (lock, stacks,
 * thread, owner).  Each sample carries its lock as a FRAME_GROUP frame
 * "lock:NAME (TYPE)", so every writer shows it without knowing locks.
 */
#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lock.h"
#include "lock.skel.h"
#include "cli/args.h"
#include "collectors/collector.h"
#include "collectors/futex_kind.h"
#include "collectors/lock_graph.h"
#include "collectors/lock_names.h"
#include "runtime/deltas.h"
#include "runtime/blocked_threads.h"
#include "runtime/load_heap.h"
#include "runtime/python.h"
#include "runtime/runtime.h"
#include "runtime/stack_prune.h"
#include "util/util.h"

enum { BY_LOCK, BY_STACK, BY_TASK };

struct lock_state {
	struct lock_bpf *skel;
	bool raw_tp;			/* attached as raw_tp: tp_btf refused or --raw-tp */
	struct bpf_link *links[6];
	int nlinks;
	struct lock_names *names;	/* futexes named while their processes lived */
	struct blocked *blocked;	/* threads in a futex wait at the start and the end */
	bool ended;			/* the end's look was taken */
	uint64_t stop_ns;
	struct deltas *windows;		/* counts handed over so far, per key */
	struct stack_prune *prune;	/* user stacks to delete once their process exits */
};

static const struct option lock_longopts[] = {
	{ "kernel", no_argument, NULL, 'K' },
	{ "user", no_argument, NULL, 'U' },
	{ "by", required_argument, NULL, 1101 },
	{ "kind", required_argument, NULL, 1104 },
	{ "max-stacks", required_argument, NULL, 1102 },
	{ "raw-tp", no_argument, NULL, 1103 },	/* hidden: test the fallback */
	{ NULL, 0, NULL, 0 },
};

static int lock_parse(struct settings *s, int opt, const char *arg)
{
	static const char *const by[] = { "lock", "stack", "task" };

	switch (opt) {
	case 'K':
		s->lock_kernel = true;
		return 0;
	case 'U':
		s->lock_user = true;
		return 0;
	case 1101:
		for (int i = 0; i < 3; i++)
			if (!strcmp(arg, by[i])) {
				s->lock_by = i;
				return 0;
			}
		pr_err("invalid --by '%s': choose lock, stack or task", arg);
		return -EINVAL;
	case 1102:
		return parse_max_stacks(s, arg);
	case 1103:
		s->lock_raw_tp = true;
		return 0;
	case 1104:
		return wait_kinds_parse(arg, &s->lock_kinds);
	}
	return -EINVAL;
}

static int lock_validate(struct settings *s)
{
	if (s->lock_kernel && s->lock_user) {
		pr_err("--kernel and --user exclude each other: give one, or neither for both");
		return -EINVAL;
	}
	if (!s->lock_kinds)
		s->lock_kinds = WAIT_CONTENTION;
	if (getenv("PROFILER_LOCK_RAW_TP"))
		s->lock_raw_tp = true;
	return 0;
}

/* ---- futex names, taken while the process lives ------------------------- */

static int on_lock_event(void *ctx, void *data, size_t size)
{
	const struct futex_note *e = data;

	if (size >= sizeof(*e))
		lock_names_remember(ctx, e->pid, e->addr);
	return 0;
}

/* ---- load and attach ---------------------------------------------------- */

static int open_and_load(struct session *ss, struct lock_state *st, bool raw_tp)
{
	const struct settings *s = ss->set;
	bool kernel = !s->lock_user, user = !s->lock_kernel;
	double secs = s->duration > 0 ? s->duration : 60;
	struct lock_bpf *skel;
	int err;

	skel = SKEL_OPEN(ss, lock);
	if (!skel)
		return -errno;
	st->skel = skel;
	skel->rodata->filter_pids = ss->filter_pids;
	skel->rodata->leaf_fix = session_leaf_fix(ss);
	skel->rodata->cfi_unwind = session_unwind_prepare(ss, skel->maps.unw_rows, skel->maps.unw_procs);
	skel->rodata->max_depth = session_stack_depth(ss, skel->maps.stacks_deep,
								 skel->maps.stacks_spill);
	skel->rodata->python_frames = session_python_prepare(ss, skel->obj);
	skel->rodata->filter_tids = ss->filter_tids;
	skel->rodata->filter_cgroups = session_cgroup_prepare(ss, skel->maps.cgroup_targets);
	skel->rodata->futex_nr = SYS_futex;
	bpf_map__set_max_entries(skel->maps.waits, s->max_stacks ? s->max_stacks :
				 map_size(secs * 1000, 16384, 262144));
	session_stacks_max(skel->maps.stacks, skel->maps.stacks_deep,
			   s->max_stacks ? 2 * s->max_stacks : map_size(secs * 2000, 16384, 1 << 20));
	bpf_program__set_autoload(skel->progs.lock_begin_btf, kernel && !raw_tp);
	bpf_program__set_autoload(skel->progs.lock_end_btf, kernel && !raw_tp);
	bpf_program__set_autoload(skel->progs.lock_begin_raw, kernel && raw_tp);
	bpf_program__set_autoload(skel->progs.lock_end_raw, kernel && raw_tp);
	bpf_program__set_autoload(skel->progs.futex_enter, user);
	bpf_program__set_autoload(skel->progs.futex_exit, user);
	bpf_program__set_autoload(skel->progs.follow_fork, ss->follow_forks);
	err = skel_load(skel->skeleton);
	if (err) {
		lock_bpf__destroy(skel);
		st->skel = NULL;
	}
	st->raw_tp = raw_tp;
	return err;
}

static int attach(struct lock_state *st, struct bpf_program *prog, const char *what)
{
	struct bpf_link *l;

	if (!bpf_program__autoload(prog))
		return 0;
	l = bpf_program__attach(prog);
	if (!l)
		return bpf_explain(what, -errno);
	st->links[st->nlinks++] = l;
	return 0;
}

static int lock_start(struct session *ss)
{
	const struct settings *s = ss->set;
	struct lock_state *st = xcalloc(1, sizeof(*st));
	struct lock_bpf *skel;
	int err;

	ss->priv = st;
	st->prune = stack_prune_new();
	st->names = lock_names_new();
	err = open_and_load(ss, st, s->lock_raw_tp || s->lock_user);
	if (err && !s->lock_raw_tp && !s->lock_user) {
		/* BTF-typed tracing refused (older kernel, lockdown): raw_tp has the same arguments */
		pr_debug("tp_btf refused (%s): using raw_tp for lock:contention_*", strerror(-err));
		err = open_and_load(ss, st, true);
	}
	if (err)
		return bpf_explain("loading the BPF programs", err);
	skel = st->skel;
	session_add_object(ss, skel->obj);
	err = session_attach_targets(ss, skel->maps.targets, skel->maps.proc_events,
				     skel->progs.follow_fork, &skel->links.follow_fork,
				     skel->progs.proc_exec, &skel->links.proc_exec);
	if (err)
		return err;
	err = ring_buffer__add(ss->rb, bpf_map__fd(skel->maps.lock_events), on_lock_event, st->names);
	if (err)
		return bpf_explain("opening the lock ring buffer", err);
	if ((err = attach(st, skel->progs.lock_begin_btf, "attaching lock:contention_begin")) ||
	    (err = attach(st, skel->progs.lock_end_btf, "attaching lock:contention_end")) ||
	    (err = attach(st, skel->progs.lock_begin_raw, "attaching lock:contention_begin")) ||
	    (err = attach(st, skel->progs.lock_end_raw, "attaching lock:contention_end")) ||
	    (err = attach(st, skel->progs.futex_exit, "attaching raw_syscalls:sys_exit")) ||
	    (err = attach(st, skel->progs.futex_enter, "attaching raw_syscalls:sys_enter")))
		return err;
	/* futex waits that began before the run: parked in uwaits as if they
	 * began now, so that sys_exit ends them, or the end does */
	if (!s->lock_kernel) {
		const struct blocked_list *l;

		st->blocked = blocked_open(ss, skel->obj, BLOCKED_MODE_LOCK);
		blocked_scan(st->blocked, true);
		l = blocked_at_start(st->blocked);
		for (size_t i = 0; l && i < l->n; i++)
			if (l->v[i].rec.lock_flags)
				lock_names_remember(st->names, l->v[i].rec.pid,
						    l->v[i].rec.args[0]);
	}
	if (s->verbose)
		pr_debug("lock: %s%s", s->lock_user ? "" : st->raw_tp ?
			 "kernel locks via raw_tp, " : "kernel locks via tp_btf, ",
			 s->lock_kernel ? "no futexes" : "futexes via raw_syscalls");
	return 0;
}

static void lock_stop(struct session *ss)
{
	struct lock_state *st = ss->priv;

	if (!st)
		return;
	for (int i = 0; i < st->nlinks; i++)
		bpf_link__destroy(st->links[i]);
	st->nlinks = 0;
	if (!st->ended) {
		st->ended = true;
		st->stop_ns = now_ns();
		blocked_scan(st->blocked, false);
	}
}

/* ---- collect ------------------------------------------------------------ */

/* The name of thread tid of process pid (its comm), false if it is no thread of pid. */
static bool thread_of(uint32_t pid, uint32_t tid, char *comm, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/task/%u/comm", pid, tid);
	return read_line(path, comm, size);
}

/*
 * A futex owner read from the mutex word is only glibc's layout guessed
 * at: believe it when it names a thread of the waiter's process.
 */
static void check_owner(struct lock_key *k)
{
	if (!(k->flags & LOCK_F_FUTEX) || !k->owner)
		return;
	if (k->owner == k->tid || !thread_of(k->pid, k->owner, k->owner_comm, sizeof(k->owner_comm)))
		k->owner = 0;
}

static void waits_add(int fd, const struct lock_key *key, uint64_t delta)
{
	struct lock_stat v = {};

	if (bpf_map_lookup_elem(fd, key, &v)) {
		v.max_ns = 0;
		v.count = v.total_ns = 0;
	}
	v.count++;
	v.total_ns += delta;
	if (delta > v.max_ns)
		v.max_ns = delta;
	bpf_map_update_elem(fd, key, &v, BPF_ANY);
}

/*
 * Futex waits still going on at the end (begun in the run, or parked from
 * the start): their time so far counts, with the stack the end's look took,
 * and each on a mutex with a known owner is an edge of the wait graph.
 */
static void add_pending(struct lock_state *st, struct lock_graph *g, bool whole)
{
	int uw_fd = bpf_map__fd(st->skel->maps.uwaits);
	int waits_fd = bpf_map__fd(st->skel->maps.waits);
	const struct blocked_list *end = blocked_at_end(st->blocked);
	__u32 tid, *prev = NULL;
	struct lock_uwait w;

	while (!bpf_map_get_next_key(uw_fd, prev, &tid)) {
		const struct blocked_thread *t = blocked_find(end, tid);
		struct lock_key key = {};
		const char *name;

		prev = &tid;
		if (!t || bpf_map_lookup_elem(uw_fd, &tid, &w) || w.ts > st->stop_ns)
			continue;	/* not seen blocked at the end: its process is unknown */
		key.addr = w.addr;
		key.flags = w.flags;
		key.owner = w.owner;
		key.pid = t->rec.pid;
		key.tid = tid;
		key.user_stack = t->rec.user_stack;
		key.life = t->rec.life;	/* named from the program that waits */
		memcpy(key.comm, t->rec.comm, sizeof(key.comm));
		/* once: the whole run's collect after the last window reads it */
		if (!whole)
			waits_add(waits_fd, &key, st->stop_ns - w.ts);
		lock_names_remember(st->names, key.pid, key.addr);
		check_owner(&key);
		if (key.owner) {
			struct lock_edge e = { .pid = key.pid, .tid = tid, .owner = key.owner };

			memcpy(e.comm, key.comm, sizeof(e.comm));
			name = lock_names_futex(st->names, key.pid, key.addr);
			if (name && name[0] != '[')
				snprintf(e.lock, sizeof(e.lock), "%s", name);
			else
				snprintf(e.lock, sizeof(e.lock), "%s0x%llx", name ? name : "",
					 (unsigned long long)key.addr);
			lock_graph_add(g, &e);
		}
	}
}

/*
 * The kind of each futex wait, from its user stack: the stacks go into a
 * profile of their own, named by the session's symbolizer (which keeps
 * what it read for the real profile), so that a wait that is no
 * contention can be left out before any sample is made.
 */
static enum wait_kind *classify(struct session *ss, const struct stack_maps *sm,
				const struct lock_key *keys, size_t n, struct profile *p)
{
	enum wait_kind *kinds = xcalloc(n ? n : 1, sizeof(*kinds));
	struct profile *tmp = profile_new();
	size_t *sample = xcalloc(n ? n : 1, sizeof(*sample));
	uint32_t ids[2 * MAX_STACK_DEPTH + 4];

	profile_add_type(tmp, "waits", "count");
	for (size_t i = 0; i < n; i++) {
		uint32_t nids = 0;

		if (!(keys[i].flags & LOCK_F_FUTEX))
			continue;
		session_add_stack(tmp, sm, keys[i].user_stack, FRAME_USER, keys[i].pid, keys[i].life, true,
				  ids, &nids);
		sample[i] = profile_add_sample(tmp, ids, nids, keys[i].pid, keys[i].tid, "",
					       (int64_t[]){ 1 });
	}
	symbolizer_resolve(ss->sym, tmp);
	for (size_t i = 0; i < n; i++) {
		const struct sample *smp;

		if (!(keys[i].flags & LOCK_F_FUTEX)) {
			kinds[i] = WAIT_KERNEL;
			continue;
		}
		smp = &tmp->samples[sample[i]];
		kinds[i] = futex_wait_kind(tmp, profile_sample_frames(tmp, sample[i]), smp->nframes,
					   keys[i].flags);
	}
	/* found while naming these stacks: the real profile's to report */
	for (size_t i = 0; i < tmp->nlosses; i++)
		profile_add_loss(p, tmp->losses[i].what, tmp->losses[i].count, tmp->losses[i].hint);
	profile_free(tmp);
	free(sample);
	return kinds;
}

/* Every kind of wait seen, and whether this profile shows it. */
static void kinds_table(const struct settings *s, struct profile *p, const uint64_t *waits,
			const uint64_t *ns)
{
	static const char *const cols[] = { "kind", "contention", "waits", "delay", "shown" };
	char hidden[256] = "", c1[32], c2[32];
	uint64_t hidden_ns = 0;
	size_t t = SIZE_MAX;

	for (int k = 0; k < WAIT_NKINDS; k++) {
		bool shown = s->lock_kinds & WAIT_BIT(k);

		if (!waits[k])
			continue;
		if (t == SIZE_MAX)
			t = profile_add_table(p, "Kinds of wait", 5, cols);
		fmt_count(c1, sizeof(c1), waits[k]);
		fmt_value(c2, sizeof(c2), "nanoseconds", ns[k]);
		profile_table_row(p, t, (const char *const[]){
			wait_kind_name(k), WAIT_CONTENTION & WAIT_BIT(k) ? "yes" : "no: an event",
			c1, c2, shown ? "yes" : "no (--kind)" });
		if (!shown) {
			hidden_ns += ns[k];
			snprintf(hidden + strlen(hidden), sizeof(hidden) - strlen(hidden), "%s%s",
				 hidden[0] ? ", " : "", wait_kind_name(k));
		}
	}
	if (hidden_ns && !s->quiet)
		fprintf(stderr, "profiler lock: %.3f s of %s waits not shown: they wait for an "
			"event, not for a lock (--kind all shows them)\n", hidden_ns / 1e9, hidden);
}

static int lock_collect(struct session *ss, struct profile *p)
{
	const struct settings *s = ss->set;
	struct lock_state *st = ss->priv;
	int fd = bpf_map__fd(st->skel->maps.waits);
	struct lock_key *keys = NULL;
	struct lock_stat *vals = NULL;
	uint32_t ids[2 * MAX_STACK_DEPTH + 4];
	uint64_t kwaits[WAIT_NKINDS] = {}, kns[WAIT_NKINDS] = {};
	enum wait_kind *kinds;
	struct stack_maps sm;
	struct lock_graph graph = {};
	char label[512], task[64];
	bool forget = session_may_forget(ss);
	uint64_t mark;
	long n;
	int maxt;

	profile_add_type(p, "contentions", "count");
	profile_add_type(p, "delay", "nanoseconds");
	maxt = profile_add_type(p, "max_delay", "nanoseconds");
	p->combine[maxt] = COMBINE_MAX;
	p->default_type = 1;
	snprintf(label, sizeof(label), "lock contention: %s%s%s",
		 s->lock_user ? "" : st->raw_tp ? "kernel locks (raw_tp)" : "kernel locks (tp_btf)",
		 !s->lock_user && !s->lock_kernel ? " + " : "",
		 s->lock_kernel ? "" : "futex waits");
	p->event = profile_intern(p, label);
	p->traced_stacks = true;
	/* the waits still going on when collection stopped: none before (every
	 * futex waiter on the machine would be looked up to be skipped) */
	if (!s->lock_kernel && st->ended)
		add_pending(st, &graph, ss->whole_run);

	/* exits noted before the counts are read: those processes waited all they will */
	mark = session_exit_mark(ss);
	n = map_read_all(fd, sizeof(*keys), sizeof(*vals), (void **)&keys, (void **)&vals);
	if (n < 0)
		n = 0;
	if (!st->windows)
		st->windows = deltas_new(sizeof(*keys), 3);
	stack_maps_init(&sm, st->skel->maps.stacks, st->skel->maps.stacks_deep,
			st->skel->maps.stacks_spill);
	kinds = classify(ss, &sm, keys, n, p);
	for (long i = 0; i < n; i++) {
		struct lock_key key = keys[i];
		struct lock_stat v = vals[i];
		uint64_t max_ns = v.max_ns;
		uint32_t nids = 0;

		/* only what came since the last collect; a window's longest wait
		 * is known only when it is the run's longest so far (else 0) */
		if (!deltas_take(st->windows, &keys[i], (uint64_t *)&v, ss->whole_run))
			continue;
		if (forget)
			stack_prune_note(st->prune, key.user_stack, key.pid);
		if (!ss->whole_run)
			v.max_ns = v.max_ns ? max_ns : 0;
		kwaits[kinds[i]] += v.count;
		kns[kinds[i]] += v.total_ns;
		if (!(s->lock_kinds & WAIT_BIT(kinds[i])))
			continue;
		key.comm[TASK_COMM_LEN - 1] = '\0';
		key.owner_comm[TASK_COMM_LEN - 1] = '\0';
		check_owner(&key);
		lock_names_label(st->names, &key, kinds[i], label, sizeof(label));
		snprintf(task, sizeof(task), "task:%s [%u]", key.comm, key.tid);
		/* --by stack: the lock is the leaf, so code paths group first */
		if (s->lock_by == BY_STACK)
			ids[nids++] = profile_group_frame(p, "lock", label);
		/* kernel stacks were taken in a tracepoint: every frame is a return address */
		session_add_stack(p, &sm, key.kern_stack, FRAME_KERNEL, key.pid, 0, false, ids, &nids);
		/* named from the mappings of the program that waited */
		session_add_stack(p, &sm, key.user_stack, FRAME_USER, key.pid, key.life, true, ids, &nids);
		if (s->lock_by != BY_STACK) {
			if (key.owner) {
				char owner[64];

				snprintf(owner, sizeof(owner), "owner:%s [%u]", key.owner_comm, key.owner);
				ids[nids++] = profile_group_frame(p, "owner", owner);
			}
			ids[nids++] = profile_group_frame(p, "lock", label);
		}
		if (s->lock_by == BY_TASK)
			ids[nids++] = profile_group_frame(p, "task", task);
		profile_add_sample(p, ids, nids, key.pid, key.tid, key.comm,
				   (int64_t[]){ (int64_t)v.count, (int64_t)v.total_ns,
						(int64_t)v.max_ns });
	}
	/* the keys and stacks of processes gone, as offcpu's: read for the last time */
	if (forget && n > 0) {
		size_t stacks, gone = session_forget_keys(ss, mark, fd, keys, n, sizeof(*keys),
							  offsetof(struct lock_key, pid), st->windows,
							  st->prune, &sm, &stacks);

		pr_debug("lock: %zu keys and %zu user stacks of exited processes deleted", gone,
			 stacks);
	}
	stack_maps_release(&sm);
	kinds_table(s, p, kwaits, kns);
	free(kinds);
	free(keys);
	free(vals);
	/* said once on stderr: the whole run repeats the last window's */
	lock_graph_report(&graph, p, s->quiet || ss->whole_run);
	lock_graph_free(&graph);
	blocked_add_table(st->blocked, p);
	session_read_drops(ss, st->skel->maps.drops, p, "--max-stacks");
	return 0;
}

static void lock_destroy(struct session *ss)
{
	struct lock_state *st = ss->priv;

	if (!st)
		return;
	lock_stop(ss);
	blocked_close(st->blocked);
	deltas_free(st->windows);
	stack_prune_free(st->prune);
	lock_bpf__destroy(st->skel);
	lock_names_free(st->names);
	free(st);
	ss->priv = NULL;
}

const struct collector lock_collector = {
	.name = "lock",
	.summary = "lock contention: which kernel locks and futexes threads wait on, from where",
	.usage =
		"  -K, --kernel           kernel locks only (lock:contention_begin/end)\n"
		"  -U, --user             user-space locks only (futex waits: pthread mutexes,\n"
		"                         rwlocks, condition variables)\n"
		"      --by lock|stack|task  group by lock (default), by waiting code path, or\n"
		"                         by waiting thread\n"
		"      --kind KIND[,KIND] which waits to show: contention (default: mutex, rwlock,\n"
		"                         kernel), condvar, semaphore, barrier, join, other, all;\n"
		"                         a futex wait's kind comes from the pthread (or Rust, Go)\n"
		"                         function that made it, innermost first\n"
		"      --max-stacks N     room for N (lock, stack, thread) entries in the kernel\n"
		"Each stack ends in a frame 'lock:NAME (TYPE)': NAME is the variable (a global\n"
		"pthread_mutex_t, a static kernel lock, mmap_lock, siglock), or [heap]/[stack]/\n"
		"[anon] and the address; TYPE is spinlock, rwlock:R/W, rwsem:R/W, mutex, rtmutex,\n"
		"percpu-rwsem:R/W for kernel locks, and 'futex KIND' ('futex mutex', 'futex\n"
		"condvar', 'futex-pi mutex', ...) for futex waits.  A table 'Kinds of wait'\n"
		"lists every kind seen and whether it is shown.  A contended kernel mutex adds\n"
		"'owner:COMM [TID]', the thread that held it when the wait began.\n"
		"A futex wait on a glibc or PI mutex adds 'owner:COMM [TID]', the holder the\n"
		"mutex names.  With -p/-t, futex waits begun before the run count from its\n"
		"start, and owners that wait for each other in a circle are reported as a\n"
		"deadlock.\n"
		"Sample types (--value): delay (nanoseconds waited, default), contentions,\n"
		"max_delay (the longest single wait: a maximum, never summed up the stack)\n",
	.default_format = "report",
	.value_names = "delay contentions max_delay",
	.no_samples = "no lock was waited for: no futex wait of the targets slept and no "
		"kernel lock they took was contended (waits begun before the run are "
		"seen with -p/-t); a lock taken without contention costs no wait: try a "
		"longer -d, or the other kind (--kernel, --user); waits for an event "
		"(condition variables, joins) show with --kind all",
	.shortopts = "KU",
	.longopts = lock_longopts,
	.parse = lock_parse,
	.validate = lock_validate,
	.start = lock_start,
	.stop = lock_stop,
	.collect = lock_collect,
	.destroy = lock_destroy,
};
