/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A collector is one subcommand: it loads its BPF programs, runs while the
 * session waits, and then fills a profile.  It knows nothing of formats.
 * Adding one is a BPF file, a collector file and a line in main.c.
 */
#ifndef PROFILER_COLLECTOR_H
#define PROFILER_COLLECTOR_H

#include <getopt.h>

#include "cli/settings.h"
#include "model/profile.h"

struct session;

struct collector {
	const char *name;
	const char *summary;		/* one line for `profiler --help` */
	const char *usage;		/* its own options, for `profiler NAME --help` */
	const char *operands;		/* what it takes besides options ("SPEC..."), or NULL */
	const char *default_format;	/* what stdout gets without -f */
	/* In --help, instead of the -f and -o lines: for a front-end whose
	 * output is no single file (record's -o DIR); NULL for those lines. */
	const char *output_usage;
	const char *value_names;	/* its sample types, space separated, default first */
	/* After "no samples: ": what was looked for and what to try; NULL for
	 * the cpu collector's question about running on a CPU. */
	const char *no_samples;
	/*
	 * Its windows add up: a profile of samples and losses only, each
	 * window's values counted since the last one, none of them a state
	 * (mem's outstanding bytes are).  A long one-shot run of it is cut
	 * into windows, each named and added into the run's profile as it
	 * goes, its exited processes then forgotten (session/fold.c).
	 */
	bool windows_add_up;
	const char *shortopts;		/* its own short options, getopt style */
	const struct option *longopts;	/* its own long options, {0} terminated */
	/* An option of its own: 0, or -EINVAL after printing what is wrong. */
	int (*parse)(struct settings *s, int opt, const char *arg);
	/* Cross-option checks after parsing. */
	int (*validate)(struct settings *s);
	/* Load and attach.  The session has spawned, not yet released, -- CMD. */
	int (*start)(struct session *ss);
	/* Stop collecting: detach what produces events. */
	void (*stop)(struct session *ss);
	/* Optional: called from the session's wait, at least every 250 ms,
	 * to move data out of the kernel before its maps fill. */
	void (*tick)(struct session *ss);
	/* Fill p from what was collected. */
	int (*collect)(struct session *ss, struct profile *p);
	/* Release everything; called once, whatever happened before. */
	void (*destroy)(struct session *ss);
};

extern const struct collector cpu_collector;
extern const struct collector io_collector;
extern const struct collector lock_collector;
extern const struct collector offcpu_collector;
extern const struct collector wall_collector;
extern const struct collector mem_collector;
extern const struct collector latency_collector;

#endif /* PROFILER_COLLECTOR_H */
