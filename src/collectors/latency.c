// SPDX-License-Identifier: GPL-2.0
/*
 * profiler latency: how long functions take, from entry to return.
 * User functions through a uprobe and a uretprobe each, system calls
 * through the raw syscall tracepoints, kernel functions through kprobes or
 * fentry/fexit where the kernel has them (bpf/latency.bpf.c).  Per
 * function a log2 histogram, totals per caller (--by), and the calls
 * slower than --slow; src/collectors/latency_read.c turns them into the
 * profile.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "latency.h"
#include "latency.skel.h"
#include "collectors/collector.h"
#include "collectors/latency_read.h"
#include "runtime/load_heap.h"
#include "runtime/runtime.h"
#include "runtime/uprobe_multi.h"
#include "util/util.h"

#define DEFAULT_MAX_FUNCS 100
#define KPROBE_PMU "/sys/bus/event_source/devices/kprobe"

enum { OPT_BY = 1201, OPT_SLOW, OPT_MAX_FUNCS };

static const struct option latency_longopts[] = {
	{ "interval", required_argument, NULL, 'i' },
	{ "by", required_argument, NULL, OPT_BY },
	{ "slow", required_argument, NULL, OPT_SLOW },
	{ "max-funcs", required_argument, NULL, OPT_MAX_FUNCS },
	{ NULL, 0, NULL, 0 },
};

static const char *const by_names[] = { "caller", "stack", "tid", "pid" };

/* "10ms", "250us", "1.5s", "800ns"; a bare number is milliseconds. */
static int parse_duration_ms(const char *arg, double *ms)
{
	static const struct { const char *unit; double ms; } units[] = {
		{ "ns", 1e-6 }, { "us", 1e-3 }, { "ms", 1 }, { "s", 1e3 }, { "", 1 },
	};
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || v <= 0)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(end, units[i].unit)) {
			*ms = v * units[i].ms;
			return 0;
		}
	return -EINVAL;
}

static int latency_parse(struct settings *s, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case 'i':
		if (parse_seconds(arg, &s->interval) || s->interval < 0.01) {
			pr_err("invalid interval '%s': give seconds, for example -i 1", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_BY:
		for (size_t i = 0; i < ARRAY_SIZE(by_names); i++)
			if (!strcmp(arg, by_names[i])) {
				s->lat_by = (int)i;
				return 0;
			}
		pr_err("invalid --by '%s': choose caller, stack, tid or pid", arg);
		return -EINVAL;
	case OPT_SLOW:
		if (parse_duration_ms(arg, &s->slow_ms)) {
			pr_err("invalid --slow '%s': give a duration, for example --slow 10ms or 500us",
			       arg);
			return -EINVAL;
		}
		return 0;
	case OPT_MAX_FUNCS:
		if (parse_u64(arg, 1, LAT_MAX_FUNCS, &v)) {
			pr_err("invalid --max-funcs '%s': give a number from 1 to %d", arg,
			       LAT_MAX_FUNCS);
			return -EINVAL;
		}
		s->lat_max_funcs = v;
		return 0;
	}
	return -EINVAL;
}

static int latency_validate(struct settings *s)
{
	if (!s->noperands) {
		pr_err("profiler latency needs a SPEC: a function (FUNC, FILE:FUNC, libc:malloc), "
		       "syscall:NAME or kernel:FUNC");
		return -EINVAL;
	}
	if (!s->lat_max_funcs)
		s->lat_max_funcs = DEFAULT_MAX_FUNCS;
	return 0;
}

/* Where FUNC and LIB:FUNC are looked for: the -p process, the command, -t's process. */
static void target_of(struct session *ss, struct lat_target *t, char *exe, size_t size,
		      char *name, size_t name_size)
{
	const struct settings *s = ss->set;
	pid_t pid = s->npids ? s->pids[0] : s->ntids ? (pid_t)proc_tgid(s->tids[0]) : 0;
	char *cmd;

	*t = (struct lat_target){ .pid = pid };
	if (pid) {
		ssize_t n;

		/* opened by the link (a deleted program, or one in another root,
		 * still opens), named by where it points */
		snprintf(exe, size, "/proc/%d/exe", pid);
		n = readlink(exe, name, name_size - 1);
		name[n > 0 ? n : 0] = '\0';
		t->exe = exe;
		t->exe_name = n > 0 ? name : NULL;
	} else if (s->cmd && (cmd = command_path(s->cmd[0]))) {
		/* not exec'd yet: its libraries will be ours, as mem assumes */
		snprintf(exe, size, "%s", cmd);
		free(cmd);
		t->exe = exe;
	}
}

static void add_link(struct lat_state *st, struct bpf_link *l)
{
	GROW(st->links, st->links_cap, st->nlinks + 1);
	st->links[st->nlinks++] = l;
}

/* A uprobe and a uretprobe on function i, for process pid (-1: all). */
static int attach_user(struct lat_state *st, size_t i, pid_t pid)
{
	const struct lat_func *f = &st->funcs.v[i];
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", f->fd);
	for (int r = 0; r <= 1; r++) {
		LIBBPF_OPTS(bpf_uprobe_opts, o, .retprobe = r, .bpf_cookie = i);
		const struct bpf_program *prog = r ? st->skel->progs.lat_return
						   : st->skel->progs.lat_enter;
		struct bpf_link *l = NULL;

		if (st->multi) {
			uint64_t cookie = i;
			int fd = uprobe_multi_attach(prog, pid, path, &f->offset, &cookie, 1, r);

			if (fd >= 0) {
				GROW(st->link_fds, st->link_fds_cap, st->nlink_fds + 1);
				st->link_fds[st->nlink_fds++] = fd;
				continue;
			}
			errno = -fd;
		} else {
			l = bpf_program__attach_uprobe_opts(prog, pid, path, f->offset, &o);
		}
		if (!l) {
			int err = -errno;

			pr_err("cannot attach a uprobe to %s in %s: %s", f->name, f->file,
			       strerror(-err));
			return err;
		}
		add_link(st, l);
	}
	return 0;
}

static int attach_kprobes(struct lat_state *st, size_t i)
{
	const struct lat_func *f = &st->funcs.v[i];

	for (int r = 0; r <= 1; r++) {
		LIBBPF_OPTS(bpf_kprobe_opts, o, .retprobe = r,
			    .bpf_cookie = LAT_COOKIE_KERNEL | i);
		struct bpf_link *l = bpf_program__attach_kprobe_opts(
			r ? st->skel->progs.lat_return : st->skel->progs.lat_enter, f->name, &o);

		if (!l) {
			int err = -errno;

			pr_err("cannot attach a kprobe to kernel:%s: %s", f->name, strerror(-err));
			return err;
		}
		add_link(st, l);
	}
	return 0;
}

/*
 * How kernel functions are timed here: kprobes where the kernel has them
 * (any number, by cookie), else fentry/fexit for one function.  Without
 * either, one line that names what is missing.
 */
static int kernel_method(struct lat_state *st, const char **why)
{
	size_t nkern = 0, first = 0;

	for (size_t i = 0; i < st->funcs.n; i++)
		if (st->funcs.v[i].kind == LAT_KERNEL && !nkern++)
			first = i;
	if (!nkern)
		return 0;
	/* BTF names every kernel function fentry or a kprobe could attach to */
	for (size_t i = 0; i < st->funcs.n; i++)
		if (st->funcs.v[i].kind == LAT_KERNEL &&
		    libbpf_find_vmlinux_btf_id(st->funcs.v[i].name, BPF_TRACE_FENTRY) < 0) {
			pr_err("no kernel function '%s' in the kernel's BTF: check the name "
			       "(grep -w %s /proc/kallsyms)", st->funcs.v[i].name, st->funcs.v[i].name);
			return -ENOENT;
		}
	st->kern_first = first;
	if (access(KPROBE_PMU, F_OK) == 0) {
		st->kmode = LAT_KMODE_KPROBE;
		return 0;
	}
	*why = "no kprobes (CONFIG_KPROBES is off: no " KPROBE_PMU ")";
	if (nkern > 1) {
		pr_err("kernel: needs kprobes for more than one function, and this kernel has %s: "
		       "time one kernel function (fentry/fexit) per run", *why);
		return -EOPNOTSUPP;
	}
	st->kmode = LAT_KMODE_FENTRY;
	return 0;
}

static int load(struct session *ss, struct lat_state *st)
{
	const struct settings *s = ss->set;
	struct latency_bpf *skel = SKEL_OPEN(ss, latency);
	double secs = s->duration > 0 ? s->duration : 60;
	bool sys = false;
	int err;

	if (!skel)
		return -errno;
	st->skel = skel;
	for (size_t i = 0; i < st->funcs.n; i++)
		sys |= st->funcs.v[i].kind == LAT_SYSCALL;
	skel->rodata->filter_pids = ss->filter_pids;
	skel->rodata->filter_tids = ss->filter_tids;
	skel->rodata->filter_cgroups = session_cgroup_prepare(ss, skel->maps.cgroup_targets);
	skel->rodata->leaf_fix = session_leaf_fix(ss);
	skel->rodata->cfi_unwind = session_unwind_prepare(ss, skel->maps.unw_rows, skel->maps.unw_procs);
	skel->rodata->max_depth = session_stack_depth(ss, skel->maps.stacks_deep,
								 skel->maps.stacks_spill);
	skel->rodata->by_mode = s->lat_by;
	skel->rodata->slow_ns = (uint64_t)(s->slow_ms * 1e6);
	skel->rodata->kern_func = st->kern_first;
	bpf_map__set_max_entries(skel->maps.hists, st->funcs.n);
	/* callers: one entry per (function, process, call site), about as io's submitters */
	bpf_map__set_max_entries(skel->maps.by, map_size((uint64_t)(secs * 1000), 16384, 1 << 20));
	bpf_program__set_autoload(skel->progs.lat_sys_enter, sys);
	bpf_program__set_autoload(skel->progs.lat_sys_exit, sys);
	bpf_program__set_autoload(skel->progs.lat_fentry, st->kmode == LAT_KMODE_FENTRY);
	bpf_program__set_autoload(skel->progs.lat_fexit, st->kmode == LAT_KMODE_FENTRY);
	bpf_program__set_autoload(skel->progs.follow_fork, ss->follow_forks);
	/* user functions as multi-uprobe links, unless the same programs time
	 * kernel functions by kprobe (a perf event's) */
	st->multi = st->kmode != LAT_KMODE_KPROBE && uprobe_multi_supported();
	if (st->multi) {
		uprobe_multi_prepare(skel->progs.lat_enter);
		uprobe_multi_prepare(skel->progs.lat_return);
	}
	if (st->kmode == LAT_KMODE_FENTRY) {
		const char *fn = st->funcs.v[st->kern_first].name;

		if ((err = bpf_program__set_attach_target(skel->progs.lat_fentry, 0, fn)) ||
		    (err = bpf_program__set_attach_target(skel->progs.lat_fexit, 0, fn)))
			return err;
	}
	err = skel_load(skel->skeleton);
	if (err)
		return err;
	if (st->kmode == LAT_KMODE_FENTRY &&
	    (!(skel->links.lat_fentry = bpf_program__attach(skel->progs.lat_fentry)) ||
	     !(skel->links.lat_fexit = bpf_program__attach(skel->progs.lat_fexit))))
		return -errno;
	return 0;
}

static int attach_all(struct session *ss, struct lat_state *st)
{
	const struct settings *s = ss->set;
	int fd = bpf_map__fd(st->skel->maps.sys_funcs), err;

	for (size_t i = 0; i < st->funcs.n; i++) {
		const struct lat_func *f = &st->funcs.v[i];
		__u32 id = i + 1, nr = f->nr;

		switch (f->kind) {
		case LAT_SYSCALL:
			if (f->nr >= 1024 || bpf_map_update_elem(fd, &nr, &id, BPF_ANY))
				return bpf_explain("filling the system call map", -errno);
			break;
		case LAT_KERNEL:
			if (st->kmode == LAT_KMODE_KPROBE && (err = attach_kprobes(st, i)))
				return err;
			break;
		case LAT_USER:
			/* a uprobe per process: each process's threads, not its
			 * children (-a: every process that maps the file) */
			if (s->npids) {
				for (int k = 0; k < s->npids; k++)
					if ((err = attach_user(st, i, s->pids[k])))
						return err;
			} else if ((err = attach_user(st, i, ss->child ? ss->child :
							  s->ntids ? (pid_t)proc_tgid(s->tids[0]) : -1))) {
				return err;
			}
			break;
		}
	}
	if (!(st->skel->links.lat_thread_exit = bpf_program__attach(st->skel->progs.lat_thread_exit)))
		return bpf_explain("attaching sched_process_exit", -errno);
	if (st->skel->progs.lat_sys_enter && bpf_program__autoload(st->skel->progs.lat_sys_enter) &&
	    (!(st->skel->links.lat_sys_enter = bpf_program__attach(st->skel->progs.lat_sys_enter)) ||
	     !(st->skel->links.lat_sys_exit = bpf_program__attach(st->skel->progs.lat_sys_exit))))
		return bpf_explain("attaching the sys_enter and sys_exit tracepoints", -errno);
	return 0;
}

static int latency_start(struct session *ss)
{
	const struct settings *s = ss->set;
	struct lat_state *st = xcalloc(1, sizeof(*st));
	const char *why = NULL;
	struct lat_target t;
	char exe[4096], exe_name[4096];
	struct timespec mono, real;
	int err;

	ss->priv = st;
	target_of(ss, &t, exe, sizeof(exe), exe_name, sizeof(exe_name));
	for (int i = 0; i < s->noperands; i++)
		if ((err = lat_spec_add(&st->funcs, s->operands[i], &t, s->lat_max_funcs)))
			return err;
	if (st->funcs.n > LAT_MAX_FUNCS) {
		pr_err("%zu functions to time, more than %d: give fewer specs or narrower globs",
		       st->funcs.n, LAT_MAX_FUNCS);
		return -E2BIG;
	}
	if ((err = kernel_method(st, &why)))
		return err;
	err = load(ss, st);
	if (err && st->kmode == LAT_KMODE_FENTRY) {
		pr_err("kernel:%s needs kprobes or fentry/fexit, and this kernel has neither: %s, "
		       "and fentry/fexit refused (%s)", st->funcs.v[st->kern_first].name, why,
		       strerror(-err));
		return -EOPNOTSUPP;
	}
	if (err)
		return bpf_explain("loading the latency programs", err);
	session_add_object(ss, st->skel->obj);
	err = session_attach_targets(ss, st->skel->maps.targets, st->skel->maps.proc_events,
				     st->skel->progs.follow_fork, &st->skel->links.follow_fork,
				     st->skel->progs.proc_exec, &st->skel->links.proc_exec);
	if (err)
		return err;
	if (s->slow_ms > 0) {
		err = ring_buffer__add(ss->rb, bpf_map__fd(st->skel->maps.slow_events),
				       latency_on_slow, st);
		if (err)
			return bpf_explain("opening the slow-call ring buffer", err);
	}
	if ((err = attach_all(ss, st)))
		return err;
	st->skel->bss->active = 1;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	st->mono_to_real = (real.tv_sec - mono.tv_sec) * 1000000000LL + real.tv_nsec - mono.tv_nsec;
	st->prev = xcalloc(st->funcs.n, sizeof(*st->prev));
	if (s->interval > 0)
		ss->interval_ns = (uint64_t)(s->interval * 1e9);
	pr_debug("latency: %zu functions%s", st->funcs.n,
		 st->kmode == LAT_KMODE_KPROBE ? ", kernel ones by kprobes" :
		 st->kmode == LAT_KMODE_FENTRY ? ", the kernel one by fentry/fexit" : "");
	return 0;
}

static void latency_stop(struct session *ss)
{
	struct lat_state *st = ss->priv;

	if (!st)
		return;
	if (st->skel && st->skel->bss)
		st->skel->bss->active = 0;
	/* each multi link waits for the kernel's grace periods, together */
	links_close_all(st->link_fds, st->nlink_fds);
	/* each perf-event probe waits for them: about 0.1 s a probe on 6.18, in series */
	for (size_t i = 0; i < st->nlinks; i++) {
		bpf_link__destroy(st->links[i]);
		st->links[i] = NULL;
	}
	if (st->skel) {
		bpf_link__destroy(st->skel->links.lat_sys_enter);
		bpf_link__destroy(st->skel->links.lat_sys_exit);
		bpf_link__destroy(st->skel->links.lat_fentry);
		bpf_link__destroy(st->skel->links.lat_fexit);
		st->skel->links.lat_sys_enter = st->skel->links.lat_sys_exit = NULL;
		st->skel->links.lat_fentry = st->skel->links.lat_fexit = NULL;
	}
}

static void latency_destroy(struct session *ss)
{
	struct lat_state *st = ss->priv;

	if (!st)
		return;
	latency_stop(ss);
	free(st->links);
	free(st->link_fds);
	latency_bpf__destroy(st->skel);
	lat_funcs_free(&st->funcs);
	free(st->prev);
	free(st->slow);
	free(st);
	ss->priv = NULL;
}

const struct collector latency_collector = {
	.name = "latency",
	.summary = "how long functions take, entry to return: histograms, callers, slow calls",
	.operands = "SPEC...",
	.usage =
		"SPEC is one of:\n"
		"  FUNC                   a function of the target's program (-p PID, -- COMMAND)\n"
		"  FILE:FUNC              FILE a path inside the target's root, or a library\n"
		"                         the target maps, by name: libc:malloc, libssl:SSL_read\n"
		"                         FUNC may be a glob (libfoo:parse_*)\n"
		"  syscall:NAME           a system call (raw syscall tracepoints)\n"
		"  kernel:FUNC            a kernel function (kprobes, or fentry/fexit for one)\n"
		"  -i, --interval SECS    one report per interval (default: one at the end)\n"
		"      --by WHAT          totals per caller (default: the calling function),\n"
		"                         stack (the caller's whole stack), tid or pid\n"
		"      --slow DURATION    list every call slower than DURATION (10ms, 500us)\n"
		"                         with its time, thread and stack\n"
		"      --max-funcs N      functions one glob may time (default 100, at most 1024)\n"
		"Per function: calls, total, a log2 histogram with p50/p95/p99 (estimates within\n"
		"a bucket) and max, and calls that never returned (longjmp, exceptions, thread\n"
		"exit).  Recursion and threads pair each return with its own entry; calls nested\n"
		"deeper than 32 in one thread are counted, not timed.  With -- COMMAND or -p the\n"
		"probes are on those processes (their threads, not their children); -a times\n"
		"every process that runs the function.\n"
		"Sample types (--value): calls (default), latency (nanoseconds)\n",
	.default_format = "report",
	.no_samples = "no timed function was called by the targets during the run: check "
		"that the program reaches it (a library function is FILE:FUNC, like libc:malloc), "
		"or try a longer -d",
	.value_names = "calls latency",
	.shortopts = "i:",
	.longopts = latency_longopts,
	.parse = latency_parse,
	.validate = latency_validate,
	.start = latency_start,
	.stop = latency_stop,
	.collect = latency_collect,
	.destroy = latency_destroy,
};
