// SPDX-License-Identifier: GPL-2.0
/*
 * New processes as the run learns of them: the announcements every BPF
 * object sends through its proc_events ring (one ring manager for the
 * run), and the mapping records handled in between.
 */
#include <errno.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "runtime/mmap_watch.h"
#include "runtime/runtime.h"
#include "runtime/unwind.h"
#include "util/util.h"

/*
 * Processes without tables that mapped code since the last look (an exec'd
 * child, above all): their tables from the mappings their records gave,
 * before their first sample, when their binaries have rows already.
 */
static void unwind_new(struct session *rt)
{
	uint32_t *pids;
	size_t n = unwinder_take_new(rt->unw, &pids);

	for (size_t i = 0; i < n; i++) {
		size_t nmaps;
		const struct proc_map *maps = symbolizer_current_maps(rt->sym, pids[i], &nmaps);

		unwinder_set_maps(rt->unw, pids[i], maps, nmaps);
	}
}

void session_catch_up(struct session *ss)
{
	mmap_watch_consume(ss->rt->mw);
	unwind_new(ss->rt);
}

static int on_proc_event(void *ctx, void *data, size_t size)
{
	struct session *ss = ((struct session *)ctx)->rt;
	const struct proc_note *e = data;

	if (!ss->first_event_ns)
		ss->first_event_ns = now_ns();
	if (size < sizeof(*e))
		return 0;
	session_catch_up(ss);
	symbolizer_note_process(ss->sym, e->pid);
	/* new, or exec'd: either way its tables are made from its maps now */
	if (ss->unw)
		unwinder_add(ss->unw, e->pid);
	return 0;
}

int session_watch_procs(struct session *ss, struct bpf_map *proc_events)
{
	struct session *rt = ss->rt;

	/* one ring manager for the run: every object's announcements (wall
	 * has two objects, a session several collectors) */
	if (rt->rb) {
		ss->rb = rt->rb;
		return ring_buffer__add(rt->rb, bpf_map__fd(proc_events), on_proc_event, ss);
	}
	rt->rb = ring_buffer__new(bpf_map__fd(proc_events), on_proc_event, ss, NULL);
	ss->rb = rt->rb;
	return rt->rb ? 0 : -errno;
}

