// SPDX-License-Identifier: GPL-2.0
/*
 * Block I/O latency and its submitters.
 *
 * block_io_start runs in the context of the task that submitted the I/O
 * (blk_mq_submit_bio), so the process and its stacks are taken there and
 * kept per request; block_rq_issue and block_rq_complete often run in a
 * kworker or an interrupt, which are not who asked.  Latency is issue to
 * completion, keyed by the request pointer; histograms and per-stack
 * totals are aggregated here, and requests slower than --slow go to user
 * space through a ring buffer.
 *
 * Every program exists twice: tp_btf (typed, cheapest) and raw_tp for
 * kernels that refuse tracing programs.  User space loads one set.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "io.h"
#include "stacks.bpf.h"
#include "targets.bpf.h"
#include "life.bpf.h"

#define REQ_OP_MASK	0xff	/* include/linux/blk_types.h: not in BTF */
#define MINORBITS	20
/* The BPF program and bpf_trace_runN sit on top of every tracepoint's stack. */
#define TP_SKIP		2

const volatile __u32 filter_dev = 0;	/* 0: every disk */
const volatile bool user_stacks = true;
const volatile bool kernel_stacks = true;
const volatile bool queued = false;
const volatile __u64 slow_ns = 0;	/* 0: no slow-request events */
const volatile bool at_getrq = false;	/* no block_io_start (before 6.5): block_getrq */

struct req_info {
	__u64 start_ns;		/* block_io_start: the request was made */
	__u64 insert_ns;	/* block_rq_insert, 0 when it was issued directly */
	__u64 issue_ns;
	__u64 user_stack;
	__u64 kern_stack;
	__u32 pid;
	__u32 life;		/* task_life() of the submitter */
	char comm[TASK_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);		/* struct request * */
	__type(value, struct req_info);
} reqs SEC(".maps");

/* Before 6.5: submitters taken at block_getrq, by the request's first bio. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);		/* struct bio * */
	__type(value, struct req_info);
} bios SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct io_hist_key);
	__type(value, struct io_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);	/* resized by user space before load */
	__type(key, struct io_attr_key);
	__type(value, struct io_attr_val);
} attr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} slow_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IO_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} io_drops SEC(".maps");

/*
 * The last process per disk that asked for a cache flush.  The kernel
 * turns such requests into one flush request of its own, issued from a
 * kworker; that flush is charged to the process waiting for it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct req_info);
} flush_by SEC(".maps");

/* Per-CPU scratch: a req_info is too big for the 512-byte stack with the rest. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct req_info);
} req_buf SEC(".maps");

static __always_inline void io_drop(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&io_drops, &reason);

	if (n)
		*n += 1;
}

static __always_inline __u32 rq_dev(struct request *rq)
{
	struct gendisk *disk = BPF_CORE_READ(rq, q, disk);

	if (!disk)
		return 0;
	return ((__u32)BPF_CORE_READ(disk, major) << MINORBITS) | BPF_CORE_READ(disk, first_minor);
}

static __always_inline __u32 rq_op(struct request *rq)
{
	__u32 op = BPF_CORE_READ(rq, cmd_flags) & REQ_OP_MASK;

	switch (op) {
	case REQ_OP_READ:
		return IO_OP_READ;
	case REQ_OP_WRITE:
		return IO_OP_WRITE;
	case REQ_OP_FLUSH:
		return IO_OP_FLUSH;
	case REQ_OP_DISCARD:
		return IO_OP_DISCARD;
	}
	return IO_OP_OTHER;
}

static __always_inline bool dev_match(struct request *rq)
{
	return !filter_dev || rq_dev(rq) == filter_dev;
}

static __always_inline bool bio_dev_match(struct bio *bio)
{
	struct gendisk *disk = BPF_CORE_READ(bio, bi_bdev, bd_disk);

	if (!filter_dev)
		return true;
	if (!disk)
		return false;
	return (((__u32)BPF_CORE_READ(disk, major) << MINORBITS) |
		BPF_CORE_READ(disk, first_minor)) == filter_dev;
}

/* The current task as the submitter of rq: its pid, comm and stacks. */
static __always_inline struct req_info *take_submitter(void *ctx, __u64 now)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, zero = 0;
	struct req_info *ri;

	if (!target_match(tgid, (__u32)id))
		return NULL;
	ri = bpf_map_lookup_elem(&req_buf, &zero);
	if (!ri)
		return NULL;
	ri->start_ns = now;
	ri->insert_ns = 0;
	ri->issue_ns = 0;
	ri->pid = tgid;
	ri->life = task_life((struct task_struct *)bpf_get_current_task());
	bpf_get_current_comm(ri->comm, sizeof(ri->comm));
	ri->user_stack = user_stacks && !task_is_kthread() ? stack_capture(ctx, 1) : STACK_ID_NONE;
	ri->kern_stack = kernel_stacks ? stack_capture_skip(ctx, 0, TP_SKIP) : STACK_ID_NONE;
	proc_announce(tgid);
	return ri;
}

static __always_inline void remember(__u64 key, struct req_info *ri)
{
	if (bpf_map_update_elem(&reqs, &key, ri, BPF_ANY))
		io_drop(IO_DROP_REQS_FULL);
}

static __always_inline int on_start(void *ctx, struct request *rq)
{
	struct req_info *ri;

	if (!dev_match(rq))
		return 0;
	ri = take_submitter(ctx, bpf_ktime_get_ns());
	if (!ri)
		return 0;
	remember((__u64)rq, ri);
	/* fsync's empty write with REQ_PREFLUSH: the kernel will flush for it */
	if (BPF_CORE_READ(rq, cmd_flags) &
	    (1ULL << bpf_core_enum_value(enum req_flag_bits, __REQ_PREFLUSH))) {
		__u32 dev = rq_dev(rq);

		bpf_map_update_elem(&flush_by, &dev, ri, BPF_ANY);
	}
	return 0;
}

/*
 * Kernels before 6.5 have no block_io_start.  block_getrq runs in the
 * submitting task for every new request, just before its bio becomes the
 * request's first (rq->bio): the submitter is kept under the bio until the
 * request is inserted or issued, where adopt() moves it to the request.
 * (A front merge replaces rq->bio: that request is then charged to its
 * issuer, and the bio's entry stays behind.)
 */
static __always_inline int on_getrq(void *ctx, struct bio *bio)
{
	__u64 key = (__u64)bio;
	struct req_info *ri;

	if (!bio_dev_match(bio))
		return 0;
	ri = take_submitter(ctx, bpf_ktime_get_ns());
	if (ri && bpf_map_update_elem(&bios, &key, ri, BPF_ANY))
		io_drop(IO_DROP_REQS_FULL);
	return 0;
}

/* The submitter block_getrq kept for rq's bio, now under rq: NULL if none. */
static __always_inline struct req_info *adopt(struct request *rq)
{
	__u64 bio = (__u64)BPF_CORE_READ(rq, bio), key = (__u64)rq;
	struct req_info *ri;

	if (!at_getrq)
		return NULL;
	ri = bpf_map_lookup_elem(&bios, &bio);
	if (!ri)
		return NULL;
	remember(key, ri);
	bpf_map_delete_elem(&bios, &bio);
	return bpf_map_lookup_elem(&reqs, &key);
}

static __always_inline int on_insert(struct request *rq)
{
	__u64 key = (__u64)rq;
	struct req_info *ri;

	if (!queued)
		return 0;
	ri = bpf_map_lookup_elem(&reqs, &key);
	if (!ri)
		ri = adopt(rq);
	if (ri)
		ri->insert_ns = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int on_issue(void *ctx, struct request *rq)
{
	__u64 key = (__u64)rq, now = bpf_ktime_get_ns();
	struct req_info *ri;

	ri = bpf_map_lookup_elem(&reqs, &key);
	if (!ri)
		ri = adopt(rq);
	if (ri) {
		ri->issue_ns = now;	/* a requeued request is timed from its last issue */
		return 0;
	}
	/*
	 * Not made through block_io_start: a flush the kernel sequences on
	 * the caller's behalf, or a request from before we attached.  Its
	 * issuer is the best submitter we have, unless that is a kernel
	 * thread with no process filter to satisfy.
	 */
	if (!dev_match(rq))
		return 0;
	if (rq_op(rq) == IO_OP_FLUSH) {
		__u32 dev = rq_dev(rq);

		ri = bpf_map_lookup_elem(&flush_by, &dev);
		if (ri) {
			struct req_info *w = ri;
			__u32 zero = 0;

			ri = bpf_map_lookup_elem(&req_buf, &zero);
			if (!ri)
				return 0;
			__builtin_memcpy(ri, w, sizeof(*ri));
			bpf_map_delete_elem(&flush_by, &dev);
			ri->issue_ns = now;
			remember(key, ri);
			return 0;
		}
	}
	ri = take_submitter(ctx, now);
	if (!ri)
		return 0;
	ri->issue_ns = now;
	remember(key, ri);
	return 0;
}

static __always_inline void hist_add(__u32 dev, __u32 op, __u32 kind, __u64 ns)
{
	struct io_hist_key k = { .dev = dev, .op = op, .kind = kind };
	__u64 us = ns / IO_HIST_SCALE_NS;
	struct io_hist *h;
	__u32 slot = 0;

	h = bpf_map_lookup_elem(&hists, &k);
	if (!h) {
		static const struct io_hist zero;

		bpf_map_update_elem(&hists, &k, &zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &k);
		if (!h) {
			io_drop(IO_DROP_HISTS_FULL);
			return;
		}
	}
	while (us && slot < IO_HIST_SLOTS - 1) {
		us >>= 1;
		slot++;
	}
	__sync_fetch_and_add(&h->slots[slot & (IO_HIST_SLOTS - 1)], 1);
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum_ns, ns);
	/* Two CPUs racing on a new maximum may keep the smaller: rare, and off by one request. */
	if (ns > h->max_ns)
		h->max_ns = ns;
}

static __always_inline void attr_add(struct req_info *ri, __u64 bytes, __u64 lat)
{
	struct io_attr_key k = { .pid = ri->pid, .life = ri->life, .user_stack = ri->user_stack,
				 .kern_stack = ri->kern_stack };
	struct io_attr_val *v;

	__builtin_memcpy(k.comm, ri->comm, sizeof(k.comm));
	v = bpf_map_lookup_elem(&attr, &k);
	if (!v) {
		static const struct io_attr_val zero;

		bpf_map_update_elem(&attr, &k, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&attr, &k);
		if (!v) {
			count_drop(DROP_COUNTS_FULL);
			return;
		}
	}
	__sync_fetch_and_add(&v->requests, 1);
	__sync_fetch_and_add(&v->bytes, bytes);
	__sync_fetch_and_add(&v->latency_ns, lat);
}

static __always_inline int on_complete(struct request *rq)
{
	__u64 key = (__u64)rq, now = bpf_ktime_get_ns(), lat, qd = 0, bytes;
	struct req_info *ri;
	__u32 dev, op;

	ri = bpf_map_lookup_elem(&reqs, &key);
	if (!ri)
		return 0;
	if (!ri->issue_ns)	/* completed without an issue (a flush done by another) */
		goto out;
	lat = now - ri->issue_ns;
	dev = rq_dev(rq);
	op = rq_op(rq);
	bytes = BPF_CORE_READ(rq, __data_len);
	hist_add(dev, op, IO_KIND_DEVICE, lat);
	if (queued) {
		__u64 from = ri->insert_ns ? ri->insert_ns : ri->start_ns;

		qd = ri->issue_ns > from ? ri->issue_ns - from : 0;
		hist_add(dev, op, IO_KIND_QUEUED, qd);
	}
	attr_add(ri, bytes, lat);
	if (slow_ns && lat >= slow_ns) {
		struct io_slow_event *e = bpf_ringbuf_reserve(&slow_events, sizeof(*e), 0);

		if (!e) {
			io_drop(IO_DROP_SLOW_FULL);
			goto out;
		}
		e->done_ns = now;
		e->latency_ns = lat;
		e->queued_ns = qd;
		e->sector = BPF_CORE_READ(rq, __sector);
		e->bytes = bytes;
		e->dev = dev;
		e->pid = ri->pid;
		e->op = op;
		__builtin_memcpy(e->comm, ri->comm, sizeof(e->comm));
		bpf_ringbuf_submit(e, 0);
	}
out:
	bpf_map_delete_elem(&reqs, &key);
	return 0;
}

SEC("tp_btf/block_io_start")
int BPF_PROG(btf_start, struct request *rq) { return on_start(ctx, rq); }
SEC("tp_btf/block_rq_insert")
int BPF_PROG(btf_insert, struct request *rq) { return on_insert(rq); }
SEC("tp_btf/block_rq_issue")
int BPF_PROG(btf_issue, struct request *rq) { return on_issue(ctx, rq); }
SEC("tp_btf/block_rq_complete")
int BPF_PROG(btf_complete, struct request *rq) { return on_complete(rq); }
SEC("tp_btf/block_getrq")
int BPF_PROG(btf_getrq, struct bio *bio) { return on_getrq(ctx, bio); }

SEC("raw_tp/block_io_start")
int BPF_PROG(raw_start, struct request *rq) { return on_start(ctx, rq); }
SEC("raw_tp/block_rq_insert")
int BPF_PROG(raw_insert, struct request *rq) { return on_insert(rq); }
SEC("raw_tp/block_rq_issue")
int BPF_PROG(raw_issue, struct request *rq) { return on_issue(ctx, rq); }
SEC("raw_tp/block_rq_complete")
int BPF_PROG(raw_complete, struct request *rq) { return on_complete(rq); }
SEC("raw_tp/block_getrq")
int BPF_PROG(raw_getrq, struct bio *bio) { return on_getrq(ctx, bio); }

char LICENSE[] SEC("license") = "GPL";
