// SPDX-License-Identifier: GPL-2.0
/*
 * profiler mem: where memory is allocated and what is never given back.
 * User allocations through uprobes on the allocator the process really
 * uses; kernel allocations through the kmem tracepoints (--kernel); page
 * faults through a software perf event (--faults).
 *
 * The kernel keeps live allocations by address and allocated totals per
 * site; what is outstanding, and since when, is read from the live map at
 * the end, so a free costs the target one map delete.
 *
 * Uprobes are attached per process (mem_probes.c).  With -- COMMAND, its
 * children are followed: BPF holds each new one (SIGSTOP) at its return
 * from fork and at exec, on_held() puts probes on its allocator, then lets
 * it go.  The maps are read into rows by mem_sites.c.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mem.h"
#include "mem.skel.h"
#include "collectors/collector.h"
#include "collectors/mem_lib.h"
#include "collectors/mem_sites.h"
#include "collectors/mem_state.h"
#include "runtime/deltas.h"
#include "runtime/load_heap.h"
#include "runtime/preflight.h"
#include "runtime/python.h"
#include "runtime/runtime.h"
#include "runtime/uprobe_multi.h"
#include "util/util.h"

#define DEFAULT_MAX_LIVE (1U << 20)

/*
 * With --unwind fp, the deepest --max-depth mem loads with: the walk of the
 * frame pointers at an allocator's entry is a loop the kernel's verifier
 * follows frame by frame, and it gave up past 600-800 frames on 6.18 (a
 * million instructions), where 512 (the default) loads in 0.2 s.
 */
#define MEM_FP_MAX_DEPTH 512
#define KERNEL_MAX_LIVE (1U << 18)	/* preallocated: about 20 MiB */
/* buckets of live_slots: 65,536 blocks (2.5 MiB) before any goes to the hash */
#define LIVE_BUCKETS (1U << 13)

enum {
	OPT_KERNEL = 1101,
	OPT_FAULTS,
	OPT_LIB,
	OPT_PREFIX,
	OPT_SAMPLE,
	OPT_MAX_LIVE,
};

static const struct option mem_longopts[] = {
	{ "kernel", no_argument, NULL, OPT_KERNEL },
	{ "faults", no_argument, NULL, OPT_FAULTS },
	{ "lib", required_argument, NULL, OPT_LIB },
	{ "prefix", required_argument, NULL, OPT_PREFIX },
	{ "sample-every", required_argument, NULL, OPT_SAMPLE },
	{ "max-live", required_argument, NULL, OPT_MAX_LIVE },
	{ NULL, 0, NULL, 0 },
};

static int mem_parse(struct settings *s, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case OPT_KERNEL:
		s->mem_kernel = true;
		return 0;
	case OPT_FAULTS:
		s->mem_faults = true;
		return 0;
	case OPT_LIB:
		if (access(arg, R_OK)) {
			pr_err("cannot read --lib '%s': give the path of the allocator library or binary",
			       arg);
			return -EINVAL;
		}
		s->mem_lib = arg;
		return 0;
	case OPT_PREFIX:
		if (!*arg || strlen(arg) > 32) {
			pr_err("invalid --prefix '%s': give the allocator's symbol prefix, like je_", arg);
			return -EINVAL;
		}
		s->mem_prefix = arg;
		return 0;
	case OPT_SAMPLE:
		if (parse_u64(arg, 1, 1 << 20, &v)) {
			pr_err("invalid --sample-every '%s': give a number from 1 to 1048576", arg);
			return -EINVAL;
		}
		s->mem_sample_every = v;
		return 0;
	case OPT_MAX_LIVE:
		if (parse_u64(arg, 1024, 1 << 26, &v)) {
			pr_err("invalid --max-live '%s': give a number from 1024 to 67108864", arg);
			return -EINVAL;
		}
		s->mem_max_live = v;
		s->mem_max_live_set = true;
		return 0;
	}
	return -EINVAL;
}

static int mem_validate(struct settings *s)
{
	if (s->mem_kernel && s->mem_faults) {
		pr_err("--kernel and --faults are separate profiles: give one");
		return -EINVAL;
	}
	if (!s->mem_kernel && !s->mem_faults && s->ntids) {
		pr_err("profiler mem follows processes, not threads: give -p PID instead of -t");
		return -EINVAL;
	}
	if (!s->mem_kernel && !s->mem_faults && s->system_wide)
		/* allowed, as everywhere, but every process pays a trap per malloc */
		pr_warn("tracing the allocations of every process using the system's libc: each "
			"malloc and free costs them a few microseconds; -p PID or -- COMMAND targets one");
	if ((s->mem_kernel || s->mem_faults) && (s->mem_lib || s->mem_prefix)) {
		pr_err("--lib and --prefix name a user-space allocator: they do not go with %s",
		       s->mem_kernel ? "--kernel" : "--faults");
		return -EINVAL;
	}
	if (!s->mem_kernel && !s->mem_faults && s->unwind_fp && s->max_depth > MEM_FP_MAX_DEPTH) {
		pr_err("--max-depth %u with --unwind fp: the kernel's verifier gives up on mem's "
		       "frame-pointer walk past %d frames: give --max-depth %d or less, or leave out "
		       "--unwind fp (.eh_frame unwinding takes any depth)", s->max_depth,
		       MEM_FP_MAX_DEPTH, MEM_FP_MAX_DEPTH);
		return -EINVAL;
	}
	if (!s->mem_sample_every)
		s->mem_sample_every = 1;
	if (!s->mem_max_live)
		s->mem_max_live = DEFAULT_MAX_LIVE;
	return 0;
}

static int start_kernel(struct session *ss, struct mem_state *st)
{
	struct mem_bpf *skel = st->skel;

	/*
	 * Tracepoints even where kprobes exist: they hand over address and
	 * size in one hit, where a kprobe needs a kretprobe for the address.
	 */
	st->kprobes = access("/sys/bus/event_source/devices/kprobe", F_OK) == 0;
	pr_debug("mem: kprobes %s; using the kmem tracepoints",
		 st->kprobes ? "available" : "not available");
	if (!(skel->links.kmalloc_tp = bpf_program__attach(skel->progs.kmalloc_tp)) ||
	    !(skel->links.cache_alloc_tp = bpf_program__attach(skel->progs.cache_alloc_tp)) ||
	    !(skel->links.kfree_tp = bpf_program__attach(skel->progs.kfree_tp)) ||
	    !(skel->links.cache_free_tp = bpf_program__attach(skel->progs.cache_free_tp)))
		return bpf_explain("attaching the kmem tracepoints", -errno);
	return 0;
}

static int start_faults(struct session *ss, struct mem_state *st)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_PAGE_FAULTS,
		.size = sizeof(attr),
		.sample_period = ss->set->mem_sample_every,
	};

	st->links = xcalloc(ss->ncpus, sizeof(*st->links));
	st->nlinks = ss->ncpus;
	st->links_cap = ss->ncpus;
	return session_attach_perf(ss, &attr, st->skel->progs.fault_sample, st->links);
}

/*
 * Children are stopped at fork where the kernel lets BPF signal another
 * task (6.13); before, at their first syscall exit, by a program that then
 * runs on every syscall on the machine.  PROFILER_NO_SIGNAL_TASK=1 takes
 * the old way, for the tests.
 */
static bool can_signal_task(void)
{
	const char *env = getenv("PROFILER_NO_SIGNAL_TASK");

	if (env && *env && strcmp(env, "0"))
		return false;
	return kernel_has_kfunc("bpf_send_signal_task");
}

static void set_autoload(struct mem_bpf *skel, enum mem_mode mode, bool follow, bool signal_task)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj) {
		enum bpf_prog_type t = bpf_program__type(prog);
		bool on = mode == MODE_USER ? t == BPF_PROG_TYPE_KPROBE :
			  mode == MODE_FAULTS ? t == BPF_PROG_TYPE_PERF_EVENT :
			  t == BPF_PROG_TYPE_TRACING || t == BPF_PROG_TYPE_RAW_TRACEPOINT;

		bpf_program__set_autoload(prog, on);
	}
	bpf_program__set_autoload(skel->progs.hold_fork_task, mode == MODE_USER && follow && signal_task);
	bpf_program__set_autoload(skel->progs.hold_fork, mode == MODE_USER && follow && !signal_task);
	bpf_program__set_autoload(skel->progs.hold_sys_exit, mode == MODE_USER && follow && !signal_task);
	bpf_program__set_autoload(skel->progs.hold_exec, mode == MODE_USER && follow);
	bpf_program__set_autoload(skel->progs.hold_entry, mode == MODE_USER && follow);
	bpf_program__set_autoload(skel->progs.proc_exec, true);
	bpf_program__set_autoload(skel->progs.follow_fork, follow);
	bpf_program__set_autoload(skel->progs.kmalloc_tp, mode == MODE_KERNEL);
	bpf_program__set_autoload(skel->progs.cache_alloc_tp, mode == MODE_KERNEL);
	bpf_program__set_autoload(skel->progs.kfree_tp, mode == MODE_KERNEL);
	bpf_program__set_autoload(skel->progs.cache_free_tp, mode == MODE_KERNEL);
}

static int mem_start(struct session *ss)
{
	const struct settings *s = ss->set;
	struct mem_state *st = xcalloc(1, sizeof(*st));
	struct mem_bpf *skel;
	int err;

	ss->priv = st;
	st->mode = s->mem_kernel ? MODE_KERNEL : s->mem_faults ? MODE_FAULTS : MODE_USER;
	skel = SKEL_OPEN(ss, mem);
	if (!skel)
		return bpf_explain("opening the BPF object", -errno);
	st->skel = skel;
	session_add_object(ss, skel->obj);
	skel->rodata->filter_pids = ss->filter_pids;
	skel->rodata->filter_tids = ss->filter_tids;
	skel->rodata->filter_cgroups = session_cgroup_prepare(ss, skel->maps.cgroup_targets);
	skel->rodata->leaf_fix = session_leaf_fix(ss);
	skel->rodata->max_depth = session_stack_depth(ss, skel->maps.stacks_deep,
								 skel->maps.stacks_spill);
	/* Python functions in the user stacks of a CPython process */
	if (st->mode != MODE_KERNEL)
		skel->rodata->python_frames = session_python_prepare(ss, skel->obj);
	/* user stacks from .eh_frame: page faults as CPU samples are, the
	 * allocator probes from the function's entry (kernel allocations
	 * take kernel stacks only) */
	if (st->mode != MODE_KERNEL)
		skel->rodata->cfi_unwind = session_unwind_prepare(ss, skel->maps.unw_rows,
								 skel->maps.unw_procs);
	skel->rodata->sample_every = st->mode == MODE_FAULTS ? 1 : s->mem_sample_every;
	skel->rodata->hold_children = st->mode == MODE_USER && ss->child;
	/* held at exec already, then at the entry point by hold_at_entry */
	ss->no_entry_hold = skel->rodata->hold_children;
	skel->rodata->page_size = sysconf(_SC_PAGESIZE);
	bpf_map__set_max_entries(skel->maps.live, s->mem_max_live);
	/* the array in front: no bigger than --max-live asks for */
	st->live_buckets = LIVE_BUCKETS;
	while (st->live_buckets > 1 && st->live_buckets * MEM_LIVE_WAYS > s->mem_max_live)
		st->live_buckets /= 2;
	session_stacks_max(skel->maps.stacks, skel->maps.stacks_deep, 1 << 18);
	if (st->mode == MODE_KERNEL) {
		/*
		 * A map that allocates as it fills would kmalloc for each insert,
		 * which the kmalloc tracepoint sees: a feedback loop.  Here the
		 * maps are allocated up front instead, smaller by default.
		 */
		bpf_map__set_map_flags(skel->maps.live, 0);
		bpf_map__set_map_flags(skel->maps.stacks, 0);
		bpf_map__set_map_flags(skel->maps.stacks_deep, 0);
		bpf_map__set_map_flags(skel->maps.site_taken, 0);
		bpf_map__set_max_entries(skel->maps.live,
					 s->mem_max_live_set ? s->mem_max_live : KERNEL_MAX_LIVE);
		/* 16,384 short stacks (4 MiB), 2,048 deep ones (8 MiB at the default depth) */
		bpf_map__set_max_entries(skel->maps.stacks, 16384);
		bpf_map__set_max_entries(skel->maps.stacks_deep, 2048);
		st->live_buckets = 1;	/* kernel addresses have no one-word key */
	}
	skel->rodata->live_buckets = st->live_buckets;
	bpf_map__set_max_entries(skel->maps.live_slots, st->live_buckets);
	st->signal_task = st->mode == MODE_USER && ss->follow_forks && can_signal_task();
	set_autoload(skel, st->mode, ss->follow_forks, st->signal_task);
	st->multi = st->mode == MODE_USER && uprobe_multi_supported();
	if (st->multi) {
		uprobe_multi_prepare(skel->progs.alloc_enter);
		uprobe_multi_prepare(skel->progs.alloc_return);
		uprobe_multi_prepare(skel->progs.free_enter);
		uprobe_multi_prepare(skel->progs.munmap_enter);
		uprobe_multi_prepare(skel->progs.hold_entry);
	}

	err = skel_load(skel->skeleton);
	if (err)
		return bpf_explain("loading the BPF programs", err);
	/* uprobes follow their pid, not its children: those are held and probed (on_held) */
	err = session_attach_targets(ss, skel->maps.targets, skel->maps.proc_events,
				     skel->progs.follow_fork, &skel->links.follow_fork,
				     skel->progs.proc_exec, &skel->links.proc_exec);
	if (err)
		return err;

	switch (st->mode) {
	case MODE_USER:
		return mem_start_user(ss, st);
	case MODE_KERNEL:
		return start_kernel(ss, st);
	case MODE_FAULTS:
		return start_faults(ss, st);
	}
	return -EINVAL;
}

static void mem_stop(struct session *ss)
{
	struct mem_state *st = ss->priv;

	if (!st)
		return;
	if (st->skel) {
		/* hold no more, and let go of those held */
		bpf_link__destroy(st->skel->links.hold_fork);
		bpf_link__destroy(st->skel->links.hold_fork_task);
		bpf_link__destroy(st->skel->links.hold_sys_exit);
		bpf_link__destroy(st->skel->links.hold_exec);
		st->skel->links.hold_fork = st->skel->links.hold_sys_exit = NULL;
		st->skel->links.hold_fork_task = NULL;
		st->skel->links.hold_exec = NULL;
		st->stopping = true;
		if (ss->rb)
			ring_buffer__consume(ss->rb);
	}
	/* each multi link waits for the kernel's grace periods, together */
	mem_close_links(st);
	/* each perf-event uprobe waits for them under the kernel's event_mutex:
	 * about 0.1 s a probe on 6.18, in series, from however many threads */
	for (int i = 0; i < st->nlinks; i++) {
		bpf_link__destroy(st->links[i]);
		st->links[i] = NULL;
	}
	if (st->skel) {
		bpf_link__destroy(st->skel->links.kmalloc_tp);
		bpf_link__destroy(st->skel->links.cache_alloc_tp);
		bpf_link__destroy(st->skel->links.kfree_tp);
		bpf_link__destroy(st->skel->links.cache_free_tp);
		st->skel->links.kmalloc_tp = st->skel->links.cache_alloc_tp = NULL;
		st->skel->links.kfree_tp = st->skel->links.cache_free_tp = NULL;
	}
}

static void mem_tick(struct session *ss)
{
	struct mem_state *st = ss->priv;

	if (st && st->nprobed && !st->stopping)
		mem_reap_exited(st);
}

static void describe(struct session *ss, struct mem_state *st, struct profile *p)
{
	unsigned int every = ss->set->mem_sample_every;
	char event[4400], sampled[96] = "";

	if (every > 1)
		snprintf(sampled, sizeof(sampled),
			 "; sampled: 1 in %u allocations tracked, values scaled by %u", every, every);
	switch (st->mode) {
	case MODE_USER:
		snprintf(event, sizeof(event), "allocations in %s (uprobes on the malloc family)%s",
			 st->lib, sampled);
		break;
	case MODE_KERNEL:
		snprintf(event, sizeof(event),
			 "kernel allocations via the kmem tracepoints (kmalloc, kmem_cache_alloc, kfree, "
			 "kmem_cache_free; kprobes %s)%s",
			 st->kprobes ? "available but not needed" : "not available on this kernel",
			 sampled);
		break;
	case MODE_FAULTS:
		snprintf(event, sizeof(event), "page faults (software event, 1 sample per %u)", every);
		break;
	}
	p->event = profile_intern(p, event);
}

static int mem_collect(struct session *ss, struct profile *p)
{
	struct mem_state *st = ss->priv;
	struct site_table t = {};
	struct stack_maps sm;
	uint32_t ids[2 * MAX_STACK_DEPTH + 2];
	int64_t scale = st->mode == MODE_FAULTS ? 1 : ss->set->mem_sample_every;
	int64_t period = ss->set->mem_sample_every;
	/* ages at the window's end: the stop, or now for a window before it */
	uint64_t end = ss->stop_ns ? ss->stop_ns : now_ns();

	describe(ss, st, p);
	if (st->mode == MODE_FAULTS) {
		profile_add_type(p, "faults", "count");
		p->default_type = 0;
		p->period_type = (struct sample_type){ profile_intern(p, "faults"),
						       profile_intern(p, "count") };
		p->period = period;
	} else {
		int inuse;

		profile_add_type(p, "alloc_objects", "count");
		profile_add_type(p, "alloc_space", "bytes");
		profile_add_type(p, "inuse_objects", "count");
		inuse = profile_add_type(p, "inuse_space", "bytes");
		profile_add_type(p, "inuse_age", "nanoseconds");
		p->combine[4] = COMBINE_MAX;
		p->default_type = inuse;
		profile_add_stack_table(p, "Possible leaks (outstanding at the end, by bytes)", 3, 2, 4);
		profile_add_stack_table(p, "Top sites by allocated bytes", 1, 0, -1);
	}

	if (!st->windows)
		st->windows = deltas_new(sizeof(struct mem_site), 2);
	mem_read_sites(bpf_map__fd(st->skel->maps.sites), bpf_map__fd(st->skel->maps.site_sums), &t,
		       st->windows, ss->whole_run);
	if (st->mode != MODE_FAULTS) {
		size_t ncuts = 0;
		struct mem_cut *cuts = mem_read_cuts(bpf_map__fd(st->skel->maps.unmaps), &ncuts);

		mem_read_live(bpf_map__fd(st->skel->maps.live), &t, cuts, ncuts);
		mem_read_live_slots(bpf_map__fd(st->skel->maps.live_slots), st->live_buckets, &t,
				    cuts, ncuts);
		free(cuts);
	}

	stack_maps_init(&sm, st->skel->maps.stacks, st->skel->maps.stacks_deep,
			st->skel->maps.stacks_spill);
	for (size_t i = 0; i < t.n; i++) {
		const struct site *s = &t.v[i];
		uint32_t n = 0;

		if (!s->alloc_count && !s->inuse_count)
			continue;	/* nothing in this window */

		/* a leak named from the mappings of the program that allocated it */
		session_add_stack(p, &sm, s->stack, st->mode == MODE_KERNEL ? FRAME_KERNEL : FRAME_USER,
				  s->pid, s->life, true, ids, &n);
		if (st->mode == MODE_FAULTS) {
			profile_add_sample(p, ids, n, s->pid, 0, s->comm,
					   (int64_t[]){ (int64_t)s->alloc_count * period });
			continue;
		}
		profile_add_sample(p, ids, n, s->pid, 0, s->comm[0] ? s->comm : "?",
				   (int64_t[]){ (int64_t)s->alloc_count * scale,
						(int64_t)s->alloc_bytes * scale,
						(int64_t)s->inuse_count * scale,
						(int64_t)s->inuse_bytes * scale,
						s->oldest_ts && end > s->oldest_ts ?
							(int64_t)(end - s->oldest_ts) : 0 });
	}
	site_table_free(&t);
	stack_maps_release(&sm);
	session_read_drops(ss, st->skel->maps.drops, p, "--max-live");
	if (st->skel->bss->unmaps_lost)
		profile_add_loss(p, "munmaps not kept (no room)", st->skel->bss->unmaps_lost,
				 "regions they cut into count as still mapped");
	if (st->unfollowed + st->skel->bss->unfollowed)
		profile_add_loss(p, "child processes not followed",
				 st->unfollowed + st->skel->bss->unfollowed,
				 "their allocations are missing (see the warning above)");
	return 0;
}

static void mem_destroy(struct session *ss)
{
	struct mem_state *st = ss->priv;

	if (!st)
		return;
	mem_stop(ss);
	free(st->links);
	free(st->link_fds);
	free(st->probed);
	alloc_files_free(st->files);
	deltas_free(st->windows);
	mem_bpf__destroy(st->skel);
	free(st);
	ss->priv = NULL;
}

const struct collector mem_collector = {
	.name = "mem",
	.summary = "allocations and leaks: malloc family, kernel kmalloc (--kernel), page faults",
	.usage =
		"      --kernel           kernel allocations (kmalloc, kmem_cache_alloc) instead,\n"
		"                         through the kmem tracepoints, with kernel stacks\n"
		"      --faults           page faults instead, sampled with user stacks\n"
		"      --lib PATH         the allocator to probe (default: found in the target's\n"
		"                         mappings: the binary if it defines malloc, a preloaded\n"
		"                         allocator, else libc)\n"
		"      --prefix P         allocator symbols carry a prefix, like je_ (je_malloc)\n"
		"      --sample-every N   track 1 in N allocations (random), values scaled by N;\n"
		"                         with --faults: one sample per N faults\n"
		"      --max-live N       room for N live allocations in the kernel (default\n"
		"                         1048576; 262144 preallocated with --kernel)\n"
		"With -- CMD its children are followed: each is held (SIGSTOP) at fork and exec\n"
		"until its allocator is probed, and at its program's entry point until its\n"
		"unwind tables are made, then let go (SIGCONT).\n"
		"Sample types (--value): inuse_space (default), inuse_objects, alloc_space,\n"
		"alloc_objects, inuse_age (oldest outstanding), faults (with --faults)\n",
	.default_format = "report",
	.no_samples = "no allocation by the targets was seen: a program that does not call "
		"the probed allocator (a static binary, its own allocator: --lib PATH and "
		"--prefix) or that allocated nothing during the run; try a longer -d",
	.value_names = "inuse_space inuse_objects alloc_space alloc_objects inuse_age faults",
	.shortopts = "",
	.longopts = mem_longopts,
	.parse = mem_parse,
	.validate = mem_validate,
	.start = mem_start,
	.stop = mem_stop,
	.tick = mem_tick,
	.collect = mem_collect,
	.destroy = mem_destroy,
};
