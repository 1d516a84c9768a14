// SPDX-License-Identifier: GPL-2.0
/*
 * profiler io: block I/O latency per disk and operation as histograms,
 * the processes and code paths that submitted the I/O, and the requests
 * slower than a threshold.  The BPF side (bpf/io.bpf.c) takes the
 * submitter at block_io_start and times each request from issue to
 * completion.  Kernels before 6.5 have no block_io_start: there the
 * submitter is taken at block_getrq, under the request's first bio.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "io.h"
#include "io.skel.h"
#include "collectors/collector.h"
#include "collectors/disks.h"
#include "runtime/deltas.h"
#include "runtime/drop_counts.h"
#include "runtime/load_heap.h"
#include "runtime/preflight.h"
#include "runtime/python.h"
#include "runtime/runtime.h"
#include "runtime/stack_prune.h"
#include "util/util.h"

/* Forces the raw_tp programs, for kernels (and tests) without tp_btf. */
#define RAW_TP_ENV "PROFILER_IO_RAW_TP"
/* Takes submitters at block_getrq as kernels before 6.5 must (for the tests). */
#define GETRQ_ENV "PROFILER_IO_GETRQ"

/* start, insert, issue, complete, getrq: each as tp_btf and as raw_tp */
#define NPROGS 5

static const char *const op_names[IO_OP_MAX] = { "read", "write", "flush", "discard", "other" };

struct io_state {
	struct io_bpf *skel;
	bool raw_tp;			/* the raw_tp programs are the ones loaded */
	bool at_getrq;			/* no block_io_start (before 6.5): block_getrq */
	uint32_t dev;			/* --disk */
	struct bpf_link *links[NPROGS];
	struct ring_buffer *slow_rb;	/* owned by the session's ring buffer */
	struct io_slow_event *slow;	/* since the last collect */
	size_t nslow, slow_cap;
	uint64_t lost_before[IO_DROP_MAX];
	struct deltas *hist_windows;	/* handed over so far, per histogram */
	struct deltas *attr_windows;	/* ... per submitter and stack */
	struct stack_prune *prune;	/* user stacks to delete once their process exits */
	int64_t mono_to_real;		/* CLOCK_REALTIME - CLOCK_MONOTONIC */
};

static const struct option io_longopts[] = {
	{ "interval", required_argument, NULL, 'i' },
	{ "disk", required_argument, NULL, 1101 },
	{ "queued", no_argument, NULL, 1102 },
	{ "slow", required_argument, NULL, 1103 },
	{ NULL, 0, NULL, 0 },
};

static int io_parse(struct settings *s, int opt, const char *arg)
{
	switch (opt) {
	case 'i':
		if (parse_seconds(arg, &s->interval) || s->interval < 0.01) {
			pr_err("invalid interval '%s': give seconds, for example -i 1", arg);
			return -EINVAL;
		}
		return 0;
	case 1101:
		s->disk = arg;
		return 0;
	case 1102:
		s->queued = true;
		return 0;
	case 1103:
		if (parse_seconds(arg, &s->slow_ms) || s->slow_ms <= 0) {
			pr_err("invalid --slow '%s': give milliseconds, for example --slow 10", arg);
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

static int io_validate(struct settings *s)
{
	uint32_t dev;

	if (s->disk && disk_dev(s->disk, &dev)) {
		char *list = disk_list();

		pr_err("no disk named '%s': choose one of: %s", s->disk, list);
		free(list);
		return -EINVAL;
	}
	return 0;
}

static int on_slow(void *ctx, void *data, size_t size)
{
	struct io_state *st = ctx;

	if (size < sizeof(struct io_slow_event))
		return 0;
	GROW(st->slow, st->slow_cap, st->nslow + 1);
	memcpy(&st->slow[st->nslow++], data, sizeof(*st->slow));
	return 0;
}

/* Open and load one set of programs: tp_btf, or raw_tp when raw. */
static int io_load(struct session *ss, struct io_state *st, bool raw)
{
	const struct settings *s = ss->set;
	struct io_bpf *skel = SKEL_OPEN(ss, io);
	struct bpf_program *btf[] = { skel ? skel->progs.btf_start : NULL,
				      skel ? skel->progs.btf_insert : NULL,
				      skel ? skel->progs.btf_issue : NULL,
				      skel ? skel->progs.btf_complete : NULL,
				      skel ? skel->progs.btf_getrq : NULL };
	struct bpf_program *rawp[] = { skel ? skel->progs.raw_start : NULL,
				       skel ? skel->progs.raw_insert : NULL,
				       skel ? skel->progs.raw_issue : NULL,
				       skel ? skel->progs.raw_complete : NULL,
				       skel ? skel->progs.raw_getrq : NULL };
	double secs = s->duration > 0 ? s->duration : 60;
	int err;

	if (!skel)
		return -errno;
	st->skel = skel;
	st->raw_tp = raw;
	skel->rodata->filter_pids = ss->filter_pids;
	skel->rodata->leaf_fix = session_leaf_fix(ss);
	skel->rodata->cfi_unwind = session_unwind_prepare(ss, skel->maps.unw_rows, skel->maps.unw_procs);
	skel->rodata->max_depth = session_stack_depth(ss, skel->maps.stacks_deep,
								 skel->maps.stacks_spill);
	skel->rodata->python_frames = session_python_prepare(ss, skel->obj);
	skel->rodata->filter_tids = ss->filter_tids;
	skel->rodata->filter_cgroups = session_cgroup_prepare(ss, skel->maps.cgroup_targets);
	skel->rodata->filter_dev = st->dev;
	skel->rodata->queued = s->queued;
	skel->rodata->slow_ns = (uint64_t)(s->slow_ms * 1e6);
	skel->rodata->at_getrq = st->at_getrq;
	for (int i = 0; i < NPROGS; i++) {
		/* block_rq_insert only for --queued; block_io_start where it
		 * exists, else block_getrq */
		bool want = i == 1 ? s->queued : i == 0 ? !st->at_getrq :
			    i == 4 ? st->at_getrq : true;

		bpf_program__set_autoload(btf[i], want && !raw);
		bpf_program__set_autoload(rawp[i], want && raw);
	}
	bpf_program__set_autoload(skel->progs.follow_fork, ss->follow_forks);
	/* bios is read only through block_getrq: 65,536 preallocated
	 * submitters were 19 ms of system time at every start (strace -T) */
	if (!st->at_getrq)
		bpf_map__set_max_entries(skel->maps.bios, 1);
	/* One stack pair per submitting code path: sized like cpu's for 1k requests/s. */
	bpf_map__set_max_entries(skel->maps.attr, map_size((uint64_t)(secs * 1000), 8192, 262144));
	session_stacks_max(skel->maps.stacks, skel->maps.stacks_deep,
			   map_size((uint64_t)(secs * 2000), 16384, 1 << 20));
	err = skel_load(skel->skeleton);
	if (err)
		return err;
	for (int i = 0; i < NPROGS; i++) {
		struct bpf_program *prog = raw ? rawp[i] : btf[i];

		if (!bpf_program__autoload(prog))
			continue;
		st->links[i] = bpf_program__attach(prog);
		if (!st->links[i])
			return -errno;
	}
	return 0;
}

static void io_unload(struct io_state *st)
{
	for (int i = 0; i < NPROGS; i++) {
		bpf_link__destroy(st->links[i]);
		st->links[i] = NULL;
	}
	io_bpf__destroy(st->skel);
	st->skel = NULL;
}

static int io_start(struct session *ss)
{
	const struct settings *s = ss->set;
	struct io_state *st = xcalloc(1, sizeof(*st));
	const char *force = getenv(RAW_TP_ENV), *getrq = getenv(GETRQ_ENV);
	struct timespec mono, real;
	struct io_bpf *skel;
	int err = -EINVAL;

	ss->priv = st;
	st->prune = stack_prune_new();
	if (s->disk && disk_dev(s->disk, &st->dev))
		return -ENOENT;	/* checked in validate; gone since */
	/* every tracepoint has a btf_trace_NAME typedef in the kernel's BTF */
	st->at_getrq = (getrq && *getrq && strcmp(getrq, "0")) ||
		       !kernel_has_tracepoint("block_io_start");
	if (st->at_getrq)
		pr_debug("io: no block_io_start tracepoint (kernel before 6.5): "
			 "submitters taken at block_getrq");
	/*
	 * tp_btf first: typed arguments, no tracefs.  A kernel that refuses
	 * tracing programs gets the raw_tp twins of the same code.
	 */
	if (!(force && *force && strcmp(force, "0"))) {
		err = io_load(ss, st, false);
		if (err) {
			pr_debug("io: tp_btf programs refused (%s): using raw_tp", strerror(-err));
			io_unload(st);
		}
	}
	if (err && (err = io_load(ss, st, true)))
		return bpf_explain("loading the block I/O programs", err);
	pr_debug("io: attached %s programs", st->raw_tp ? "raw_tp" : "tp_btf");
	skel = st->skel;
	session_add_object(ss, skel->obj);

	err = session_attach_targets(ss, skel->maps.targets, skel->maps.proc_events,
				     skel->progs.follow_fork, &skel->links.follow_fork,
				     skel->progs.proc_exec, &skel->links.proc_exec);
	if (err)
		return err;
	if (s->slow_ms > 0) {
		err = ring_buffer__add(ss->rb, bpf_map__fd(skel->maps.slow_events), on_slow, st);
		if (err)
			return bpf_explain("opening the slow-request ring buffer", err);
	}
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	st->mono_to_real = (real.tv_sec - mono.tv_sec) * 1000000000LL + real.tv_nsec - mono.tv_nsec;
	if (s->interval > 0)
		ss->interval_ns = (uint64_t)(s->interval * 1e9);
	return 0;
}

static void io_stop(struct session *ss)
{
	struct io_state *st = ss->priv;

	if (!st)
		return;
	for (int i = 0; i < NPROGS; i++) {
		bpf_link__destroy(st->links[i]);
		st->links[i] = NULL;
	}
}

struct hist_entry {
	struct io_hist_key key;
	struct io_hist val;
	char disk[64];
};

static int cmp_hist(const void *a, const void *b)
{
	const struct hist_entry *x = a, *y = b;
	int c = strcmp(x->disk, y->disk);

	if (c)
		return c;
	if (x->key.op != y->key.op)
		return x->key.op - y->key.op;
	return x->key.kind - y->key.kind;
}

static void collect_hists(struct io_state *st, struct profile *p, bool whole)
{
	int fd = bpf_map__fd(st->skel->maps.hists);
	struct hist_entry *e = NULL;
	struct io_hist_key *keys;
	struct io_hist *vals;
	long nkeys = map_read_all(fd, sizeof(*keys), sizeof(*vals), (void **)&keys, (void **)&vals);
	size_t n = 0;

	/*
	 * Read, not deleted: what came since the last collect is the growth
	 * of each counter (deltas.h).  A deleted entry loses the additions a
	 * program makes through a pointer it looked up before the delete.
	 * The longest request of a window is known only when it is the
	 * run's longest so far (else 0).
	 */
	if (!st->hist_windows)
		st->hist_windows = deltas_new(sizeof(*keys), sizeof(struct io_hist) / sizeof(__u64));
	e = xcalloc(nkeys ? nkeys : 1, sizeof(*e));
	for (long i = 0; i < nkeys; i++) {
		uint64_t max_ns;

		e[n].val = vals[i];
		max_ns = e[n].val.max_ns;
		if (!deltas_take(st->hist_windows, &keys[i], (uint64_t *)&e[n].val, whole))
			continue;
		if (!whole)
			e[n].val.max_ns = e[n].val.max_ns ? max_ns : 0;
		e[n].key = keys[i];
		disk_name(keys[i].dev, e[n].disk, sizeof(e[n].disk));
		n++;
	}
	qsort(e, n, sizeof(*e), cmp_hist);
	for (size_t i = 0; i < n; i++) {
		char name[160];
		struct histogram *h;
		size_t hi;

		snprintf(name, sizeof(name), "%s %s, %s", e[i].disk,
			 op_names[e[i].key.op < IO_OP_MAX ? e[i].key.op : IO_OP_OTHER],
			 e[i].key.kind == IO_KIND_QUEUED ? "queued (insert to issue)"
							 : "latency (issue to completion)");
		hi = profile_add_histogram(p, name, "nanoseconds", IO_HIST_SCALE_NS);
		h = &p->hists[hi];	/* after the call: it may move p->hists */
		for (int k = 0; k < IO_HIST_SLOTS; k++)
			h->buckets[k] = e[i].val.slots[k];
		h->count = e[i].val.count;
		h->sum = e[i].val.sum_ns;
		h->max = e[i].val.max_ns;
	}
	free(keys);
	free(vals);
	free(e);
}

static void collect_attr(struct session *ss, struct io_state *st, struct profile *p, bool whole)
{
	/* exits noted before the counts are read: those processes submitted all they will */
	uint64_t mark = session_exit_mark(ss);
	bool forget = session_may_forget(ss);
	int fd = bpf_map__fd(st->skel->maps.attr);
	struct io_attr_key *keys;
	struct io_attr_val *vals;
	/* in batches: a key and a lookup per entry were most of io's cost in top */
	long nkeys = map_read_all(fd, sizeof(*keys), sizeof(*vals), (void **)&keys, (void **)&vals);
	uint32_t ids[2 * MAX_STACK_DEPTH + 2];
	struct stack_maps sm;

	stack_maps_init(&sm, st->skel->maps.stacks, st->skel->maps.stacks_deep,
			st->skel->maps.stacks_spill);
	for (long i = 0; i < nkeys; i++) {
		struct io_attr_key *k = &keys[i];
		struct io_attr_val v = vals[i];
		uint32_t n = 0;

		if (!st->attr_windows)
			st->attr_windows = deltas_new(sizeof(*k), 3);
		if (!deltas_take(st->attr_windows, k, (uint64_t *)&v, whole))
			continue;
		if (forget)
			stack_prune_note(st->prune, k->user_stack, k->pid);
		session_add_stack(p, &sm, k->kern_stack, FRAME_KERNEL, k->pid, 0, false, ids, &n);
		/* named from the mappings of the program that submitted it */
		session_add_stack(p, &sm, k->user_stack, FRAME_USER, k->pid, k->life, false, ids, &n);
		k->comm[TASK_COMM_LEN - 1] = '\0';
		profile_add_sample(p, ids, n, k->pid, 0, k->comm,
				   (int64_t[]){ (int64_t)v.requests, (int64_t)v.bytes,
						(int64_t)v.latency_ns });
	}
	/* the submitters gone: their keys and stacks, as offcpu's and lock's */
	if (forget && nkeys > 0) {
		size_t stacks, gone = session_forget_keys(ss, mark, fd, keys, nkeys, sizeof(*keys),
							  offsetof(struct io_attr_key, pid),
							  st->attr_windows, st->prune, &sm, &stacks);

		pr_debug("io: %zu keys and %zu user stacks of exited processes deleted", gone, stacks);
	}
	stack_maps_release(&sm);
	free(keys);
	free(vals);
}

static void collect_slow(struct session *ss, struct io_state *st, struct profile *p)
{
	static const char *const cols[] = { "TIME", "PID", "COMMAND", "DISK", "OP", "BYTES",
					    "SECTOR", "LATENCY", "QUEUED" };
	bool q = ss->set->queued;
	char title[96];
	size_t t;

	snprintf(title, sizeof(title), "Requests slower than %g ms", ss->set->slow_ms);
	t = profile_add_table(p, title, q ? 9 : 8, cols);
	for (size_t i = 0; i < st->nslow; i++) {
		const struct io_slow_event *e = &st->slow[i];
		int64_t real = (int64_t)e->done_ns + st->mono_to_real;
		time_t secs = real / 1000000000LL;
		char tm[32], pid[16], disk[64], bytes[24], sector[24], lat[32], qd[32];
		struct tm lt;

		localtime_r(&secs, &lt);
		snprintf(tm, sizeof(tm), "%02d:%02d:%02d.%03d", lt.tm_hour, lt.tm_min, lt.tm_sec,
			 (int)(real % 1000000000LL / 1000000));
		snprintf(pid, sizeof(pid), "%u", e->pid);
		snprintf(bytes, sizeof(bytes), "%u", e->bytes);
		if (e->sector == UINT64_MAX)	/* a flush has no sector */
			snprintf(sector, sizeof(sector), "-");
		else
			snprintf(sector, sizeof(sector), "%llu", (unsigned long long)e->sector);
		snprintf(lat, sizeof(lat), "%.3f ms", e->latency_ns / 1e6);
		snprintf(qd, sizeof(qd), "%.3f ms", e->queued_ns / 1e6);
		profile_table_row(p, t, (const char *const[]){
			tm, pid, e->comm, disk_name(e->dev, disk, sizeof(disk)),
			op_names[e->op < IO_OP_MAX ? e->op : IO_OP_OTHER], bytes, sector, lat, qd });
	}
	st->nslow = 0;
}

static void collect_losses(struct io_state *st, struct profile *p, bool whole)
{
	static const char *const what[IO_DROP_MAX][2] = {
		[IO_DROP_REQS_FULL] = { "requests not timed (in-flight map full)",
					"more than 65536 requests in flight at once" },
		[IO_DROP_HISTS_FULL] = { "latencies not in a histogram (map full)",
					 "more than 1024 disk x operation pairs" },
		[IO_DROP_SLOW_FULL] = { "slow requests not listed (ring buffer full)",
					"raise --slow" },
	};

	/* per interval: what was lost since the last report */
	drop_counts_read(st->skel->maps.io_drops, IO_DROP_MAX, what, st->lost_before, whole, p);
}

static int io_collect(struct session *ss, struct profile *p)
{
	const struct settings *s = ss->set;
	struct io_state *st = ss->priv;
	char event[256];

	profile_add_type(p, "requests", "count");
	profile_add_type(p, "bytes", "bytes");
	profile_add_type(p, "latency", "nanoseconds");
	p->default_type = 0;
	snprintf(event, sizeof(event), "block I/O, issue to completion, on %s (%s%s)",
		 s->disk ? s->disk : "every disk", st->raw_tp ? "raw_tp" : "tp_btf",
		 st->at_getrq ? "; submitters at block_getrq: no block_io_start before 6.5" : "");
	p->event = profile_intern(p, event);
	p->traced_stacks = true;

	if (ss->rb)
		ring_buffer__consume(ss->rb);
	collect_hists(st, p, ss->whole_run);
	collect_attr(ss, st, p, ss->whole_run);
	if (s->slow_ms > 0)
		collect_slow(ss, st, p);
	collect_losses(st, p, ss->whole_run);
	session_read_drops(ss, st->skel->maps.drops, p, "-d (shorter)");
	return 0;
}

static void io_destroy(struct session *ss)
{
	struct io_state *st = ss->priv;

	if (!st)
		return;
	io_unload(st);
	free(st->slow);
	deltas_free(st->hist_windows);
	deltas_free(st->attr_windows);
	stack_prune_free(st->prune);
	free(st);
	ss->priv = NULL;
}

const struct collector io_collector = {
	.name = "io",
	.summary = "block I/O: latency histograms per disk, and who submitted the I/O",
	.usage =
		"  -i, --interval SECS    one report per interval, like iostat (default: one at\n"
		"                         the end)\n"
		"      --disk NAME        only this disk, as /sys/block names it (vda, nvme0n1)\n"
		"      --queued           also time requests in the queue (insert to issue)\n"
		"      --slow MS          list every request slower than MS milliseconds\n"
		"Latency is from issue to the device until completion, in log2 histograms per\n"
		"disk and operation (read, write, flush, discard); percentiles are estimates\n"
		"interpolated within a bucket.  Requests are charged to the process that\n"
		"submitted them, with its user and kernel stacks, not to the kworker or\n"
		"interrupt that completed them.\n"
		"Sample types (--value): requests (default), bytes, latency (nanoseconds)\n",
	.default_format = "report",
	.no_samples = "no block I/O request of the targets completed on a disk: reads served "
		"from the page cache and writes not yet written back never reach one; try a "
		"longer -d, or -a for the whole machine (writeback is the kernel's)",
	.value_names = "requests bytes latency",
	.shortopts = "i:",
	.longopts = io_longopts,
	.parse = io_parse,
	.validate = io_validate,
	.start = io_start,
	.stop = io_stop,
	.collect = io_collect,
	.destroy = io_destroy,
};
