// SPDX-License-Identifier: GPL-2.0
/* The options every subcommand shares, merged with the collector's own. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "common.h"
#include "cli/args.h"
#include "output/output.h"
#include "util/util.h"

#define COMMON_SHORT "+p:t:ad:f:o:vqh"

enum {
	OPT_VALUE = 900,
	OPT_TOP,
	OPT_TITLE,
	OPT_INVERTED,
	OPT_WIDTH,
	OPT_MINWIDTH,
	OPT_LINES,
	OPT_NO_LEAF_FIX,
	OPT_NO_PYTHON,
	OPT_STATS,
	OPT_UNWIND,
	OPT_NO_ADVICE,
	OPT_MAX_DEPTH,
	OPT_NO_DEBUGINFOD,
	OPT_CGROUP,
	OPT_GROUP_BY,
};

/* As many as bpf/targets.bpf.h's cgroup_targets holds. */
#define MAX_CGROUPS 64

#define OUTPUT_LONGOPTS \
	{ "format", required_argument, NULL, 'f' }, \
	{ "output", required_argument, NULL, 'o' }, \
	{ "value", required_argument, NULL, OPT_VALUE }, \
	{ "top", required_argument, NULL, OPT_TOP }, \
	{ "no-advice", no_argument, NULL, OPT_NO_ADVICE }, \
	{ "group-by", required_argument, NULL, OPT_GROUP_BY }, \
	{ "title", required_argument, NULL, OPT_TITLE }, \
	{ "inverted", no_argument, NULL, OPT_INVERTED }, \
	{ "width", required_argument, NULL, OPT_WIDTH }, \
	{ "minwidth", required_argument, NULL, OPT_MINWIDTH }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "help", no_argument, NULL, 'h' }

/* Shared by the subcommands' and the tools' --help. */
#define OUTPUT_USAGE \
	"      --value TYPE          sample type to weigh by (default: the first below)\n" \
	"      --top N               rows in each table of the report (default 20)\n" \
	"      --no-advice           report: leave out the Recommendations section\n" \
	"      --group-by cgroup|comm|pid  folded, svg: the root frame of each stack, the\n" \
	"                            process name (default), 'comm-PID', or the cgroup\n" \
	"                            path above the process name\n" \
	"      --title TEXT          svg: the graph's title\n" \
	"      --inverted            svg: an icicle graph, roots at the top\n" \
	"      --width PIXELS        svg: image width (default 1200)\n" \
	"      --minwidth PIXELS     svg: merge frames narrower than this (default 0.1)\n" \
	"  -v, --verbose             say more; -vv adds libbpf's log\n" \
	"  -q, --quiet               no summary line or warnings about the profile on\n" \
	"                            standard error\n" \
	"  -h, --help                this text\n"

static const struct option common_longopts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "tid", required_argument, NULL, 't' },
	{ "all", no_argument, NULL, 'a' },
	{ "system-wide", no_argument, NULL, 'a' },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "duration", required_argument, NULL, 'd' },
	OUTPUT_LONGOPTS,
	{ "lines", no_argument, NULL, OPT_LINES },
	{ "no-leaf-fix", no_argument, NULL, OPT_NO_LEAF_FIX },
	{ "no-python", no_argument, NULL, OPT_NO_PYTHON },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "unwind", required_argument, NULL, OPT_UNWIND },
	{ "max-depth", required_argument, NULL, OPT_MAX_DEPTH },
	{ "no-debuginfod", no_argument, NULL, OPT_NO_DEBUGINFOD },
};

void args_usage(const struct collector *col, FILE *f)
{
	char output[1024];

	if (col->output_usage)
		snprintf(output, sizeof(output), "%s", col->output_usage);
	else
		snprintf(output, sizeof(output),
			 "  -f, --format FMT          %s (default %s)\n"
			 "  -o, --output FILE         write to FILE instead of standard output; the\n"
			 "                            format follows the name (.folded, .txt, .svg,\n"
			 "                            .pb.gz, .json) unless -f says otherwise; may be\n"
			 "                            repeated; '-' is stdout.  Replaced only once\n"
			 "                            complete: a killed run leaves the old file\n",
			 writer_names(), col->default_format);
	fprintf(f,
		"Usage: profiler %s [OPTIONS]%s%s [-- COMMAND [ARGS...]]\n"
		"%s.\n\n"
		"Targets (default: the whole system):\n"
		"  -p, --pid PID[,PID...]    processes, all their threads (not their children)\n"
		"  -t, --tid TID[,TID...]    single threads\n"
		"  -a, --all                 the whole system (the default without a target)\n"
		"  -- COMMAND [ARGS...]      start COMMAND, profile it and its children, stop\n"
		"                            when it exits\n"
		"      --cgroup PATH         only tasks in this cgroup v2 or below it, from their\n"
		"                            first event, also those started later; PATH is a\n"
		"                            directory or a name below the v2 hierarchy, such\n"
		"                            as system.slice/ssh.service; may be repeated; with\n"
		"                            -p, -t or a COMMAND, tasks both select\n"
		"PIDs and TIDs are as the host sees them (not a container's own numbering).\n\n"
		"Duration and output:\n"
		"  -d, --duration SECS       stop after SECS (default: Ctrl-C, or when every\n"
		"                            target has exited); what was collected is written\n"
		"%s"
		"      --lines               source file:line of each frame and inlined functions\n"
		"                            as frames of their own, from DWARF (the binary's or\n"
		"                            its debug file's; Go's .gopclntab); slower, so off\n"
		"                            by default\n"
		"      --unwind dwarf|fp     user stacks: dwarf (default) unwinds with the\n"
		"                            binaries' .eh_frame (Go's .gopclntab), so callers\n"
		"                            above code built without frame pointers (libc,\n"
		"                            Go assembly) are kept; fp walks\n"
		"                            frame pointers only\n"
		"      --no-leaf-fix         do not recover the caller of a function without a\n"
		"                            frame (a leaf, a syscall wrapper) from the stack\n"
		"      --max-depth N         frames kept of each stack, 1 to %d (default %d);\n"
		"                            deeper stacks lose their root frames, counted\n"
		"                            (mem with --unwind fp: 512 at most)\n"
		"      --no-debuginfod       do not fetch debug files from the servers in\n"
		"                            DEBUGINFOD_URLS for binaries without symbols\n"
		"      --no-python           native frames only for CPython 3.11 processes (by\n"
		"                            default their Python functions are merged in as\n"
		"                            'function (file.py:line)' frames: cpu, offcpu,\n"
		"                            wall, lock, io, mem)\n"
		"      --stats               at the end, what profiling cost: each BPF program's\n"
		"                            runs and run time, map fill, losses, what new\n"
		"                            processes cost, the profiler's own CPU time,\n"
		"                            peak memory and page faults\n"
		OUTPUT_USAGE "\n"
		"Options of profiler %s:\n%s",
		col->name, col->operands ? " " : "", col->operands ? col->operands : "",
		col->summary, output, MAX_STACK_DEPTH, DEFAULT_STACK_DEPTH, col->name, col->usage);
}

static int parse_ids(const char *arg, const char *what, int **out, int *n)
{
	int *v = NULL, cnt = 0;
	size_t cap = 0;
	const char *p = arg;

	while (*p) {
		size_t len = strcspn(p, ",");
		char tok[32];
		uint64_t id;

		if (len == 0 || len >= sizeof(tok))
			goto bad;
		memcpy(tok, p, len);
		tok[len] = '\0';
		if (parse_u64(tok, 1, 4194304, &id)) {
			pr_err("invalid %s '%s': give a positive number, or several separated by commas",
			       what, tok);
			free(v);
			return -EINVAL;
		}
		GROW(v, cap, (size_t)cnt + 1);
		v[cnt++] = (int)id;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!cnt)
		goto bad;
	free(*out);
	*out = v;
	*n = cnt;
	return 0;
bad:
	pr_err("invalid %s list '%s': give numbers separated by commas", what, arg);
	free(v);
	return -EINVAL;
}

static bool has_word(const char *list, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = list; p && *p;) {
		size_t l = strcspn(p, " ");

		if (l == len && !strncmp(p, word, len))
			return true;
		p += l;
		p += strspn(p, " ");
	}
	return false;
}

/* An option every writer-facing command shares; formats: the -f choices, NULL for all. */
static int parse_output_opt(struct settings *s, int opt, const char *arg, const char *formats)
{
	uint64_t v;
	double d;

	switch (opt) {
	case 'f':
		if (formats ? !has_word(formats, arg) : !writer_find(arg)) {
			pr_err("unknown format '%s': choose one of %s", arg,
			       formats ? formats : writer_names());
			return -EINVAL;
		}
		s->format = arg;
		return 0;
	case 'o':
		if (s->noutputs >= MAX_OUTPUTS) {
			pr_err("too many -o: at most %d outputs", MAX_OUTPUTS);
			return -EINVAL;
		}
		s->outputs[s->noutputs++] = arg;
		return 0;
	case OPT_TOP:
		if (parse_u64(arg, 1, 100000, &v)) {
			pr_err("invalid --top '%s': give a number from 1 to 100000", arg);
			return -EINVAL;
		}
		s->top = v;
		return 0;
	case OPT_NO_ADVICE:
		s->no_advice = true;
		return 0;
	case OPT_GROUP_BY:
		if (!strcmp(arg, "comm"))
			s->group_by = GROUP_BY_COMM;
		else if (!strcmp(arg, "pid"))
			s->group_by = GROUP_BY_PID;
		else if (!strcmp(arg, "cgroup"))
			s->group_by = GROUP_BY_CGROUP;
		else {
			pr_err("invalid --group-by '%s': choose cgroup, comm or pid", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_TITLE:
		s->title = arg;
		return 0;
	case OPT_INVERTED:
		s->inverted = true;
		return 0;
	case OPT_WIDTH:
		if (parse_u64(arg, 200, 100000, &v)) {
			pr_err("invalid --width '%s': give pixels from 200 to 100000", arg);
			return -EINVAL;
		}
		s->width = v;
		return 0;
	case OPT_MINWIDTH:
		if (parse_seconds(arg, &d) || d > 1000) {
			pr_err("invalid --minwidth '%s': give pixels above 0, for example 0.5", arg);
			return -EINVAL;
		}
		s->minwidth = d;
		return 0;
	case 'v':
		s->verbose++;
		return 0;
	case 'q':
		s->quiet = true;
		return 0;
	}
	return -EINVAL;
}

static const struct option tool_longopts[] = {
	OUTPUT_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

void args_tool_usage(const char *synopsis, const char *summary, const char *formats, FILE *f)
{
	fprintf(f,
		"Usage: profiler %s\n%s.\n\n"
		"Options:\n"
		"  -f, --format FMT          %s (default report)\n"
		"  -o, --output FILE         write to FILE instead of standard output; the\n"
		"                            format follows the name unless -f says otherwise;\n"
		"                            may be repeated; '-' is stdout.  Replaced only once\n"
		"                            complete: a failed run leaves the old file\n"
		OUTPUT_USAGE,
		synopsis, summary, formats ? formats : writer_names());
}

int args_parse_tool(const char *synopsis, const char *summary, const char *formats, int argc,
		    char **argv, struct settings *s, const char **files, int nfiles)
{
	int opt, err = 0;

	s->top = 20;
	optind = 1;
	opterr = 0;
	while (!err && (opt = getopt_long(argc, argv, "f:o:vqh", tool_longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			args_tool_usage(synopsis, summary, formats, stdout);
			return 1;
		case OPT_VALUE:
			s->value = optarg;	/* checked against the profile read */
			break;
		case '?':
			pr_err("unknown option '%s': see 'profiler %s --help'", argv[optind - 1], argv[0]);
			err = -EINVAL;
			break;
		case ':':
			pr_err("option '%s' needs a value: see 'profiler %s --help'", argv[optind - 1],
			       argv[0]);
			err = -EINVAL;
			break;
		default:
			err = parse_output_opt(s, opt, optarg, formats);
			break;
		}
	}
	if (err)
		return err;
	if (argc - optind != nfiles) {
		pr_err("profiler %s needs %d file name%s: usage: profiler %s", argv[0], nfiles,
		       nfiles > 1 ? "s" : "", synopsis);
		return -EINVAL;
	}
	for (int i = 0; i < nfiles; i++)
		files[i] = argv[optind + i];
	set_verbose(s->verbose);
	return 0;
}

int args_parse(const struct collector *col, int argc, char **argv, struct settings *s)
{
	size_t nlong = ARRAY_SIZE(common_longopts), ncol = 0;
	struct option *longopts;
	char shortopts[128];
	int opt, err = 0, targets, dashes;

	while (col->longopts && col->longopts[ncol].name)
		ncol++;
	longopts = xcalloc(nlong + ncol + 1, sizeof(*longopts));
	memcpy(longopts, common_longopts, sizeof(common_longopts));
	if (ncol)
		memcpy(longopts + nlong, col->longopts, ncol * sizeof(*longopts));
	/* operands may come between options (SPEC -f report): no '+' then */
	snprintf(shortopts, sizeof(shortopts), "%s%s", &COMMON_SHORT[col->operands != NULL],
		 col->shortopts ? col->shortopts : "");

	s->top = 20;
	/*
	 * Options end at "--": getopt would move a collector's operands
	 * (profiler latency's SPECs) behind it, into the command.
	 */
	for (dashes = 1; dashes < argc && strcmp(argv[dashes], "--"); dashes++)
		;
	optind = 1;
	opterr = 0;
	while (!err && (opt = getopt_long(dashes, argv, shortopts, longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			err = parse_ids(optarg, "PID", &s->pids, &s->npids);
			break;
		case 't':
			err = parse_ids(optarg, "TID", &s->tids, &s->ntids);
			break;
		case 'a':
			s->system_wide = true;
			break;
		case 'd':
			if (parse_seconds(optarg, &s->duration)) {
				pr_err("invalid duration '%s': give seconds, for example -d 30 or -d 0.5",
				       optarg);
				err = -EINVAL;
			}
			break;
		case OPT_CGROUP:
			if (!*optarg) {
				pr_err("--cgroup needs a path: a cgroup v2 directory, for example "
				       "system.slice/ssh.service");
				err = -EINVAL;
				break;
			}
			if (s->ncgroups >= MAX_CGROUPS) {
				pr_err("too many --cgroup: at most %d; name a parent cgroup instead",
				       MAX_CGROUPS);
				err = -EINVAL;
				break;
			}
			s->cgroups = xrealloc(s->cgroups, (s->ncgroups + 1) * sizeof(*s->cgroups));
			s->cgroups[s->ncgroups++] = optarg;
			break;
		case 'f':
		case 'o':
		case OPT_TOP:
		case OPT_NO_ADVICE:
		case OPT_GROUP_BY:
		case OPT_TITLE:
		case OPT_INVERTED:
		case OPT_WIDTH:
		case OPT_MINWIDTH:
		case 'v':
		case 'q':
			err = parse_output_opt(s, opt, optarg, NULL);
			break;
		case OPT_VALUE:
			if (!has_word(col->value_names, optarg)) {
				pr_err("unknown --value '%s' for profiler %s: choose one of: %s", optarg,
				       col->name, col->value_names);
				err = -EINVAL;
			}
			s->value = optarg;
			break;
		case OPT_NO_LEAF_FIX:
			s->no_leaf_fix = true;
			break;
		case OPT_NO_PYTHON:
			s->no_python = true;
			break;
		case OPT_LINES:
			s->lines = true;
			break;
		case OPT_STATS:
			s->stats = true;
			break;
		case OPT_UNWIND:
			if (strcmp(optarg, "dwarf") && strcmp(optarg, "fp")) {
				pr_err("invalid --unwind '%s': choose dwarf (.eh_frame tables) or fp "
				       "(frame pointers)", optarg);
				err = -EINVAL;
			}
			s->unwind_fp = !strcmp(optarg, "fp");
			break;
		case OPT_MAX_DEPTH: {
			uint64_t v = 0;

			if (parse_u64(optarg, 1, MAX_STACK_DEPTH, &v)) {
				pr_err("invalid --max-depth '%s': give a number of frames from 1 to %d",
				       optarg, MAX_STACK_DEPTH);
				err = -EINVAL;
			}
			s->max_depth = v;
			break;
		}
		case OPT_NO_DEBUGINFOD:
			s->no_debuginfod = true;
			break;
		case 'h':
			args_usage(col, stdout);
			free(longopts);
			return 1;
		case '?':
			if (optopt && optopt < 256)
				pr_err("unknown option '-%c' for profiler %s: see 'profiler %s --help'",
				       optopt, col->name, col->name);
			else
				pr_err("unknown option '%s' for profiler %s: see 'profiler %s --help'",
				       argv[optind - 1], col->name, col->name);
			err = -EINVAL;
			break;
		case ':':
			pr_err("option '%s' needs a value: see 'profiler %s --help'", argv[optind - 1],
			       col->name);
			err = -EINVAL;
			break;
		default:
			err = col->parse ? col->parse(s, opt, optarg) : -EINVAL;
			break;
		}
	}
	free(longopts);
	if (err)
		return err;

	if (optind < dashes) {
		if (!col->operands) {
			pr_err("unexpected argument '%s': to profile a command, put it after '--'",
			       argv[optind]);
			return -EINVAL;
		}
		s->operands = argv + optind;
		s->noperands = dashes - optind;
	}
	if (dashes + 1 < argc) {
		s->cmd = argv + dashes + 1;
	} else if (dashes < argc) {
		pr_err("nothing after '--': name the command to profile");
		return -EINVAL;
	}
	targets = (s->npids > 0) + (s->ntids > 0) + s->system_wide + (s->cmd != NULL);
	if (targets > 1) {
		pr_err("-p, -t, -a and '-- COMMAND' exclude each other: give one target");
		return -EINVAL;
	}
	if (!targets)
		s->system_wide = true;
	set_verbose(s->verbose);
	if (col->validate)
		return col->validate(s);
	return 0;
}

int parse_max_stacks(struct settings *s, const char *arg)
{
	uint64_t v;

	if (parse_u64(arg, 1024, 1 << 24, &v)) {
		pr_err("invalid --max-stacks '%s': give a number from 1024 to 16777216", arg);
		return -EINVAL;
	}
	s->max_stacks = v;
	return 0;
}

void settings_free(struct settings *s)
{
	free(s->pids);
	free(s->tids);
	free(s->cpus);
	free(s->cgroups);
}

int parse_what(const struct collector *const *cols, int n, const char *arg, unsigned int *mask)
{
	unsigned int m = 0;
	const char *p = arg;

	while (*p) {
		size_t len = strcspn(p, ",");
		int i;

		for (i = 0; i < n; i++)
			if (strlen(cols[i]->name) == len && !strncmp(p, cols[i]->name, len))
				break;
		if (i == n) {
			pr_err("unknown collector '%.*s' in --what '%s': choose from "
			       "cpu,offcpu,mem,lock,io", (int)len, p, arg);
			return -EINVAL;
		}
		m |= 1u << i;
		p += len;
		p += *p == ',';
	}
	if (!m) {
		pr_err("empty --what: name collectors, for example --what cpu,offcpu");
		return -EINVAL;
	}
	*mask = m;
	return 0;
}

int validate_what(const struct collector *const *cols, int n, unsigned int mask, struct settings *s)
{
	for (int i = 0; i < n; i++) {
		int err;

		if (!(mask & 1u << i) || !cols[i]->validate)
			continue;
		err = cols[i]->validate(s);
		if (err)
			return err;
	}
	return 0;
}
