// SPDX-License-Identifier: GPL-2.0
/*
 * profiler record: every collector that makes sense for the target in one
 * session, one start and one stop.  Without -o the combined report goes
 * to standard output; with -o DIR, DIR/report.txt, one pprof file and one
 * flame graph per collector.  --window SECS cuts the run into windows as
 * well: each is reported (DIR/window-NNN/ with -o) and the whole run last.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/col_opts.h"
#include "cli/frontends.h"
#include "output/output.h"
#include "session/record_report.h"
#include "session/session.h"
#include "util/util.h"

/* The collectors record runs, in the order of its report. */
const struct collector *const record_cols[RECORD_NCOLS] = {
	&cpu_collector, &offcpu_collector, &mem_collector, &lock_collector, &io_collector,
};
#define NCOLS RECORD_NCOLS

enum { OPT_WHAT = 3001, OPT_WINDOW };

static const struct option record_own_opts[] = {
	{ "what", required_argument, NULL, OPT_WHAT },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ NULL, 0, NULL, 0 },
};

static int record_parse(struct settings *s, int opt, const char *arg)
{
	if (opt == 'F')
		return cpu_collector.parse(s, opt, arg);
	if (opt == OPT_WHAT)
		return parse_what(record_cols, NCOLS, arg, &s->record_what);
	if (opt == OPT_WINDOW) {
		if (parse_seconds(arg, &s->window) || s->window < 0.1) {
			pr_err("invalid --window '%s': give seconds, at least 0.1, for example "
			       "--window 5", arg);
			return -EINVAL;
		}
		return 0;
	}
	return col_opts_parse(record_cols, NCOLS, s, opt, arg);
}

static int record_validate(struct settings *s)
{
	if (s->format) {
		pr_err("profiler record takes no -f: it writes a report, and with -o DIR "
		       "pprof files and flame graphs");
		return -EINVAL;
	}
	if (s->noutputs > 1 || (s->noutputs == 1 && !strcmp(s->outputs[0], "-"))) {
		pr_err("profiler record takes one -o DIR (a directory), not %s",
		       s->noutputs > 1 ? "several" : "'-': leave -o out for stdout");
		return -EINVAL;
	}
	return record_validate_what(s);
}

int record_validate_what(struct settings *s)
{
	/* mem traces every process's libc system-wide, and follows processes, not threads */
	if (!s->record_what)
		s->record_what = ((1u << NCOLS) - 1) &
				 ~(s->system_wide || s->ntids ? 1u << 2 : 0);
	return validate_what(record_cols, NCOLS, s->record_what, s);
}

struct record {
	const struct settings *set;
	const char *dir;	/* -o DIR, or NULL for stdout */
	const char *names[SESSION_MAX_COLLECTORS];
	int failed;
};

/* One file of DIR, written whole or not at all. */
static int write_file(const char *path, const struct profile *p, const char *format,
		      const struct settings *s, struct profile *const *all, const char *const *names,
		      int n)
{
	struct atomic_file af;
	struct write_opts wo;
	int err = afile_open(&af, path);

	if (err) {
		pr_err("cannot write %s: %s", path, afile_strerror(err));
		return err;
	}
	if (p) {
		write_opts_init(&wo, s, p);
		err = writer_find(format)->write(p, &wo, af.f);
	} else {
		err = record_write_report(af.f, all, names, n, s);
	}
	if (!err)
		err = afile_publish(&af, true);
	if (err)
		pr_err("cannot write %s: %s", path, afile_strerror(err < 0 ? err : -EIO));
	afile_close(&af);
	return err;
}

static int record_window(void *ctx, struct profile *const *profiles, int n,
			 const struct session_window *w)
{
	struct record *r = ctx;
	char dir[4096], path[4200];
	int err = 0;

	if (!r->dir) {
		if (!w->whole)
			printf("==== Window %d: %.3f s to %.3f s ====\n", w->index + 1,
			       (w->from_ns - w->run_start_ns) / 1e9, (w->to_ns - w->run_start_ns) / 1e9);
		else if (r->set->window > 0)
			printf("==== Whole run ====\n");
		err = record_write_report(stdout, profiles, r->names, n, r->set);
		fflush(stdout);
		return err;
	}
	if (w->whole)
		snprintf(dir, sizeof(dir), "%s", r->dir);
	else
		snprintf(dir, sizeof(dir), "%s/window-%03d", r->dir, w->index + 1);
	if (mkdir(dir, 0777) && errno != EEXIST) {
		pr_err("cannot make %s: %s", dir, strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/report.txt", dir);
	err = write_file(path, NULL, NULL, r->set, profiles, r->names, n);
	for (int i = 0; i < n && !err; i++) {
		snprintf(path, sizeof(path), "%s/%s.pb.gz", dir, r->names[i]);
		err = write_file(path, profiles[i], "pprof", r->set, NULL, NULL, 0);
		/* flame graphs of the whole run: a window's are a pprof away */
		if (!err && w->whole) {
			snprintf(path, sizeof(path), "%s/%s.svg", dir, r->names[i]);
			err = write_file(path, profiles[i], "svg", r->set, NULL, NULL, 0);
		}
	}
	return err;
}

static void record_usage_text(char *buf, size_t size)
{
	int at = snprintf(buf, size,
		"      --what LIST        the collectors, from cpu,offcpu,mem,lock,io (default:\n"
		"                         all; without mem for -a and -t)\n"
		"      --window SECS      also cut the run into windows of SECS: each is\n"
		"                         reported, exactly what happened in it, and the whole\n"
		"                         run last (with -o: DIR/window-NNN/)\n"
		"  -F HZ                  cpu: samples per second (default 99)\n");

	col_opts_usage(record_cols, NCOLS, buf, size, at);
}

int record_main(int argc, char **argv)
{
	struct settings set = {};
	char usage[4096], *names = NULL;
	struct option *longopts = col_opts_longopts(record_cols, NCOLS, record_own_opts, &names);
	struct collector rec = {
		.name = "record",
		.summary = "every collector at once, one start and one stop: a combined report, "
			   "pprof files and flame graphs",
		.usage = usage,
		.default_format = "report",
		.output_usage =
			"  -o DIR                    write DIR/report.txt (the combined report),\n"
			"                            DIR/NAME.pb.gz and DIR/NAME.svg per collector\n"
			"                            instead of the report on stdout; each file is\n"
			"                            replaced only once complete\n",
		.value_names = "",
		.shortopts = "F:",
		.longopts = longopts,
		.parse = record_parse,
		.validate = record_validate,
	};
	const struct collector *cols[SESSION_MAX_COLLECTORS];
	struct record r = { .set = &set };
	struct session_sink sink = { .ctx = &r, .window = record_window };
	struct session_opts o = {};
	int n = 0, err, rc = 2;

	record_usage_text(usage, sizeof(usage));
	err = args_parse(&rec, argc, argv, &set);
	if (err) {
		rc = err > 0 ? 0 : 2;
		goto out;
	}
	for (int i = 0; i < NCOLS; i++)
		if (set.record_what & 1u << i) {
			cols[n] = record_cols[i];
			r.names[n++] = record_cols[i]->name;
		}
	if (set.noutputs) {
		r.dir = set.outputs[0];
		/* before profiling: a directory that cannot be written fails at once */
		if (mkdir(r.dir, 0777) && errno != EEXIST) {
			pr_err("cannot make the output directory %s: %s", r.dir, strerror(errno));
			goto out;
		}
		if (access(r.dir, W_OK | X_OK)) {
			pr_err("cannot write into %s: %s (give -o a directory you can write)", r.dir,
			       strerror(errno));
			goto out;
		}
	}
	o.window_ns = (uint64_t)(set.window * 1e9);
	o.whole_run = true;
	rc = session_run(cols, n, &set, &o, &sink);
out:
	settings_free(&set);
	free(longopts);
	free(names);
	return rc;
}
