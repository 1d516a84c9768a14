// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/mmap_watch.h"
#include "symbol/symbolizer.h"
#include "util/util.h"

#define RING_PAGES 16	/* a power of two: 64 KiB per CPU */

struct mmap_ring {
	int fd;
	struct perf_event_mmap_page *meta;
	unsigned char *data;
};

struct mmap_watch {
	struct mmap_ring *rings;
	int nrings;
	size_t size;		/* data bytes per ring */
	struct symbolizer *sz;
	void (*on_map)(void *ctx, uint32_t pid);
	void *on_map_ctx;
	uint64_t lost;		/* records dropped by the kernel, not yet taken */
};

/* PERF_RECORD_LOST: how many records a full ring dropped */
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

struct mmap_watch *mmap_watch_open(const int *cpus, int ncpus, struct symbolizer *sz)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_DUMMY,
		.size = sizeof(attr),
		.mmap = 1,		/* executable mappings only: no mmap_data */
		.mmap2 = 1,
		.watermark = 1,
		.wakeup_watermark = 1,	/* wake the poll for every record */
	};
	long page = sysconf(_SC_PAGESIZE);
	struct mmap_watch *w = xcalloc(1, sizeof(*w));

	w->sz = sz;
	w->size = RING_PAGES * page;
	w->rings = xcalloc(ncpus, sizeof(*w->rings));
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
	}
	return w;
}

void mmap_watch_on_map(struct mmap_watch *w, void (*fn)(void *ctx, uint32_t pid), void *ctx)
{
	if (!w)
		return;
	w->on_map = fn;
	w->on_map_ctx = ctx;
}

int mmap_watch_pollfds(const struct mmap_watch *w, struct pollfd *fds, int max)
{
	int n = 0;

	for (int i = 0; w && i < w->nrings && n < max; i++)
		fds[n++] = (struct pollfd){ .fd = w->rings[i].fd, .events = POLLIN };
	return n;
}

static void handle(struct mmap_watch *w, const struct perf_event_header *h)
{
	const struct mmap2_record *r = (const void *)h;

	if (h->type == PERF_RECORD_LOST && h->size >= sizeof(struct lost_record)) {
		w->lost += ((const struct lost_record *)h)->lost;
		return;
	}
	if (h->type != PERF_RECORD_MMAP2 || h->size < sizeof(*r) + 1)
		return;
	/* files only: "//anon", "[vdso]" and the like carry no inode */
	if (!r->ino || r->filename[0] != '/')
		return;
	symbolizer_note_mapping(w->sz, r->pid, r->addr, r->len, r->pgoff,
				((uint64_t)r->maj << 32) | r->min, r->ino, r->filename);
	if (w->on_map)
		w->on_map(w->on_map_ctx, r->pid);
}

uint64_t mmap_watch_take_lost(struct mmap_watch *w)
{
	uint64_t n = w ? w->lost : 0;

	if (w)
		w->lost = 0;
	return n;
}

void mmap_watch_consume(struct mmap_watch *w)
{
	unsigned char buf[4096 + 256];

	for (int i = 0; w && i < w->nrings; i++) {
		struct mmap_ring *r = &w->rings[i];
		__u64 head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
		__u64 tail = r->meta->data_tail;

		while (tail < head) {
			size_t off = tail & (w->size - 1);
			const struct perf_event_header *h = (const void *)(r->data + off);
			size_t size = h->size;

			if (!size)
				break;
			if (off + size > w->size) {
				/* the record wraps around the end of the ring */
				size_t first = w->size - off;

				if (size > sizeof(buf))
					goto next;
				memcpy(buf, r->data + off, first);
				memcpy(buf + first, r->data, size - first);
				h = (const void *)buf;
			}
			handle(w, h);
next:
			tail += size;
		}
		__atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
	}
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
	free(w->rings);
	free(w);
}
