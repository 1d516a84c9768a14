// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "runtime/mmap_watch.h"
#include "symbol/symbolizer.h"
#include "util/util.h"

/* A power of two: 256 KiB per CPU, some two seconds of records under a
 * churn of 100 processes a second while the loop makes a large table */
#define RING_PAGES 64

struct mmap_ring {
	int fd;
	struct perf_event_mmap_page *meta;
	unsigned char *data;
};

/* A record copied out of its ring, to be handled in time order. */
struct pending {
	uint64_t time;
	size_t off;		/* into mmap_watch.buf */
};

struct mmap_watch {
	struct mmap_ring *rings;
	int nrings;
	int epfd;		/* every ring's fd, for mmap_watch_fd */
	size_t size;		/* data bytes per ring */
	struct symbolizer *sz;
	mw_fn on_map;
	void *on_map_ctx;
	/* one consume's records of every CPU, to be put in time order */
	unsigned char *buf;
	size_t len, cap;
	struct pending *pend, *tmp;	/* tmp: room for merging */
	size_t npend, pend_cap, tmp_cap;
	size_t *runs;		/* where each ring's records begin in pend, and the end */
	uint64_t lost;		/* records the kernel could not write */
	uint64_t lost_taken;	/* of those, what mmap_watch_take_lost handed over */
	uint64_t records;	/* records handled */
	struct part_clock clock;	/* the CPU time it took */
	bool timed;		/* clock kept (--stats) */
	__u64 *heads;		/* each ring's head when a consume began */
};

/* The sample_id every record ends with (sample_id_all): TID, then TIME. */
struct sample_id {
	__u32 pid, tid;
	__u64 time;
};

/* PERF_RECORD_FORK and PERF_RECORD_EXIT */
struct task_record {
	struct perf_event_header header;
	__u32 pid, ppid, tid, ptid;
	__u64 time;
};

struct comm_record {
	struct perf_event_header header;
	__u32 pid, tid;
	char comm[];
};

struct lost_record {
	struct perf_event_header header;
	__u64 id, lost;
};

/* PERF_RECORD_MMAP2 without build-ids, as include/uapi/linux/perf_event.h lays it out */
struct mmap2_record {
	struct perf_event_header header;
	__u32 pid, tid;
	__u64 addr, len, pgoff;
	__u32 maj, min;
	__u64 ino, ino_generation;
	__u32 prot, flags;
	char filename[];
};

struct mmap_watch *mmap_watch_open(const int *cpus, int ncpus, struct symbolizer *sz,
				   bool batch)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_DUMMY,
		.size = sizeof(attr),
		.mmap = 1,		/* executable mappings only: no mmap_data */
		.mmap2 = 1,
		/* lifetimes: a fork starts one (a pid may be reused), an exec
		 * starts a new generation, an exit lets it go */
		.task = 1,
		.comm = 1,
		.comm_exec = 1,
		/* every record stamped, so the CPUs' rings can be merged in order */
		.sample_id_all = 1,
		.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME,
		.use_clockid = 1,
		.clockid = CLOCK_MONOTONIC,
		.watermark = 1,
		.wakeup_watermark = 1,	/* wake the poll for every record */
	};
	long page = sysconf(_SC_PAGESIZE);

	/*
	 * Batched: woken when a quarter of the ring is full, the rest read
	 * at the session's next wake-up (at most 250 ms later).  A build
	 * machine writes thousands of records a second; one wake-up each
	 * was a third of the agent's CPU (docs/performance.md).
	 */
	if (batch)
		attr.wakeup_watermark = RING_PAGES * page / 4;
	struct mmap_watch *w = xcalloc(1, sizeof(*w));

	w->sz = sz;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->size = RING_PAGES * page;
	w->rings = xcalloc(ncpus, sizeof(*w->rings));
	w->heads = xcalloc(ncpus, sizeof(*w->heads));
	w->runs = xcalloc(ncpus + 1, sizeof(*w->runs));
	for (int i = 0; i < ncpus; i++) {
		struct mmap_ring *r = &w->rings[w->nrings];
		void *m;

		r->fd = syscall(SYS_perf_event_open, &attr, -1, cpus[i], -1, PERF_FLAG_FD_CLOEXEC);
		if (r->fd < 0) {
			if (errno == ENODEV)
				continue;
			pr_debug("mmap records unavailable (%s): libraries mapped after a process "
				 "was first seen are read at the end", strerror(errno));
			mmap_watch_close(w);
			return NULL;
		}
		m = mmap(NULL, w->size + page, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
		if (m == MAP_FAILED) {
			close(r->fd);
			mmap_watch_close(w);
			return NULL;
		}
		r->meta = m;
		r->data = (unsigned char *)m + page;
		w->nrings++;
		if (w->epfd >= 0 &&
		    epoll_ctl(w->epfd, EPOLL_CTL_ADD, r->fd,
			      &(struct epoll_event){ .events = EPOLLIN }) < 0) {
			close(w->epfd);
			w->epfd = -1;
		}
	}
	/* from now on a process's records tell its mappings whole */
	symbolizer_track_records(sz);
	return w;
}

void mmap_watch_on_map(struct mmap_watch *w, mw_fn fn, void *ctx)
{
	if (!w)
		return;
	w->on_map = fn;
	w->on_map_ctx = ctx;
}

int mmap_watch_fd(const struct mmap_watch *w)
{
	return w ? w->epfd : -1;
}

static void handle_mmap(struct mmap_watch *w, const struct perf_event_header *h)
{
	const struct mmap2_record *r = (const void *)h;
	size_t room = h->size - sizeof(*r) - sizeof(struct sample_id);

	if (h->size < sizeof(*r) + sizeof(struct sample_id) + 1 ||
	    !memchr(r->filename, '\0', room))
		return;
	/* the kernel's own: nothing a process maps */
	if (r->pid == (__u32)-1)
		return;
	symbolizer_note_mapping(w->sz, r->pid, r->addr, r->len, r->pgoff,
				((uint64_t)r->maj << 32) | r->min, r->ino, r->filename);
	if (w->on_map)
		w->on_map(w->on_map_ctx, r->pid, MW_MAP, r->filename);
}

static void tell(struct mmap_watch *w, uint32_t pid, enum mw_event what)
{
	if (w->on_map)
		w->on_map(w->on_map_ctx, pid, what, NULL);
}

static void handle(struct mmap_watch *w, const struct perf_event_header *h)
{
	const struct task_record *t = (const void *)h;
	const struct comm_record *c = (const void *)h;
	const struct lost_record *l = (const void *)h;

	switch (h->type) {
	case PERF_RECORD_MMAP2:
		handle_mmap(w, h);
		break;
	case PERF_RECORD_FORK:
		/* a new process, not a thread of the same one */
		if (h->size >= sizeof(*t) && t->pid != t->ppid)
			symbolizer_note_fork(w->sz, t->ppid, t->pid, LIFE_TAG(t->time));
		break;
	case PERF_RECORD_EXIT:
		if (h->size >= sizeof(*t) && t->pid == t->tid) {
			symbolizer_note_exit(w->sz, t->pid);
			tell(w, t->pid, MW_EXIT);
		}
		break;
	case PERF_RECORD_COMM:
		if (h->size >= sizeof(*c) && (h->misc & PERF_RECORD_MISC_COMM_EXEC)) {
			symbolizer_note_exec(w->sz, c->pid);
			tell(w, c->pid, MW_EXEC);
		}
		break;
	case PERF_RECORD_LOST:
		if (h->size >= sizeof(*l)) {
			w->lost += l->lost;
			/* whose they were is unknown: nobody is known whole now */
			symbolizer_note_lost(w->sz);
			tell(w, 0, MW_LOST);
		}
		break;
	}
}

/*
 * Put pend in time order.  Each ring's records are in the order that CPU
 * wrote them: merge those runs pairwise rather than sort the lot (qsort
 * was 22 of the 27 samples of reading records under churn).  At the same
 * time, the earlier run's record first: one CPU's order is kept.
 */
static void merge_runs(struct mmap_watch *w, size_t nruns)
{
	const struct pending *in;
	struct pending *out;
	size_t *runs = w->runs, cap;

	GROW(w->tmp, w->tmp_cap, w->npend);
	while (nruns > 1) {
		size_t n = 0, k = 0;

		in = w->pend;
		out = w->tmp;
		for (size_t r = 0; r < nruns; r += 2, k++) {
			/* runs r and r + 1 (none past the last) */
			size_t a = runs[r], ae = runs[r + 1];
			size_t b = ae, be = r + 1 < nruns ? runs[r + 2] : ae;

			runs[k] = n;
			while (a < ae && b < be)
				out[n++] = in[b].time < in[a].time ? in[b++] : in[a++];
			while (a < ae)
				out[n++] = in[a++];
			while (b < be)
				out[n++] = in[b++];
		}
		runs[k] = n;
		nruns = k;
		w->tmp = w->pend;
		w->pend = out;
		cap = w->tmp_cap;
		w->tmp_cap = w->pend_cap;
		w->pend_cap = cap;
	}
}

/* Copy a record out of its ring (it may wrap around the end) to handle later. */
static void stash(struct mmap_watch *w, const struct mmap_ring *r, size_t off, size_t size)
{
	size_t first = MIN(size, w->size - off);
	struct pending *p;
	const struct sample_id *id;

	GROW(w->buf, w->cap, w->len + size);
	memcpy(w->buf + w->len, r->data + off, first);
	memcpy(w->buf + w->len + first, r->data, size - first);
	GROW(w->pend, w->pend_cap, w->npend + 1);
	p = &w->pend[w->npend++];
	p->off = w->len;
	p->time = 0;
	if (size >= sizeof(struct perf_event_header) + sizeof(*id)) {
		id = (const void *)(w->buf + w->len + size - sizeof(*id));
		p->time = id->time;
	}
	w->len += size;
}

/*
 * Hand every pending record to the symbolizer, all CPUs' merged in time
 * order: a child's fork may be on one CPU's ring and its exec and mmaps on
 * another's.
 */
size_t mmap_watch_consume(struct mmap_watch *w)
{
	uint64_t t0;
	bool any = false;

	if (!w)
		return 0;
	/*
	 * Every ring's head first, then the records up to them: a child's
	 * mmap seen on one CPU's ring then has its fork (written before the
	 * child ran) seen too, on another's, in this batch and not the next.
	 */
	for (int i = 0; i < w->nrings; i++) {
		w->heads[i] = __atomic_load_n(&w->rings[i].meta->data_head, __ATOMIC_ACQUIRE);
		any |= w->heads[i] != w->rings[i].meta->data_tail;
	}
	/* called at every wake-up and announcement: nothing new costs nothing */
	if (!any)
		return 0;
	t0 = part_start(&w->clock, w->timed);
	w->len = 0;
	w->npend = 0;
	for (int i = 0; i < w->nrings; i++) {
		struct mmap_ring *r = &w->rings[i];
		__u64 head = w->heads[i];
		__u64 tail = r->meta->data_tail;

		w->runs[i] = w->npend;
		while (tail < head) {
			size_t off = tail & (w->size - 1);
			size_t size;
			struct perf_event_header h;

			/* the header itself may wrap: copy it out in two */
			memcpy(&h, r->data + off, MIN(sizeof(h), w->size - off));
			if (w->size - off < sizeof(h))
				memcpy((char *)&h + (w->size - off), r->data,
				       sizeof(h) - (w->size - off));
			size = h.size;
			if (size < sizeof(h))
				break;
			stash(w, r, off, size);
			tail += size;
		}
		__atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
	}
	w->runs[w->nrings] = w->npend;
	merge_runs(w, w->nrings);
	for (size_t i = 0; i < w->npend; i++)
		handle(w, (const void *)(w->buf + w->pend[i].off));
	w->records += w->npend;
	part_stop(&w->clock, t0);
	return w->npend;
}

void mmap_watch_time(struct mmap_watch *w, bool on)
{
	if (w)
		w->timed = on;
}

void mmap_watch_get_stats(const struct mmap_watch *w, uint64_t *records, uint64_t *ns)
{
	*records = w ? w->records : 0;
	*ns = w ? w->clock.ns : 0;
}

uint64_t mmap_watch_lost(const struct mmap_watch *w)
{
	return w ? w->lost : 0;
}

uint64_t mmap_watch_take_lost(struct mmap_watch *w)
{
	uint64_t n;

	if (!w)
		return 0;
	n = w->lost - w->lost_taken;
	w->lost_taken = w->lost;
	return n;
}

void mmap_watch_close(struct mmap_watch *w)
{
	long page = sysconf(_SC_PAGESIZE);

	if (!w)
		return;
	for (int i = 0; i < w->nrings; i++) {
		munmap(w->rings[i].meta, w->size + page);
		close(w->rings[i].fd);
	}
	if (w->epfd >= 0)
		close(w->epfd);
	free(w->rings);
	free(w->heads);
	free(w->runs);
	free(w->tmp);
	free(w->buf);
	free(w->pend);
	free(w);
}
