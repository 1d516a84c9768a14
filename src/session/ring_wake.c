// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "session/ring_wake.h"
#include "util/util.h"

#define RING_WAKE_MAX 16	/* objects of a run, as struct session's objs */

struct ring_wake {
	volatile uint64_t *by[RING_WAKE_MAX];
	int n;
	size_t len;
};

struct ring_wake *ring_wake_open(struct bpf_object *const *objs, int nobjs)
{
	struct ring_wake *w = xcalloc(1, sizeof(*w));

	w->len = sysconf(_SC_PAGESIZE);
	for (int i = 0; i < nobjs && w->n < RING_WAKE_MAX; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(objs[i], "ring_read_by");
		void *p;

		if (!m || bpf_map__fd(m) < 0)
			continue;
		p = mmap(NULL, w->len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);
		if (p == MAP_FAILED) {
			pr_debug("ring_read_by of a BPF object not mapped (%m): its rings wake the loop");
			continue;
		}
		w->by[w->n++] = p;
	}
	if (!w->n) {
		free(w);
		return NULL;
	}
	return w;
}

void ring_wake_promise(struct ring_wake *w, uint64_t by_ns)
{
	for (int i = 0; w && i < w->n; i++)
		__atomic_store_n(&w->by[i][RING_WAKE_BY], by_ns, __ATOMIC_RELEASE);
}

void ring_wake_urgent(struct ring_wake *w, bool on)
{
	for (int i = 0; w && i < w->n; i++)
		__atomic_store_n(&w->by[i][RING_WAKE_URGENT], on, __ATOMIC_RELEASE);
}

void ring_wake_close(struct ring_wake *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->n; i++)
		munmap((void *)w->by[i], w->len);
	free(w);
}
