// SPDX-License-Identifier: GPL-2.0
/*
 * profiler offcpu: where threads wait.  sched_switch takes the stacks of a
 * target thread that blocks; when it runs again the time it was away is
 * added, in the kernel, per (process, user stack, kernel stack, comm).
 *
 * tp_btf is tried first; a kernel that refuses it (no tracing programs)
 * gets the same program as raw_tp.  PROFILER_OFFCPU_RAW_TP=1 forces the
 * fallback, so that tests cover it on kernels where tp_btf works.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "offcpu.h"
#include "offcpu.skel.h"
#include "cli/args.h"
#include "collectors/collector.h"
#include "runtime/blocked_threads.h"
#include "runtime/deltas.h"
#include "runtime/load_heap.h"
#include "runtime/python.h"
#include "runtime/runtime.h"
#include "runtime/stack_prune.h"
#include "util/idxmap.h"
#include "util/util.h"

#define MAX_BLOCK_US (1ULL << 40)	/* 12 days: beyond that, a typo */

struct offcpu_state {
	struct offcpu_bpf *skel;
	bool raw_tp;		/* attached through the fallback */
	uint64_t stop_ns;	/* CLOCK_MONOTONIC, as bpf_ktime_get_ns() */
	struct blocked *blocked;	/* threads off the CPU at the start and the end */
	struct deltas *windows;		/* counts handed over so far, per key */
	struct stack_prune *prune;	/* user stacks to delete once their process exits */
};

enum { OPT_STATE = 1101, OPT_MIN_BLOCK, OPT_MAX_BLOCK, OPT_MAX_STACKS };

static const struct option offcpu_longopts[] = {
	{ "state", required_argument, NULL, OPT_STATE },
	{ "min-block", required_argument, NULL, OPT_MIN_BLOCK },
	{ "max-block", required_argument, NULL, OPT_MAX_BLOCK },
	{ "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
	{ NULL, 0, NULL, 0 },
};

static int offcpu_parse(struct settings *s, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case OPT_STATE:
		if (strcmp(arg, "blocked") && strcmp(arg, "all")) {
			pr_err("invalid --state '%s': give 'blocked' (waiting on something) or 'all' "
			       "(preemption too)", arg);
			return -EINVAL;
		}
		s->offcpu_state = arg;
		return 0;
	case OPT_MIN_BLOCK:
	case OPT_MAX_BLOCK:
		if (parse_u64(arg, opt == OPT_MIN_BLOCK ? 0 : 1, MAX_BLOCK_US, &v)) {
			pr_err("invalid --%s '%s': give microseconds, for example 1000 for 1 ms",
			       opt == OPT_MIN_BLOCK ? "min-block" : "max-block", arg);
			return -EINVAL;
		}
		if (opt == OPT_MIN_BLOCK)
			s->min_block_us = v;
		else
			s->max_block_us = v;
		return 0;
	case OPT_MAX_STACKS:
		return parse_max_stacks(s, arg);
	}
	return -EINVAL;
}

static int offcpu_validate(struct settings *s)
{
	if (s->max_block_us && s->min_block_us > s->max_block_us) {
		pr_err("--min-block %llu is above --max-block %llu: nothing could be counted; "
		       "swap them", s->min_block_us, s->max_block_us);
		return -EINVAL;
	}
	if (!s->offcpu_state)
		s->offcpu_state = "blocked";
	return 0;
}

static bool force_raw_tp(void)
{
	const char *e = getenv("PROFILER_OFFCPU_RAW_TP");

	return e && *e && strcmp(e, "0");
}

/* Open, configure and load, with the switch program as tp_btf or raw_tp. */
static int offcpu_load(struct session *ss, struct offcpu_state *st, bool raw_tp)
{
	const struct settings *s = ss->set;
	struct offcpu_bpf *skel;
	int err;

	skel = SKEL_OPEN(ss, offcpu);
	if (!skel)
		return -errno;
	st->skel = skel;
	st->raw_tp = raw_tp;
	skel->rodata->filter_pids = ss->filter_pids;
	skel->rodata->leaf_fix = session_leaf_fix(ss);
	skel->rodata->cfi_unwind = session_unwind_prepare(ss, skel->maps.unw_rows, skel->maps.unw_procs);
	skel->rodata->max_depth = session_stack_depth(ss, skel->maps.stacks_deep,
								 skel->maps.stacks_spill);
	skel->rodata->python_frames = session_python_prepare(ss, skel->obj);
	skel->rodata->filter_tids = ss->filter_tids;
	skel->rodata->filter_cgroups = session_cgroup_prepare(ss, skel->maps.cgroup_targets);
	skel->rodata->all_states = !strcmp(s->offcpu_state, "all");
	skel->rodata->min_block_ns = s->min_block_us * 1000;
	skel->rodata->max_block_ns = s->max_block_us ? s->max_block_us * 1000 : ~0ULL;
	/* Unique stacks of waiting are few next to samples: a fixed default. */
	bpf_map__set_max_entries(skel->maps.counts, s->max_stacks ? s->max_stacks : 16384);
	session_stacks_max(skel->maps.stacks, skel->maps.stacks_deep,
			   s->max_stacks ? 2 * s->max_stacks : 65536);
	bpf_program__set_autoload(skel->progs.follow_fork, ss->follow_forks);
	bpf_program__set_autoload(skel->progs.switch_btf, !raw_tp);
	bpf_program__set_autoload(skel->progs.switch_raw, raw_tp);
	err = skel_load(skel->skeleton);
	if (!err) {
		struct bpf_program *prog = raw_tp ? skel->progs.switch_raw : skel->progs.switch_btf;
		struct bpf_link *l = bpf_program__attach(prog);

		if (!l)
			err = -errno;
		else if (raw_tp)
			skel->links.switch_raw = l;
		else
			skel->links.switch_btf = l;
	}
	if (err) {
		offcpu_bpf__destroy(skel);
		st->skel = NULL;
	}
	return err;
}

static int offcpu_start(struct session *ss)
{
	struct offcpu_state *st = xcalloc(1, sizeof(*st));
	struct offcpu_bpf *skel;
	int err = -EINVAL;

	st->prune = stack_prune_new();
	ss->priv = st;
	if (!force_raw_tp()) {
		err = offcpu_load(ss, st, false);
		if (err)
			pr_debug("offcpu: tp_btf/sched_switch refused (%s); trying raw_tp",
				 strerror(-err));
	}
	if (err)
		err = offcpu_load(ss, st, true);
	if (err)
		return bpf_explain("loading and attaching the sched_switch program", err);
	pr_debug("offcpu: sched_switch attached as %s", st->raw_tp ? "raw_tp" : "tp_btf");
	skel = st->skel;
	session_add_object(ss, skel->obj);

	err = session_attach_targets(ss, skel->maps.targets, skel->maps.proc_events,
				     skel->progs.follow_fork, &skel->links.follow_fork,
				     skel->progs.proc_exec, &skel->links.proc_exec);
	if (err)
		return err;
	/* Threads blocked now never pass sched_switch until they wake: parked
	 * in start as if they blocked now, after the switch program is in, so
	 * that a wake from here on is its switch-in. */
	st->blocked = blocked_open(ss, skel->obj, BLOCKED_MODE_OFFCPU);
	blocked_scan(st->blocked, true);
	return 0;
}

static void offcpu_stop(struct session *ss)
{
	struct offcpu_state *st = ss->priv;

	if (!st || !st->skel)
		return;
	bpf_link__destroy(st->skel->links.switch_btf);
	bpf_link__destroy(st->skel->links.switch_raw);
	st->skel->links.switch_btf = NULL;
	st->skel->links.switch_raw = NULL;
	if (st->skel->bss->missed_switch_ins)
		pr_debug("offcpu: %llu switch-ins the kernel did not show this program; their "
			 "waits were told from the threads' run time at their next switch-out",
			 (unsigned long long)st->skel->bss->missed_switch_ins);
	st->stop_ns = now_ns();
	blocked_scan(st->blocked, false);
}

/*
 * Threads still off the CPU when collection stopped: their wait so far
 * counts too, or a thread blocked for the whole run would not show.  Not
 * a thread whose process the records saw exit before mark: its entry is
 * one whose switch back in the program missed (add_ongoing says more).
 */
static void add_pending(struct session *ss, struct offcpu_state *st, uint64_t mark)
{
	const struct settings *s = ss->set;
	int start_fd = bpf_map__fd(st->skel->maps.start);
	int counts_fd = bpf_map__fd(st->skel->maps.counts);
	uint64_t min_ns = s->min_block_us * 1000;
	uint64_t max_ns = s->max_block_us ? s->max_block_us * 1000 : UINT64_MAX;
	__u32 tid, *prev = NULL;
	struct offcpu_start rec;
	size_t stale = 0;

	while (!bpf_map_get_next_key(start_fd, prev, &tid)) {
		struct offcpu_val v = {};
		uint64_t delta;

		prev = &tid;
		if (bpf_map_lookup_elem(start_fd, &tid, &rec) || rec.ts > st->stop_ns)
			continue;
		if (session_exited_before(ss, rec.key.pid, mark)) {
			stale++;
			continue;
		}
		delta = st->stop_ns - rec.ts;
		if (delta < min_ns || delta > max_ns)
			continue;
		bpf_map_lookup_elem(counts_fd, &rec.key, &v);
		v.ns += delta;
		v.count++;
		bpf_map_update_elem(counts_fd, &rec.key, &v, BPF_ANY);
	}
	if (stale)
		pr_debug("offcpu: %zu waits of exited processes' threads left out at the stop", stale);
}

/* The window's counts as read, and the waits still going on added to them. */
struct ongoing {
	struct cpu_key *keys;
	struct offcpu_val *vals;
	long n, cap;
	struct idxmap index;
	const struct cpu_key *sought;
	uint64_t now, min_ns;
	struct session *ss;
	uint64_t mark;		/* session_exit_mark() at the counts' read */
	uint32_t *dead;		/* start entries of threads whose process is gone */
	size_t ndead, dead_cap;
};

static bool ongoing_key_eq(const void *ctx, uint32_t i)
{
	const struct ongoing *o = ctx;

	return !memcmp(&o->keys[i], o->sought, sizeof(*o->sought));
}

static void ongoing_chunk(void *ctx, const void *keys, const void *vals, size_t n)
{
	const struct offcpu_start *recs = vals;
	const uint32_t *tids = keys;
	struct ongoing *o = ctx;

	for (size_t j = 0; j < n; j++) {
		const struct offcpu_start *r = &recs[j];
		uint64_t h;
		int64_t i;

		if (r->ts >= o->now || o->now - r->ts < o->min_ns)
			continue;
		/*
		 * A process that exited waits no more, whatever its entry
		 * says: one sleep of 50 ms whose switch back in the program
		 * never saw (1 run in ~15 of agent.bats's 80 sleeps, 6.18)
		 * counted on, a second more at every window, and its key,
		 * forgotten with the process, was counted whole again each
		 * time.  Its entry goes.
		 */
		if (session_exited_before(o->ss, r->key.pid, o->mark)) {
			GROW(o->dead, o->dead_cap, o->ndead + 1);
			o->dead[o->ndead++] = tids[j];
			continue;
		}
		h = hash_bytes(&r->key, sizeof(r->key), 0);
		o->sought = &r->key;
		i = idxmap_find(&o->index, h, ongoing_key_eq, o);
		if (i < 0) {
			if (o->n == o->cap) {
				o->cap = MAX(2 * o->cap, 64);
				o->keys = xrealloc(o->keys, o->cap * sizeof(*o->keys));
				o->vals = xrealloc(o->vals, o->cap * sizeof(*o->vals));
			}
			i = o->n++;
			o->keys[i] = r->key;
			o->vals[i] = (struct offcpu_val){};
			idxmap_insert(&o->index, h, i);
		}
		o->vals[i].ns += o->now - r->ts;
		o->vals[i].count++;
	}
}

/*
 * At a window's cut while the run goes on, the waits still going on count
 * up to now: a long wait is split over the windows it spans, instead of
 * landing whole in the one where it ends (a thread asleep through four
 * windows of half a second was off the CPU 440% of the last one).  They
 * are added to what was read, never written to the map: when a wait ends
 * the counts grow by all of it and its part here goes, so the next window
 * gets the rest.  The counts are read before the waits, so a wait that
 * ends between the two reads is in neither for a moment; deltas_hold()
 * keeps that dip out of the windows.  Not with --max-block: a wait
 * counted here may outgrow it and never reach the counts.
 */
static long add_ongoing(struct session *ss, struct offcpu_state *st, uint64_t mark,
			struct cpu_key **keys, struct offcpu_val **vals, long nkeys)
{
	struct ongoing o = {
		.keys = *keys, .vals = *vals, .n = nkeys, .cap = nkeys,
		.now = now_ns(), .min_ns = ss->set->min_block_us * 1000, .ss = ss, .mark = mark,
	};
	int start_fd = bpf_map__fd(st->skel->maps.start);

	for (long i = 0; i < nkeys; i++)
		idxmap_insert(&o.index, hash_bytes(&o.keys[i], sizeof(*o.keys), 0), i);
	map_read_chunks(start_fd, sizeof(__u32), sizeof(struct offcpu_start), ongoing_chunk, &o);
	idxmap_free(&o.index);
	if (o.ndead) {
		pr_debug("offcpu: %zu waits of exited processes' threads dropped",
			 map_delete_keys(start_fd, o.dead, sizeof(*o.dead), o.ndead));
		free(o.dead);
	}
	*keys = o.keys;
	*vals = o.vals;
	return o.n;
}

static int offcpu_collect(struct session *ss, struct profile *p)
{
	struct offcpu_state *st = ss->priv;
	int counts_fd = bpf_map__fd(st->skel->maps.counts);
	struct stack_maps sm;
	struct cpu_key *keys;
	struct offcpu_val *vals;
	uint32_t ids[2 * MAX_STACK_DEPTH + 2];
	long nkeys;
	char event[128];
	/* exits noted before the counts are read: those processes counted all they will */
	uint64_t mark = session_exit_mark(ss);
	bool forget = session_may_forget(ss);

	/* once, into the counts: the whole run's collect after the last
	 * window reads them as they are.  Only after the stop: before, every
	 * thread asleep on the machine would be looked up to be skipped, at
	 * each window of top or the agent */
	if (!ss->whole_run && st->stop_ns)
		add_pending(ss, st, mark);
	profile_add_type(p, "offcpu", "nanoseconds");
	profile_add_type(p, "switches", "count");
	p->default_type = 0;
	snprintf(event, sizeof(event), "off-CPU time from sched_switch (%s), %s",
		 st->raw_tp ? "raw_tp" : "tp_btf",
		 strcmp(ss->set->offcpu_state, "all") ? "blocking only" : "preemption too");
	p->event = profile_intern(p, event);
	p->traced_stacks = true;

	/*
	 * The counts hold the whole run (a window is their growth): read in
	 * batches, not a key and a lookup per entry, which cost top 13% of
	 * its CPU at every refresh over a busy machine.
	 */
	nkeys = map_read_all(counts_fd, sizeof(*keys), sizeof(*vals), (void **)&keys, (void **)&vals);
	if (!ss->whole_run && !st->stop_ns && !ss->set->max_block_us)
		nkeys = add_ongoing(ss, st, mark, &keys, &vals, nkeys);
	stack_maps_init(&sm, st->skel->maps.stacks, st->skel->maps.stacks_deep,
			st->skel->maps.stacks_spill);
	for (long i = 0; i < nkeys; i++) {
		struct cpu_key *key = &keys[i];
		struct offcpu_val *v = &vals[i];
		uint32_t n = 0;

		/* only what came since the last collect: a wait counts in the
		 * windows it spans, up to each cut (add_ongoing) */
		if (!st->windows) {
			st->windows = deltas_new(sizeof(*key), 2);
			deltas_hold(st->windows);
		}
		if (!deltas_take(st->windows, key, (uint64_t *)v, ss->whole_run))
			continue;
		/* no stack entry is an interrupted instruction: all are return addresses */
		session_add_stack(p, &sm, key->kern_stack, FRAME_KERNEL, key->pid, 0, false, ids, &n);
		/* named from the mappings of the program that waited (the pid's
		 * lifetime and its execs): go's and link's code share addresses */
		session_add_stack(p, &sm, key->user_stack, FRAME_USER, key->pid, key->life, false, ids,
				  &n);
		key->comm[TASK_COMM_LEN - 1] = '\0';
		profile_add_sample(p, ids, n, key->pid, 0, key->comm,
				   (int64_t[]){ (int64_t)v->ns, (int64_t)v->count });
		if (forget)
			stack_prune_note(st->prune, key->user_stack, key->pid);
	}
	/*
	 * The keys of exited processes leave the counts map, the windows and
	 * (their user stacks) the stacks map, once read: under churn every
	 * process adds keys that never grow again, and the map, full, would
	 * refuse the new.  Not when the whole run is read again at the end,
	 * nor once stopped (the maps go with the session).
	 */
	if (forget && nkeys > 0) {
		size_t stacks, n = session_forget_keys(ss, mark, counts_fd, keys, nkeys,
						       sizeof(*keys), offsetof(struct cpu_key, pid),
						       st->windows, st->prune, &sm, &stacks);

		pr_debug("offcpu: %zu keys and %zu user stacks of exited processes deleted", n,
			 stacks);
	}
	free(keys);
	free(vals);
	stack_maps_release(&sm);
	blocked_add_table(st->blocked, p);
	session_read_drops(ss, st->skel->maps.drops, p, "--max-stacks");
	return 0;
}

static void offcpu_destroy(struct session *ss)
{
	struct offcpu_state *st = ss->priv;

	if (!st)
		return;
	blocked_close(st->blocked);
	deltas_free(st->windows);
	stack_prune_free(st->prune);
	offcpu_bpf__destroy(st->skel);
	free(st);
	ss->priv = NULL;
}

const struct collector offcpu_collector = {
	.name = "offcpu",
	.summary = "off-CPU time: where threads wait (blocked time, user + kernel stacks)",
	.usage =
		"      --state STATE      blocked (default): time spent waiting (sleep, I/O,\n"
		"                         locks); all: preemption (waiting for a CPU) too\n"
		"      --min-block US     count only off-CPU periods of at least US microseconds\n"
		"      --max-block US     count only off-CPU periods of at most US microseconds\n"
		"      --max-stacks N     room for N unique stacks in the kernel (default 16384)\n"
		"Values are nanoseconds off the CPU, from switch-out to switch-in (run-queue\n"
		"wait after wake-up included).\n"
		"With -p/-t, threads already blocked when the run starts count too: from the\n"
		"start to their wake, or the whole run; the report lists them (state, wait\n"
		"channel, system call, how long blocked before).\n"
		"Sample types (--value): offcpu (nanoseconds, default), switches (count)\n"
		"The report (-f report) ranks wait reasons (the system call or event and the\n"
		"kernel function that slept) and blocking call sites (the first frame outside\n"
		"the C runtime) instead of self time, which is always __schedule.\n",
	.default_format = "folded",
	.value_names = "offcpu switches",
	.no_samples = "no target thread was off the CPU: none blocked during the run "
		"(nor, with -p/-t, at its start); check the PID with 'ps -T -p PID', or "
		"try a longer -d or --state all",
	.longopts = offcpu_longopts,
	.parse = offcpu_parse,
	.validate = offcpu_validate,
	.start = offcpu_start,
	.stop = offcpu_stop,
	.collect = offcpu_collect,
	.destroy = offcpu_destroy,
};
