// SPDX-License-Identifier: GPL-2.0
/*
 * profiler cpu: on-CPU sampling with a software cpu-clock perf event per
 * CPU, counted in the kernel per (process, user stack, kernel stack, comm)
 * and drained into user space as the maps fill (cpu_counts.c).
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cpu.h"
#include "cpu.skel.h"
#include "cpu_defer.skel.h"
#include "cli/args.h"
#include "collectors/collector.h"
#include "collectors/cpu_counts.h"
#include "collectors/cpu_state.h"
#include "collectors/cpu_young.h"
#include "runtime/deltas.h"
#include "runtime/load_heap.h"
#include "runtime/preflight.h"
#include "runtime/python.h"
#include "runtime/runtime.h"
#include "runtime/stack_parts.h"
#include "runtime/stack_prune.h"
#include "runtime/unwind.h"
#include "util/util.h"

#define DEFAULT_FREQ 99


static const struct option cpu_longopts[] = {
	{ "freq", required_argument, NULL, 'F' },
	{ "cpu", required_argument, NULL, 'C' },
	{ "user-only", no_argument, NULL, 'U' },
	{ "kernel-only", no_argument, NULL, 'K' },
	{ "idle", no_argument, NULL, 1001 },
	{ "max-stacks", required_argument, NULL, 1002 },
	{ NULL, 0, NULL, 0 },
};

static int max_sample_rate(void)
{
	char *t = read_file("/proc/sys/kernel/perf_event_max_sample_rate", NULL);
	int v = t ? atoi(t) : 0;

	free(t);
	return v > 0 ? v : 100000;
}

static int cpu_parse(struct settings *s, int opt, const char *arg)
{
	uint64_t v;
	int err;

	switch (opt) {
	case 'F':
		if (parse_u64(arg, 1, 1000000, &v)) {
			pr_err("invalid frequency '%s': give samples per second, for example -F 99", arg);
			return -EINVAL;
		}
		s->freq = v;
		return 0;
	case 'C': {
		int *online = NULL, n = 0;

		free(s->cpus);
		s->cpus = NULL;
		err = parse_int_list(arg, 1 << 16, &s->cpus, &s->ncpus);
		if (err) {
			pr_err("invalid CPU list '%s': give CPUs like 0,2-3", arg);
			return -EINVAL;
		}
		/* every CPU named must be online now */
		if (!online_cpus(&online, &n)) {
			for (int i = 0; i < s->ncpus; i++) {
				int j;

				for (j = 0; j < n && online[j] != s->cpus[i]; j++)
					;
				if (j == n) {
					pr_err("CPU %d in '%s' is not online: see /sys/devices/system/cpu/online",
					       s->cpus[i], arg);
					free(online);
					return -EINVAL;
				}
			}
			free(online);
		}
		return 0;
	}
	case 'U':
		s->user_only = true;
		return 0;
	case 'K':
		s->kernel_only = true;
		return 0;
	case 1001:
		s->idle = true;
		return 0;
	case 1002:
		return parse_max_stacks(s, arg);
	}
	return -EINVAL;
}

static int cpu_validate(struct settings *s)
{
	int max;

	if (s->user_only && s->kernel_only) {
		pr_err("-U (user stacks only) and -K (kernel stacks only) exclude each other: give one");
		return -EINVAL;
	}
	if (!s->freq)
		s->freq = DEFAULT_FREQ;
	max = max_sample_rate();
	if (s->freq > max) {
		pr_err("frequency %d Hz is above the kernel's limit of %d "
		       "(kernel.perf_event_max_sample_rate): lower -F", s->freq, max);
		return -EINVAL;
	}
	return 0;
}

static int cpu_start(struct session *ss)
{
	const struct settings *s = ss->set;
	struct cpu_state *st = xcalloc(1, sizeof(*st));
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.size = sizeof(attr),
		.freq = 1,
		.sample_freq = s->freq,
	};
	double secs = s->duration > 0 ? s->duration : 60;
	uint64_t expect = (uint64_t)(secs * s->freq * ss->ncpus);
	struct cpu_bpf *skel;
	struct bpf_program *prog;
	volatile __u64 *added;
	uint32_t counts_max;
	enum cpu_young young;
	int err, tmpl;

	ss->priv = st;
	st->prune = stack_prune_new();
	skel = SKEL_OPEN(ss, cpu);
	if (!skel)
		return bpf_explain("opening the BPF object", -errno);
	st->skel = skel;
	session_add_object(ss, skel->obj);

	skel->rodata->filter_pids = ss->filter_pids;
	skel->rodata->leaf_fix = session_leaf_fix(ss);
	skel->rodata->fp_walk = session_fp_walk(ss);
	skel->rodata->cfi_unwind = session_unwind_prepare(ss, skel->maps.unw_rows, skel->maps.unw_procs);
	skel->rodata->max_depth = session_stack_depth(ss, skel->maps.stacks_deep,
								 skel->maps.stacks_spill);
	skel->rodata->spill_test_mask = session_test_mask("PROFILER_TEST_SPILL");
	skel->rodata->counts_test_mask = session_test_mask("PROFILER_TEST_COUNTS_NOMEM");
	skel->rodata->python_frames = session_python_prepare(ss, skel->obj);
	skel->rodata->filter_tids = ss->filter_tids;
	skel->rodata->filter_cgroups = session_cgroup_prepare(ss, skel->maps.cgroup_targets);
	skel->rodata->include_idle = s->idle;
	skel->rodata->user_stacks = !s->kernel_only;
	skel->rodata->kernel_stacks = !s->user_only;

	/*
	 * Unique stacks cannot outnumber samples.  The counts maps are
	 * drained at half full, checked at least every 250 ms when the
	 * session's loop is free; making the unwind tables of a large binary
	 * holds it for seconds (20 s for clang's, measured under churn), so
	 * each map keeps room for 32,768 keys past the drain point.  The
	 * stacks map allocates as it fills, so its ceiling costs nothing.
	 */
	counts_max = s->max_stacks ? s->max_stacks : map_size(expect, 8192, 65536);
	bpf_map__set_max_entries(skel->maps.counts, counts_max);
	bpf_map__set_max_entries(skel->maps.counts_spare, counts_max);
	session_stacks_max(skel->maps.stacks, skel->maps.stacks_deep,
			   s->max_stacks ? 2 * s->max_stacks : map_size(2 * expect, 16384, 1 << 20));
	bpf_program__set_autoload(skel->progs.follow_fork, ss->follow_forks);
	young = cpu_young_mode(ss);
	bpf_program__set_autoload(skel->progs.cpu_sample, young != CPU_YOUNG_TASK_WORK);
	tmpl = map_in_map_template(skel->maps.counts_sel);

	err = skel_load(skel->skeleton);
	if (tmpl >= 0)
		close(tmpl);
	if (err)
		return bpf_explain("loading the BPF programs", err);
	prog = cpu_young_sampler(ss, st, young, &added);
	if (!prog)
		return -EINVAL;
	st->counts = cpu_counts_new(bpf_map__fd(skel->maps.counts_sel),
				    (int[]){ bpf_map__fd(skel->maps.counts),
					     bpf_map__fd(skel->maps.counts_spare) },
				    counts_max, added);
	if (!st->counts)
		return bpf_explain("pointing counts_sel at the counts map", -errno);
	/* links kept in the skeleton are destroyed with it */
	err = session_attach_targets(ss, skel->maps.targets, skel->maps.proc_events,
				     skel->progs.follow_fork, &skel->links.follow_fork,
				     skel->progs.proc_exec, &skel->links.proc_exec);
	if (err)
		return err;

	st->links = xcalloc(ss->ncpus, sizeof(*st->links));
	st->nlinks = ss->ncpus;
	return session_attach_perf(ss, &attr, prog, st->links);
}

static void cpu_stop(struct session *ss)
{
	struct cpu_state *st = ss->priv;

	if (!st)
		return;
	for (int i = 0; i < st->nlinks; i++) {
		bpf_link__destroy(st->links[i]);
		st->links[i] = NULL;
	}
}

/* While the profile runs: drain the counts map that is filling up. */
static void cpu_tick(struct session *ss)
{
	struct cpu_state *st = ss->priv;

	if (st)
		cpu_counts_tick(st->counts);
}

/*
 * Keys below this many name their stacks one lookup each; above, one pass
 * over the stacks maps makes them all (stack_parts.h).
 */
#define STACK_PARTS_MIN 1024
/* taken keys freed this many at a time (2.5 MiB) */
#define TRIM_KEYS 65536

static void add_sample(struct profile *p, const struct stack_maps *sm, struct stack_parts *sp,
		       const struct cpu_key *key, uint64_t count, int64_t period)
{
	uint32_t ids[2 * MAX_STACK_DEPTH + 2];
	char comm[TASK_COMM_LEN];
	uint32_t n = 0;

	if (sp)
		stack_parts_add(sp, p, key->kern_stack, FRAME_KERNEL, key->pid, 0, ids, &n);
	else
		session_add_stack(p, sm, key->kern_stack, FRAME_KERNEL, key->pid, 0, true, ids, &n);
	if (sp)
		stack_parts_add(sp, p, key->user_stack, FRAME_USER, key->pid, key->life, ids, &n);
	else
		session_add_stack(p, sm, key->user_stack, FRAME_USER, key->pid, key->life, true, ids,
				  &n);
	memcpy(comm, key->comm, sizeof(comm));
	comm[TASK_COMM_LEN - 1] = '\0';
	profile_add_sample(p, ids, n, key->pid, 0, comm,
			   (int64_t[]){ (int64_t)count, (int64_t)count * period });
}

/* Key i of what is handed to the profile: the whole run's, or the take's. */
static const struct cpu_key *key_at(const struct deltas *whole, const struct cpu_key *keys,
				    const uint64_t *counts, size_t i, uint64_t *count)
{
	const uint64_t *total;
	const struct cpu_key *key;

	if (!whole) {
		*count = counts[i];
		return &keys[i];
	}
	key = deltas_entry(whole, i, &total);
	*count = *total;
	return key;
}

static bool same_location(const struct location *x, const struct location *y)
{
	return x->addr == y->addr && x->pid == y->pid && x->file_id == y->file_id &&
	       x->life == y->life && x->kind == y->kind && x->is_return == y->is_return &&
	       x->ra_slot == y->ra_slot && (x->name == y->name || (x->name && y->name &&
							    !strcmp(x->name, y->name)));
}

/*
 * PROFILER_CHECK_STACK_PARTS=1 (for the tests): the samples made again a
 * lookup per stack, as without stack_parts, and compared with p's, frame
 * by frame; -v says how many differ.
 */
static void check_parts(const struct profile *p, const struct stack_maps *sm,
			const struct deltas *whole, const struct cpu_key *keys,
			const uint64_t *counts, size_t nkeys, int64_t period)
{
	struct profile *q = profile_new();
	size_t differ = 0;
	uint64_t count, t0 = cpu_now_ns(), ns;

	q->file_of = p->file_of;
	q->file_ctx = p->file_ctx;
	for (int t = 0; t < p->ntypes; t++)
		profile_add_type(q, p->types[t].name, p->types[t].unit);
	for (size_t i = nkeys; i-- > 0;) {
		const struct cpu_key *key = key_at(whole, keys, counts, i, &count);

		add_sample(q, sm, NULL, key, count, period);
	}
	ns = cpu_now_ns() - t0;
	for (size_t s = 0; s < nkeys; s++) {
		const struct sample *a = &p->samples[s], *b = &q->samples[s];
		const uint32_t *fa = profile_sample_frames(p, s), *fb = profile_sample_frames(q, s);
		bool same = a->nframes == b->nframes && a->pid == b->pid &&
			    !strcmp(sample_label(p, a)->comm, sample_label(q, b)->comm) && profile_value(p, s, 0) == profile_value(q, s, 0);

		for (uint32_t k = 0; same && k < a->nframes; k++)
			same = same_location(&p->locs[fa[k]], &q->locs[fb[k]]);
		differ += !same;
	}
	pr_debug("cpu: stack parts checked against a lookup per stack: %zu samples, %zu differ; "
		 "%.1f ms of CPU that way", nkeys, differ, ns / 1e6);
	profile_free(q);
}

static int cpu_collect(struct session *ss, struct profile *p)
{
	const struct settings *s = ss->set;
	struct cpu_state *st = ss->priv;
	struct stack_maps sm;
	struct stack_parts *sp = NULL;
	const struct deltas *whole = NULL;
	const struct cpu_key *keys;
	const uint64_t *counts;
	uint64_t count;
	int64_t period = 1000000000LL / s->freq;
	char event[128];
	uint64_t swaps, moved;
	const char *env = getenv("PROFILER_CHECK_STACK_PARTS");
	bool check = env && *env && strcmp(env, "0");
	/* exits noted before the counts are taken: those processes counted all they will */
	uint64_t mark = session_exit_mark(ss);
	/* stopped, the maps go with the session at no cost to our CPU (the
	 * kernel frees them in a worker), while a delete costs ~5 us */
	bool prune = session_may_forget(ss);
	uint64_t t0;
	size_t nkeys;

	profile_add_type(p, "samples", "count");
	/* always samples x period: not stored (8 bytes a sample) */
	profile_add_scaled_type(p, "cpu", "nanoseconds", 0, period);
	p->default_type = 0;
	p->period_type = (struct sample_type){ profile_intern(p, "cpu"),
					       profile_intern(p, "nanoseconds") };
	p->period = period;
	snprintf(event, sizeof(event), "cpu-clock at %d Hz on %d CPU%s", s->freq, ss->ncpus,
		 ss->ncpus == 1 ? "" : "s");
	p->event = profile_intern(p, event);

	stack_maps_init(&sm, st->skel->maps.stacks, st->skel->maps.stacks_deep,
			st->skel->maps.stacks_spill);
	/* drained from the kernel: what is taken is exactly what came since
	 * the last collect (a window, an -i interval) */
	nkeys = cpu_counts_take(st->counts, &keys, &counts);
	if (st->dskel) {
		ss->rt->deferred = st->dskel->bss->deferred;
		ss->rt->deferred_fallback = st->dskel->bss->deferred_fallback;
		ss->rt->entries_made = st->dskel->bss->unw_made;
		ss->rt->entries_missing = st->dskel->bss->unw_made_missing;
		ss->rt->entries_gone = st->dskel->bss->unw_made_gone;
		ss->rt->deferred_ns = st->dskel->bss->deferred_ns;
	}
	cpu_counts_stats(st->counts, &swaps, &moved);
	pr_debug("cpu: %zu keys since the last collect; counts maps swapped %llu times, "
		 "%llu entries moved in all", nkeys, (unsigned long long)swaps,
		 (unsigned long long)moved);
	/* the whole run after windows is their sum, which only user space
	 * still has: kept only when the session will ask for it */
	if (ss->keep_whole) {
		if (!st->whole)
			st->whole = deltas_new(sizeof(*keys), 1);
		for (size_t i = 0; i < nkeys; i++)
			deltas_add(st->whole, &keys[i], &counts[i]);
	}
	if (ss->whole_run && st->whole) {
		whole = st->whole;
		nkeys = deltas_size(whole);
	}
	t0 = cpu_now_ns();
	if (nkeys >= STACK_PARTS_MIN) {
		sp = stack_parts_new(&sm);
		for (size_t i = 0; i < nkeys; i++) {
			const struct cpu_key *key = key_at(whole, keys, counts, i, &count);

			stack_parts_want(sp, key->kern_stack, FRAME_KERNEL, key->pid, key->life);
			stack_parts_want(sp, key->user_stack, FRAME_USER, key->pid, key->life);
		}
		stack_parts_read(sp, p, &st->stacks_entries);
	}
	/*
	 * From the last key down, the taken keys freed a block at a time as
	 * the profile grows: under churn they are a key per process and stack
	 * (27 MiB after 10 minutes), and were all alive beside the whole
	 * profile at the end of this loop.
	 */
	for (size_t i = nkeys; i-- > 0;) {
		const struct cpu_key *key = key_at(whole, keys, counts, i, &count);

		add_sample(p, &sm, sp, key, count, period);
		if (prune)
			stack_prune_note(st->prune, key->user_stack, key->pid);
		if (!whole && !check && i && !(i % TRIM_KEYS))
			cpu_counts_trim(st->counts, i, &keys, &counts);
	}
	pr_debug("cpu: %zu samples made in %.1f ms of CPU (%s)", nkeys, (cpu_now_ns() - t0) / 1e6,
		 sp ? "one pass over the stacks maps" : "a lookup per stack");
	if (sp && check)
		check_parts(p, &sm, whole, keys, counts, nkeys, period);
	stack_parts_free(sp);
	/*
	 * Read: the user stacks of processes gone go from the map.  Not when
	 * the whole run is read again at the end (top's run so far): it
	 * names them all; nor once stopped.
	 */
	if (prune) {
		struct session_gone g = { ss, mark };
		size_t n = stack_prune_run(st->prune, sm.fd, sm.deep_fd, session_gone_fn, &g);

		st->stacks_entries -= MIN(n, st->stacks_entries);
		ss->rt->stacks_pruned += n;
		pr_debug("cpu: %zu user stacks of exited processes deleted from the stacks map, "
			 "%zu of live ones kept", n, stack_prune_size(st->prune));
	}
	stack_maps_release(&sm);
	cpu_counts_release(st->counts);
	session_read_drops(ss, st->skel->maps.drops, p, "--max-stacks");
	return 0;
}

static void cpu_destroy(struct session *ss)
{
	struct cpu_state *st = ss->priv;

	if (!st)
		return;
	cpu_stop(ss);
	cpu_counts_free(st->counts);
	free(st->links);
	deltas_free(st->whole);
	stack_prune_free(st->prune);
	cpu_defer_bpf__destroy(st->dskel);
	cpu_bpf__destroy(st->fallback);
	cpu_bpf__destroy(st->skel);
	free(st);
	ss->priv = NULL;
}

const struct collector cpu_collector = {
	.name = "cpu",
	.summary = "on-CPU sampling: where the CPU time goes (user + kernel stacks)",
	.usage =
		"  -F, --freq HZ          samples per second per CPU (default 99)\n"
		"  -C, --cpu LIST         sample only these CPUs, like 0,2-3 (default: all online)\n"
		"  -U, --user-only        user stacks only\n"
		"  -K, --kernel-only      kernel stacks only\n"
		"      --idle             include the idle task (swapper) in system-wide profiles\n"
		"      --max-stacks N     room for N unique stacks in the kernel between two\n"
		"                         drains of its counts (default: from -F x CPUs x -d,\n"
		"                         60 s without -d, 8192 to 65536)\n"
		"Sample types (--value): samples (default), cpu (nanoseconds)\n",
	.default_format = "folded",
	.value_names = "samples cpu",
	.windows_add_up = true,
	.shortopts = "F:C:UK",
	.longopts = cpu_longopts,
	.parse = cpu_parse,
	.validate = cpu_validate,
	.start = cpu_start,
	.stop = cpu_stop,
	.tick = cpu_tick,
	.collect = cpu_collect,
	.destroy = cpu_destroy,
};
