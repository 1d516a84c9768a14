// SPDX-License-Identifier: GPL-2.0
/*
 * profiler latency's maps into a profile: a histogram and a row of the
 * "Functions" table per function, a sample per caller (weighted by calls
 * or latency), and the table of slow calls with their stacks.  Each call
 * hands over only what came since the last (-i): the per-CPU histograms
 * only grow and are taken as differences, the caller map is drained.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "latency.skel.h"
#include "collectors/latency_read.h"
#include "runtime/drop_counts.h"
#include "runtime/runtime.h"
#include "util/util.h"

/* Slow calls listed per report: the rest are counted. */
#define LAT_SLOW_ROWS 1000
/* Frames of a slow call's stack written in the table. */
#define LAT_SLOW_FRAMES 6

int latency_on_slow(void *ctx, void *data, size_t size)
{
	struct lat_state *st = ctx;

	if (size < sizeof(struct lat_slow_event))
		return 0;
	if (st->nslow >= LAT_SLOW_ROWS) {
		st->slow_unlisted++;
		return 0;
	}
	GROW(st->slow, st->slow_cap, st->nslow + 1);
	memcpy(&st->slow[st->nslow++], data, sizeof(*st->slow));
	return 0;
}

static const char *label(const struct lat_state *st, uint32_t i, char *buf, size_t size)
{
	const struct lat_func *f;

	if (i >= st->funcs.n)
		return "?";
	f = &st->funcs.v[i];
	if (f->kind == LAT_USER)
		snprintf(buf, size, "%s", f->name);
	else
		snprintf(buf, size, "%s:%s", f->file, f->name);
	return buf;
}

static const char *fmt_ns(char *buf, size_t size, double ns)
{
	if (ns < 1e3)
		snprintf(buf, size, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, size, "%.2f us", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, size, "%.2f ms", ns / 1e6);
	else
		snprintf(buf, size, "%.2f s", ns / 1e9);
	return buf;
}

/* One function's per-CPU histograms, summed, less what the last collect took. */
static void read_hist(struct lat_state *st, uint32_t i, struct lat_hist *cpus, int ncpu,
		      uint32_t gen, struct profile *p, size_t table)
{
	struct lat_prev now = {}, *prev = &st->prev[i];
	uint64_t max = 0, count, sum;
	struct histogram *h;
	char name[300], title[400], calls[32], total[32], avg[32], mx[32], unret[32];
	size_t hi;

	if (bpf_map_lookup_elem(bpf_map__fd(st->skel->maps.hists), &i, cpus))
		return;
	for (int c = 0; c < ncpu; c++) {
		const struct lat_hist *v = &cpus[c];

		for (int k = 0; k < LAT_HIST_SLOTS; k++)
			now.slots[k] += v->slots[k];
		now.count += v->count;
		now.sum_ns += v->sum_ns;
		now.unreturned += v->unreturned;
		if (v->max_gen[gen & 1] == gen && v->max_ns[gen & 1] > max)
			max = v->max_ns[gen & 1];
	}
	label(st, i, name, sizeof(name));
	if (st->funcs.v[i].kind == LAT_USER)
		snprintf(title, sizeof(title), "%s (%s)", name, st->funcs.v[i].file);
	else
		snprintf(title, sizeof(title), "%s", name);
	count = now.count - prev->count;
	sum = now.sum_ns - prev->sum_ns;
	/* a glob's functions that were not called: a row of the table, no histogram */
	if (count) {
		hi = profile_add_histogram(p, title, "nanoseconds", 1);
		h = &p->hists[hi];	/* after the call: it may move p->hists */
		for (int k = 0; k < LAT_HIST_SLOTS && k < HIST_BUCKETS; k++)
			h->buckets[k] = now.slots[k] - prev->slots[k];
		h->count = count;
		h->sum = (int64_t)sum;
		h->max = (int64_t)max;
	}
	snprintf(calls, sizeof(calls), "%llu", (unsigned long long)count);
	snprintf(unret, sizeof(unret), "%llu", (unsigned long long)(now.unreturned - prev->unreturned));
	profile_table_row(p, table, (const char *const[]){
		title, calls, fmt_ns(total, sizeof(total), (double)sum),
		fmt_ns(avg, sizeof(avg), count ? (double)sum / count : 0),
		fmt_ns(mx, sizeof(mx), (double)max), unret });
	*prev = now;
}

static void read_hists(struct lat_state *st, struct profile *p)
{
	static const char *const cols[] = { "FUNCTION", "CALLS", "TOTAL", "AVERAGE", "MAX",
					    "NEVER RETURNED" };
	int ncpu = libbpf_num_possible_cpus();
	struct lat_hist *cpus = xcalloc(ncpu > 0 ? ncpu : 1, sizeof(*cpus));
	uint32_t gen = st->skel->bss->gen;
	size_t t = profile_add_table(p, "Functions", ARRAY_SIZE(cols), cols);

	/* the next interval's maxima go to the other slot */
	st->skel->bss->gen = gen + 1;
	for (uint32_t i = 0; i < st->funcs.n; i++)
		read_hist(st, i, cpus, ncpu, gen, p, t);
	free(cpus);
}

/* The caller totals, taken out of the map: the next interval starts from none. */
static void read_by(struct session *ss, struct lat_state *st, struct profile *p)
{
	int fd = bpf_map__fd(st->skel->maps.by), by = ss->set->lat_by;
	struct lat_by_key *keys = NULL, next, *prev = NULL;
	size_t n = 0, cap = 0;
	uint32_t ids[MAX_STACK_DEPTH + 4];
	struct stack_maps sm;
	char name[300];

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		GROW(keys, cap, n + 1);
		keys[n++] = next;
		prev = &keys[n - 1];
	}
	stack_maps_init(&sm, st->skel->maps.stacks, st->skel->maps.stacks_deep,
			st->skel->maps.stacks_spill);
	for (size_t i = 0; i < n; i++) {
		struct lat_by_key *k = &keys[i];
		struct lat_by_val v;
		uint32_t nids = 0;

		if (bpf_map_lookup_and_delete_elem(fd, k, &v))
			continue;
		k->comm[TASK_COMM_LEN - 1] = '\0';
		/* the function is the leaf: flame graphs grow it from its callers */
		ids[nids++] = profile_group_frame(p, "function", label(st, k->func, name, sizeof(name)));
		/* the caller named from the mappings of the program that called */
		if (by == LAT_BY_CALLER && k->where)
			ids[nids++] = profile_location_life(p, FRAME_USER, k->pid, k->life, k->where, true);
		else if (by == LAT_BY_STACK)
			/* taken after the return: the first frame is the return address too */
			session_add_stack(p, &sm, k->where, FRAME_USER, k->pid, k->life, false, ids,
					  &nids);
		else if (by == LAT_BY_TID) {
			char task[64];

			snprintf(task, sizeof(task), "%s [%u]", k->comm, k->tid);
			ids[nids++] = profile_group_frame(p, "task", task);
		}
		profile_add_sample(p, ids, nids, k->pid, k->tid, k->comm,
				   (int64_t[]){ (int64_t)v.calls, (int64_t)v.total_ns });
	}
	stack_maps_release(&sm);
	free(keys);
}

/* The slow calls' stacks, named by the session's symbolizer now: table cells are text. */
static void read_slow(struct session *ss, struct lat_state *st, struct profile *p)
{
	static const char *const cols[] = { "TIME", "PID", "TID", "COMMAND", "FUNCTION",
					    "DURATION", "STACK (caller first)" };
	struct profile *tp = profile_new();
	uint32_t ids[MAX_STACK_DEPTH + 2];
	struct stack_maps sm;
	char title[96], ms[32];
	size_t t;

	snprintf(title, sizeof(title), "Calls slower than %s",
		 fmt_ns(ms, sizeof(ms), ss->set->slow_ms * 1e6));
	t = profile_add_table(p, title, ARRAY_SIZE(cols), cols);
	profile_add_type(tp, "calls", "count");
	stack_maps_init(&sm, st->skel->maps.stacks, st->skel->maps.stacks_deep,
			st->skel->maps.stacks_spill);
	for (size_t i = 0; i < st->nslow; i++) {
		uint32_t n = 0;

		session_add_stack(tp, &sm, st->slow[i].stack, FRAME_USER, st->slow[i].pid,
				  st->slow[i].life, false, ids, &n);
		profile_add_sample(tp, ids, n, st->slow[i].pid, st->slow[i].tid, "",
				   (int64_t[]){ 1 });
	}
	stack_maps_release(&sm);
	symbolizer_resolve(ss->sym, tp);
	for (size_t i = 0; i < st->nslow; i++) {
		const struct lat_slow_event *e = &st->slow[i];
		int64_t real = (int64_t)e->end_ns + st->mono_to_real;
		time_t secs = real / 1000000000LL;
		const uint32_t *fr = profile_sample_frames(tp, i);
		char tm[32], pid[16], tid[16], comm[TASK_COMM_LEN], fn[300], dur[32], stack[1024];
		size_t len = 0;
		struct tm lt;

		localtime_r(&secs, &lt);
		snprintf(tm, sizeof(tm), "%02d:%02d:%02d.%06d", lt.tm_hour, lt.tm_min, lt.tm_sec,
			 (int)(real % 1000000000LL / 1000));
		snprintf(pid, sizeof(pid), "%u", e->pid);
		snprintf(tid, sizeof(tid), "%u", e->tid);
		memcpy(comm, e->comm, sizeof(comm));
		comm[TASK_COMM_LEN - 1] = '\0';
		stack[0] = '\0';
		for (uint32_t k = 0; k < tp->samples[i].nframes && k < LAT_SLOW_FRAMES; k++)
			len += snprintf(stack + len, sizeof(stack) - len, "%s%s", k ? " <- " : "",
					tp->locs[fr[k]].name);
		profile_table_row(p, t, (const char *const[]){
			tm, pid, tid, comm, label(st, e->func, fn, sizeof(fn)),
			fmt_ns(dur, sizeof(dur), (double)e->dur_ns), stack[0] ? stack : "-" });
	}
	profile_free(tp);
	if (st->slow_unlisted)
		profile_add_loss(p, "slow calls not listed (more than 1000 in a report)",
				 st->slow_unlisted, "raise --slow");
	st->nslow = 0;
	st->slow_unlisted = 0;
}

static void read_losses(struct lat_state *st, struct profile *p)
{
	static const char *const what[LAT_DROP_MAX][2] = {
		[LAT_DROP_TOO_DEEP] = { "calls nested deeper than 32 in a thread (counted, not timed)",
					"recursion: time an outer function instead" },
		[LAT_DROP_THREADS_FULL] = { "calls not timed (no room for more threads)",
					    "more than 16384 threads in calls at once" },
		[LAT_DROP_BY_FULL] = { "calls not in the caller totals (map full)",
				       "--by pid, or a shorter -d" },
		[LAT_DROP_SLOW_FULL] = { "slow calls not listed (ring buffer full)",
					 "raise --slow" },
	};

	drop_counts_read(st->skel->maps.lat_drops, LAT_DROP_MAX, what, st->lost_before, false, p);
}

int latency_collect(struct session *ss, struct profile *p)
{
	static const char *const by_names[] = { "caller", "stack", "thread", "process" };
	struct lat_state *st = ss->priv;
	size_t nuser = 0, nsys = 0, nkern = 0;
	char event[256];

	profile_add_type(p, "calls", "count");
	profile_add_type(p, "latency", "nanoseconds");
	p->default_type = 0;
	for (size_t i = 0; i < st->funcs.n; i++) {
		nuser += st->funcs.v[i].kind == LAT_USER;
		nsys += st->funcs.v[i].kind == LAT_SYSCALL;
		nkern += st->funcs.v[i].kind == LAT_KERNEL;
	}
	snprintf(event, sizeof(event),
		 "function latency, entry to return, by %s: %zu user functions (uprobes), %zu system "
		 "calls (raw syscall tracepoints), %zu kernel functions%s",
		 by_names[ss->set->lat_by & 3], nuser, nsys, nkern,
		 st->kmode == LAT_KMODE_KPROBE ? " (kprobes)" :
		 st->kmode == LAT_KMODE_FENTRY ? " (fentry/fexit)" : "");
	p->event = profile_intern(p, event);
	if (ss->rb)
		ring_buffer__consume(ss->rb);
	read_hists(st, p);
	read_by(ss, st, p);
	if (ss->set->slow_ms > 0)
		read_slow(ss, st, p);
	read_losses(st, p);
	session_read_drops(ss, st->skel->maps.drops, p, "-d (shorter)");
	return 0;
}
