// SPDX-License-Identifier: GPL-2.0
/*
 * Every off-CPU stack ends in __schedule, so a table of self time says
 * nothing.  What a reader needs is why each thread waited and where its
 * own code asked to.  Both come from the stack the collector took at the
 * switch: the kernel frames say the system call (the frame do_syscall_64
 * called: __x64_sys_nanosleep, ksys_read) or the event (a page fault,
 * preemption) and the function that slept (the innermost frame that is
 * not the scheduler: anon_pipe_read, do_nanosleep, futex_wait_queue); the
 * user frames say the call site (the innermost frame outside the C
 * runtime's libraries).  Nothing is added to the BPF side, so saved pprof
 * profiles get the same tables.
 */
#include <stdlib.h>
#include <string.h>

#include "output/report_waits.h"
#include "util/idxmap.h"
#include "util/util.h"

struct wait_row {
	const char *why;	/* "read", "futex", "page fault", "preempted" */
	const char *fn;		/* the kernel function that slept, or NULL */
	const struct location *site;	/* the program's call site, or NULL */
	bool io;		/* io_schedule on the way: waiting for a device */
	int64_t value;
};

struct wait_rows {
	struct wait_row *v;
	size_t n, cap;
	struct idxmap index;
	const struct wait_row *key;
};

/* The scheduler, its wrappers and the tracing that took the stack: never the reason. */
static const char *const sched_prefixes[] = {
	"__schedule", "schedule", "io_schedule", "freezable_schedule", "finish_task_switch",
	"__traceiter_", "__bpf_trace_", "bpf_trace_run", "bpf_prog_",
};

/* Where the kernel preempts a task that was running, not waiting. */
static const char *const preempt_points[] = {
	"exit_to_user_mode", "irqentry_exit", "preempt_schedule", "raw_irqentry_exit",
	"__cond_resched", "_cond_resched",
};

/* The C runtime's libraries: a call site is the first frame outside them. */
static const char *const runtime_libs[] = {
	"libc.so", "libc-", "libpthread", "ld-linux", "ld-musl", "libstdc++", "libc++",
	"libgcc_s", "libm.so", "libdl", "librt", "[vdso]",
};

/* System call entry points, as they appear below do_syscall_64. */
static const char *const sys_prefixes[] = {
	"__x64_sys_", "__ia32_sys_", "__se_sys_", "__do_sys_", "ksys_", "__sys_",
};

static bool has_prefix(const char *s, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strncmp(s, v[i], strlen(v[i])))
			return true;
	return false;
}

static bool is_syscall_entry(const char *name)
{
	return !strcmp(name, "do_syscall_64") || !strcmp(name, "__do_fast_syscall_32") ||
	       !strcmp(name, "do_int80_syscall_32");
}

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path ? path : "";
}

static bool row_eq(const void *ctx, uint32_t idx)
{
	const struct wait_rows *r = ctx;
	const struct wait_row *a = &r->v[idx], *b = r->key;

	return a->site == b->site && a->io == b->io && !strcmp(a->why, b->why) &&
	       (a->fn == b->fn || (a->fn && b->fn && !strcmp(a->fn, b->fn)));
}

static void row_add(struct wait_rows *r, const struct wait_row *row)
{
	uint64_t h = hash_bytes(row->why, strlen(row->why), (uintptr_t)row->site ^ row->io);
	int64_t i;

	if (row->fn)
		h = hash_bytes(row->fn, strlen(row->fn), h);
	r->key = row;
	i = idxmap_find(&r->index, h, row_eq, r);
	if (i < 0) {
		GROW(r->v, r->cap, r->n + 1);
		r->v[r->n] = *row;
		r->v[r->n].value = 0;
		idxmap_insert(&r->index, h, r->n);
		i = r->n++;
	}
	r->v[i].value += row->value;
}

/*
 * Why a sample's thread waited: frames are leaf first, so the kernel part
 * runs from __schedule out to the system call entry.
 */
static void classify(const struct profile *p, size_t s, struct wait_row *w)
{
	const uint32_t *fr = profile_sample_frames(p, s);
	uint32_t n = p->samples[s].nframes;
	const struct location *first_user = NULL;
	bool kernel = false, preempted = false;

	*w = (struct wait_row){ .why = "[no kernel stack]" };
	for (uint32_t i = 0; i < n; i++) {
		const struct location *l = &p->locs[fr[i]];
		const char *name = l->name ? l->name : "";

		if (l->kind == FRAME_GROUP)
			continue;
		if (l->kind != FRAME_KERNEL) {
			if (!first_user)
				first_user = l;
			/* the program's call site: the first frame outside the C runtime */
			if (!w->site && !has_prefix(base_name(l->module), runtime_libs,
						    ARRAY_SIZE(runtime_libs)))
				w->site = l;
			continue;
		}
		if (!kernel) {
			kernel = true;
			w->why = "kernel";	/* a kernel thread, or no entry point seen */
		}
		if (!strncmp(name, "io_schedule", 11))
			w->io = true;
		if (!w->fn && !preempted) {
			/* off the CPU on the way back to user space, out of an
			 * interrupt or at a cond_resched(): preempted, not waiting */
			if (has_prefix(name, preempt_points, ARRAY_SIZE(preempt_points))) {
				w->why = "preempted";
				preempted = true;
			} else if (!has_prefix(name, sched_prefixes, ARRAY_SIZE(sched_prefixes))) {
				w->fn = name;
			}
		}
		if (preempted)
			continue;
		if (!strcmp(name, "exc_page_fault") || !strcmp(name, "asm_exc_page_fault"))
			w->why = "page fault";
		else if (i > 0 && is_syscall_entry(name) && !strcmp(w->why, "kernel")) {
			/* the frame it called names the system call */
			const char *sys = p->locs[fr[i - 1]].name ? p->locs[fr[i - 1]].name : "";

			if (has_prefix(sys, preempt_points, ARRAY_SIZE(preempt_points)))
				sys = "return to user space";	/* its work after the call: signals, task work */
			for (size_t k = 0; k < ARRAY_SIZE(sys_prefixes); k++)
				if (!strncmp(sys, sys_prefixes[k], strlen(sys_prefixes[k]))) {
					sys += strlen(sys_prefixes[k]);
					break;
				}
			w->why = sys;
		}
	}
	/* a stack that never leaves the C runtime (cut short, or a thread of its own) */
	if (!w->site)
		w->site = first_user;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct wait_row *x = a, *y = b;

	return (x->value < y->value) - (x->value > y->value);
}

static void print_rows(struct wait_rows *r, const struct profile *p, int type, int64_t total,
		       int top, bool sites, FILE *f)
{
	const char *unit = p->types[type].unit;
	char b1[64];

	if (r->n)
		qsort(r->v, r->n, sizeof(*r->v), cmp_rows);
	if (sites)
		fprintf(f, "\nTop blocking call sites by %s (the first frame outside the C runtime):\n",
			p->types[type].name);
	else
		fprintf(f, "\nTop wait reasons by %s (system call or event: the kernel function that "
			"slept):\n", p->types[type].name);
	fprintf(f, "%12s %6s  %s\n", "VALUE", "%", sites ? "CALL SITE  (REASON)" : "REASON");
	for (size_t i = 0; i < r->n && (int)i < top && r->v[i].value > 0; i++) {
		const struct wait_row *w = &r->v[i];

		fprintf(f, "%12s %5.1f%%  ", fmt_value(b1, sizeof(b1), unit, w->value),
			total ? 100.0 * w->value / total : 0.0);
		if (sites)
			fprintf(f, "%s  [%s]  (%s)\n", w->site ? w->site->name : "[no user stack]",
				w->site ? base_name(w->site->module) : "-", w->why);
		else
			fprintf(f, "%s%s%s%s\n", w->why, w->fn ? ": " : "", w->fn ? w->fn : "",
				w->io ? " (I/O)" : "");
	}
}

bool report_waits(const struct profile *p, const struct write_opts *o, FILE *f)
{
	int type = profile_find_type(p, "offcpu");
	struct wait_rows reasons = {}, sites = {};
	int64_t total = 0;

	if (type < 0 || o->diff)
		return false;
	for (size_t s = 0; s < p->nsamples; s++) {
		int64_t v = profile_value(p, s, type);
		struct wait_row w;

		if (v <= 0)
			continue;
		total += v;
		classify(p, s, &w);
		w.value = v;
		row_add(&sites, &(struct wait_row){ .why = w.why, .site = w.site, .value = v });
		w.site = NULL;
		row_add(&reasons, &w);
	}
	if (total > 0) {
		print_rows(&reasons, p, type, total, o->top, false, f);
		print_rows(&sites, p, type, total, o->top, true, f);
	}
	free(reasons.v);
	free(sites.v);
	idxmap_free(&reasons.index);
	idxmap_free(&sites.index);
	return total > 0;
}
