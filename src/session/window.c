// SPDX-License-Identifier: GPL-2.0
/*
 * A window of a session's run: every collector's profile collected,
 * symbolized and handed to the sink; and the end's summary on stderr.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "output/output.h"	/* fmt_value: units for the summary line */
#include "runtime/cgroups.h"
#include "runtime/mmap_watch.h"
#include "runtime/proc_stat.h"
#include "runtime/unwind.h"
#include "session/run.h"
#include "util/util.h"

static void log_symbolizer(struct session *rt, const struct profile *p)
{
	struct symbolizer_stats st;

	symbolizer_get_stats(rt->sym, &st);
	pr_debug("symbolized %zu locations in %.1f ms: %llu named, %llu unnamed, "
		 "%llu processes, %llu files (%llu with debug files), %llu symbols, "
		 "%llu JIT maps, %llu lines, %llu inlined, %llu mappings from mmap records "
		 "(%llu processes, %llu pids reused, %llu forgotten, %llu records lost); "
		 "%llu exited processes forgotten once read; "
		 "kernel symbols from %s", p->nlocs, st.ns / 1e6,
		 (unsigned long long)st.resolved, (unsigned long long)st.unnamed,
		 (unsigned long long)st.procs, (unsigned long long)st.files_loaded,
		 (unsigned long long)st.debug_files, (unsigned long long)st.symbols,
		 (unsigned long long)st.jit_maps, (unsigned long long)st.lines,
		 (unsigned long long)st.inlined, (unsigned long long)st.mappings,
		 (unsigned long long)st.timeline_procs, (unsigned long long)st.timeline_reused,
		 (unsigned long long)st.timeline_dropped,
		 (unsigned long long)mmap_watch_lost(rt->mw),
		 (unsigned long long)st.forgotten,
		 st.kallsyms_cached ? "the cache" : "/proc/kallsyms");
}

/*
 * Whether a window's cut may forget the processes that exited before the
 * last one: not when a whole run after the windows (or on the sink's
 * asking) reads every process's samples again, nor with mem, whose allocations still outstanding when
 * their process exited are in every later window.
 */
static bool forgets_exited(const struct run *r)
{
	/* top's "the run so far" (want_whole) reads them again too */
	if (r->o->whole_run || r->sink->want_whole)
		return false;
	for (int i = 0; i < r->ncols; i++)
		if (!strcmp(r->cols[i].col->name, "mem"))
			return false;
	return true;
}

/*
 * Collect every collector's window (whole: the whole run), symbolize and
 * hand them to the sink.  The collectors are read one after another: each
 * one's windows tile its own run exactly, at boundaries a few
 * milliseconds apart from the others'.  last_out, when given, keeps the
 * profiles for the summary; else they are freed.
 */
int run_cut_window(struct run *r, bool last, bool whole, struct profile **last_out)
{
	struct profile *ps[SESSION_MAX_COLLECTORS] = {};
	/* the only window of a run is its whole */
	struct session_window w = { .index = r->index, .last = last,
				    .whole = whole || (last && !r->index && r->o->whole_run),
				    .from_ns = whole ? r->rt.start_ns : r->from_ns };
	uint64_t now = now_ns(), mlost, cpu0 = cpu_ns_if(r->rt.set->stats);
	uint64_t mark = symbolizer_exit_mark(r->rt.sym);
	bool final, named;
	int err = 0;

	w.to_ns = r->rt.stop_ns ? r->rt.stop_ns : now;
	w.run_start_ns = r->rt.start_ns;
	/* the records are the whole system's, lost since the last window */
	mlost = whole ? mmap_watch_lost(r->rt.mw) : mmap_watch_take_lost(r->rt.mw);
	for (int i = 0; i < r->ncols && !err; i++) {
		struct session *c = &r->cols[i];
		struct profile *p;

		if (r->failed[i])
			continue;	/* the sink gets NULL: it said why at the start */
		p = ps[i] = profile_new();

		/* user frames as (file, offset): one location for all processes of a binary */
		p->file_of = symbolizer_file_of;
		p->file_ctx = r->rt.sym;
		p->start_time_ns = r->real_start_ns + (w.from_ns - r->rt.start_ns);
		p->duration_ns = w.to_ns - w.from_ns;
		c->whole_run = whole;
		err = c->col->collect(c, p);
		c->whole_run = false;
		/*
		 * With targets, nearly all records are other processes' (a busy
		 * machine filled the ring in a run of one command), and a live
		 * target's mappings are read again on a miss.
		 */
		if (r->rt.filter_pids || r->rt.filter_tids)
			pr_debug("%llu mapping records lost (ring buffer full)", (unsigned long long)mlost);
		else
			profile_add_loss(p, "mapping records lost (ring buffer full)", mlost,
					 "libraries mapped then are named only if their process was still alive");
	}
	/*
	 * The announcements and mapping records of what was just read came
	 * before it (a program announces a process before it counts): handled
	 * now, a window names its frames as the whole run will.
	 */
	mmap_watch_consume(r->rt.mw);
	if (r->rt.rb)
		ring_buffer__consume(r->rt.rb);
	session_catch_up(&r->rt);
	/* a window the sink would drop is not named: a renewal's two sessions would name at once */
	named = !err && (!r->sink->wanted || r->sink->wanted(r->sink->ctx, &w));
	/* the run's last naming (a whole run after its windows comes last):
	 * what it reads per binary is not needed for writing */
	final = !err && last && (whole || !r->o->whole_run || !r->index);
	if (final && r->ncols == 1)
		symbolizer_last_naming(r->rt.sym);
	for (int i = 0; i < r->ncols && named; i++) {
		if (!ps[i])
			continue;
		symbolizer_resolve(r->rt.sym, ps[i]);
		cgroups_label(r->rt.cg, ps[i]);
		if (r->rt.set->verbose)
			log_symbolizer(&r->rt, ps[i]);
	}
	if (final)
		symbolizer_release(r->rt.sym);
	/* a folded run's windows are added up; the sink gets their sum at the end */
	named = named && run_fold(r, ps, &w);
	if (!err && forgets_exited(r))
		session_forget_exited(&r->rt, mark);
	pr_debug("window %d%s: collected and symbolized in %.1f ms", r->index + 1,
		 whole ? " (whole run)" : "", (now_ns() - now) / 1e6);
	if (named)
		err = r->sink->window(r->sink->ctx, ps, r->ncols, &w);
	for (int i = 0; i < r->ncols; i++) {
		if (!err && r->sink->keep)
			continue;	/* the sink's now */
		if (last_out && !err)
			last_out[i] = ps[i];
		else
			profile_free(ps[i]);
	}
	r->rt.window_ns += cpu_ns_if(r->rt.set->stats) - cpu0;
	session_heap_report();
	if (!whole) {
		/*
		 * The next window begins where this one's maps were read, not
		 * after symbolizing and writing: windows tile the run, and a
		 * slow cut does not shorten the next one's stated duration.
		 */
		r->from_ns = w.to_ns;
		r->index++;
	}
	return err ? -1 : 0;
}

/* Losses and one line per collector on stderr. */
/*
 * -p profiles the processes given, not those they start (-- COMMAND
 * follows its children; a service's workers are not what -p of its master
 * asks for): `$!` of `cd dir && prog &` is a shell that waits for prog,
 * and gives nothing.  When the targets gave nothing, name the processes
 * they started that ran, and say how to profile them.  True when it said
 * something.
 */
static bool hint_descendants(const struct session *ss)
{
	const struct settings *set = ss->set;
	long hz = sysconf(_SC_CLK_TCK);
	bool said = false;

	for (int i = 0; i < set->npids; i++) {
		struct proc_stat me, desc[3];
		char list[160] = "", ids[64] = "";
		size_t at = 0, at_ids = 0;
		int n = proc_descendants(set->pids[i], desc, 3);

		if (n <= 0 || !desc[0].cpu_ticks || proc_stat_read(set->pids[i], &me))
			continue;
		for (int k = 0; k < n && desc[k].cpu_ticks; k++) {
			at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%d (%s, %.2f s of CPU)",
					       k ? ", " : "", desc[k].pid, desc[k].comm,
					       (double)desc[k].cpu_ticks / (hz > 0 ? hz : 100));
			at_ids += (size_t)snprintf(ids + at_ids, sizeof(ids) - at_ids, "%s%d",
						   k ? "," : "", desc[k].pid);
			if (at >= sizeof(list) || at_ids >= sizeof(ids))
				break;
		}
		fprintf(stderr, "profiler %s: no samples: PID %d (%s) %s, but processes it started ran: %s; "
			"-p does not follow them: profile them with -p %s\n",
			ss->col->name, me.pid, me.comm,
			me.state == 'R' ? "hardly ran" : "waited", list, ids);
		said = true;
	}
	return said;
}

static void print_summary(struct session *rt, const struct session *ss, struct profile *p)
{
	const struct sample_type *t = &p->types[p->default_type];
	int64_t total = profile_total(p, p->default_type);
	char b1[64], b2[64];

	for (size_t i = 0; i < p->nlosses; i++)
		if (p->losses[i].count)
			pr_warn("%s%s%s %s: %s", rt == ss ? "" : ss->col->name, rt == ss ? "" : ": ",
				fmt_count(b1, sizeof(b1), p->losses[i].count), p->losses[i].what,
				p->losses[i].hint ? p->losses[i].hint : "");
	if (rt->set->quiet)
		return;
	/* the type's name after its value: "12.7 KiB inuse_space", "1,331 samples" */
	fprintf(stderr, "profiler %s: %s %s, %s stack%s, %.2f s (%s)\n", ss->col->name,
		fmt_value(b1, sizeof(b1), t->unit, total), t->name,
		fmt_count(b2, sizeof(b2), p->nsamples), p->nsamples == 1 ? "" : "s",
		p->duration_ns / 1e9,
		rt->stop_reason ? rt->stop_reason : "stopped");
	if (rt != ss)
		return;		/* several collectors: one finding nothing is no news */
	/* a default value of 0 beside others that are not (mem: everything
	 * allocated was freed) is an answer, not a run that saw nothing */
	for (int i = 0; !total && i < 2 * p->ntypes; i++) {
		const struct sample_type *o = &p->types[i % p->ntypes];
		int64_t other = profile_total(p, i % p->ntypes);

		/* one of the same unit first: alloc_space for inuse_space */
		if (!other || (i < p->ntypes && strcmp(o->unit, t->unit)))
			continue;
		fprintf(stderr, "profiler %s: %s is 0, but %s is %s: --value %s shows it\n",
			ss->col->name, t->name, o->name, fmt_value(b1, sizeof(b1), o->unit, other),
			o->name);
		return;
	}
	if (!total && rt->set->npids && hint_descendants(ss))
		return;
	if (!total && ss->col->no_samples)
		fprintf(stderr, "profiler %s: no samples: %s\n", ss->col->name, ss->col->no_samples);
	else if (!total)
		fprintf(stderr, "profiler %s: no samples: was the target running%s?\n", ss->col->name,
			rt->set->npids || rt->set->ntids || rt->set->cmd ? " on a CPU" : "");
}

/* Who speaks for several collectors in messages: top, agent or record. */
const char *run_front_name(const struct run *r)
{
	return r->o->front ? r->o->front : "record";
}

void run_print_end(struct run *r, struct profile **ps)
{
	struct session *rt = &r->rt;

	for (int i = 0; i < r->ncols; i++)
		if (ps[i])	/* none when the sink keeps them */
			print_summary(r->ncols == 1 ? &r->cols[0] : rt, &r->cols[i], ps[i]);
	if (rt->unw) {
		struct unwinder_stats us;

		unwinder_get_stats(rt->unw, &us);
		if (us.full || us.procs_full)
			pr_warn("no unwind table for %llu binaries and %llu processes (the table slots are full): "
				"their callers are found by frame pointers only (see --stats)",
				(unsigned long long)us.full, (unsigned long long)us.procs_full);
	}
	if (!rt->set->quiet && rt->child_exited && WIFEXITED(rt->child_status) &&
	    WEXITSTATUS(rt->child_status))
		fprintf(stderr, "profiler %s: the command exited with status %d\n",
			r->ncols == 1 ? r->cols[0].col->name : run_front_name(r), WEXITSTATUS(rt->child_status));
}
