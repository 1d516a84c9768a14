// SPDX-License-Identifier: GPL-2.0
/* profiler: one binary, one subcommand per collector. */
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "collectors/collector.h"
#include "cli/frontends.h"
#include "tools/tool.h"
#include "util/util.h"

#ifndef PROFILER_VERSION
#define PROFILER_VERSION "0.1.0"
#endif

/* The registry: a new subcommand is one line here. */
static const struct collector *const collectors[] = {
	&cpu_collector,
	&io_collector,
	&lock_collector,
	&offcpu_collector,
	&wall_collector,
	&mem_collector,
	&latency_collector,
};

/* Front-ends running several collectors in one session: one line each. */
static const struct tool frontends[] = {
	{ "record", "every collector at once: a combined report, pprof files, flame graphs",
	  record_main },
	{ "top", "the live dashboard: CPU, memory, I/O and waits with their code paths", top_main },
	{ "agent", "always-on: windows over HTTP (pprof, a page, metrics), to files, to Pyroscope",
	  agent_main },
};

/* Tools read saved profiles instead of collecting: one line each. */
static const struct tool *const tools[] = {
	&report_tool,
	&diff_tool,
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: profiler COMMAND [OPTIONS] [-- PROGRAM [ARGS...]]\n"
		"Low-overhead profiler built on BPF: aggregates in the kernel, names every frame.\n\n"
		"Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(collectors); i++)
		fprintf(f, "  %-8s %s\n", collectors[i]->name, collectors[i]->summary);
	for (size_t i = 0; i < ARRAY_SIZE(frontends); i++)
		fprintf(f, "  %-8s %s\n", frontends[i].name, frontends[i].summary);
	fprintf(f, "\nTools, for saved profiles:\n");
	for (size_t i = 0; i < ARRAY_SIZE(tools); i++)
		fprintf(f, "  %-8s %s\n", tools[i]->name, tools[i]->summary);
	fprintf(f,
		"\nExamples:\n"
		"  profiler cpu -p 1234 -d 30 > out.folded     then: flamegraph.pl out.folded > out.svg\n"
		"  profiler cpu -d 10 -f report                 the whole system for 10 s, as a report\n"
		"  profiler cpu -o run.folded -- ./myprog args  a command, from start to exit\n"
		"  profiler lock -p 1234 -d 10                  which locks its threads wait on\n"
		"  profiler mem -p 1234 -d 60                   what a process allocates and keeps\n"
		"  profiler record -p 1234 -d 30 -o run/        every collector: report, pprof, svg\n"
		"  profiler top -p 1234                         live: CPU, memory, I/O, waits\n"
		"  profiler agent --dir /var/lib/profiler --keep 24h   always on; http://127.0.0.1:6060/\n"
		"  profiler cpu -d 30 -o cpu.svg -o cpu.pb.gz   a flame graph and a pprof file\n"
		"  profiler report cpu.pb.gz -f svg -o cpu.svg  re-render a saved profile\n"
		"  profiler diff before.pb.gz after.pb.gz -f svg -o diff.svg\n\n"
		"'profiler COMMAND --help' lists a command's options; 'man profiler' has the rest.\n"
		"Needs root (or CAP_BPF and CAP_PERFMON) and a kernel with BTF.\n");
}

int main(int argc, char **argv)
{
	struct settings set = {};
	const struct collector *col = NULL;
	int err, rc;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("profiler %s\n", PROFILER_VERSION);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(frontends); i++)
		if (!strcmp(argv[1], frontends[i].name))
			return frontends[i].run(argc - 1, argv + 1);
	for (size_t i = 0; i < ARRAY_SIZE(tools); i++)
		if (!strcmp(argv[1], tools[i]->name))
			return tools[i]->run(argc - 1, argv + 1);
	for (size_t i = 0; i < ARRAY_SIZE(collectors); i++)
		if (!strcmp(argv[1], collectors[i]->name))
			col = collectors[i];
	if (!col) {
		pr_err("unknown command '%s': run 'profiler --help' for the list", argv[1]);
		return 2;
	}
	err = args_parse(col, argc - 1, argv + 1, &set);
	if (err) {
		settings_free(&set);
		return err > 0 ? 0 : 2;
	}
	rc = oneshot_run(col, &set);
	settings_free(&set);
	return rc;
}
