/* SPDX-License-Identifier: GPL-2.0 */
/* Everything the command line sets: the one settings struct. */
#ifndef PROFILER_SETTINGS_H
#define PROFILER_SETTINGS_H

#include <stdbool.h>

#define MAX_OUTPUTS 8
#define MAX_AGENT_LABELS 16

struct settings {
	/* targets: at most one of pids, tids, cmd; none means system-wide */
	int *pids;
	int npids;
	int *tids;
	int ntids;
	bool system_wide;
	char **cmd;		/* argv after "--" */
	/* --cgroup PATH, repeatable: only tasks in these cgroups (v2) or below;
	 * with any target above, tasks both name */
	const char **cgroups;
	int ncgroups;
	char **operands;	/* the collector's operands (before "--") */
	int noperands;

	double duration;	/* seconds; 0: until Ctrl-C or the targets exit */
	const char *format;	/* -f; NULL: the collector's default */
	const char *outputs[MAX_OUTPUTS];
	int noutputs;
	const char *value;	/* --value: the sample type to weigh by */
	int top;		/* report rows */
	bool no_advice;		/* --no-advice: no Recommendations in the report */
	int group_by;		/* --group-by: folded's root frame, enum group_by (output.h) */
	int verbose;
	bool quiet;
	bool lines;		/* --lines: file:line and inlined frames from DWARF */
	bool no_leaf_fix;	/* --no-leaf-fix: frame-pointer stacks as the kernel walks them */
	bool no_python;		/* --no-python: no Python frames in native stacks */
	bool unwind_fp;		/* --unwind fp: frame pointers only, no .eh_frame tables */
	bool stats;		/* --stats: what profiling cost */
	unsigned int max_depth;	/* --max-depth: frames kept of a stack; 0: the default */
	bool no_debuginfod;	/* --no-debuginfod: no debug files from DEBUGINFOD_URLS */
	/* svg output: --title, --inverted, --width, --minwidth */
	const char *title;
	bool inverted;
	int width;		/* 0: 1200 */
	double minwidth;	/* pixels; 0: 0.1 */

	/* profiler cpu */
	int freq;		/* Hz */
	int *cpus;		/* -C; NULL: every online CPU */
	int ncpus;
	bool user_only;
	bool kernel_only;
	bool idle;
	unsigned int max_stacks;	/* 0: sized from the expected samples */

	/* profiler io */
	const char *disk;	/* --disk NAME; NULL: every disk */
	double interval;	/* -i SECS; 0: one report at the end */
	bool queued;		/* --queued: time from insert to issue too */
	double slow_ms;		/* --slow MS; 0: no list of slow requests */
	/* profiler lock */
	bool lock_kernel;	/* --kernel: kernel locks only */
	bool lock_user;		/* --user: futexes only */
	int lock_by;		/* --by: 0 lock, 1 stack, 2 task */
	unsigned lock_kinds;	/* --kind: WAIT_BIT()s of collectors/futex_kind.h, 0: contention */
	bool lock_raw_tp;	/* hidden --raw-tp: attach as raw_tp, as without tp_btf */
	/* profiler offcpu, profiler wall */
	const char *offcpu_state;	/* --state: "blocked" or "all"; NULL: the default */
	unsigned long long min_block_us;	/* count off-CPU periods this long or longer */
	unsigned long long max_block_us;	/* ... and this long or shorter; 0: no limit */
	/* profiler mem */
	bool mem_kernel;		/* kmalloc family instead of user allocations */
	bool mem_faults;		/* page faults instead */
	const char *mem_lib;		/* --lib: the allocator's file */
	const char *mem_prefix;		/* --prefix: je_ for je_malloc */
	unsigned int mem_sample_every;	/* track 1 in N */
	unsigned int mem_max_live;	/* live allocations the kernel can hold */
	bool mem_max_live_set;		/* given with --max-live */
	/* profiler record */
	unsigned int record_what;	/* --what: bit i for the record front-end's collector i */
	double window;			/* --window SECS; 0: one window, the whole run */
	/* profiler top: the refresh is window (-i) */
	bool top_batch;			/* -b: text on stdout instead of the screen */
	int top_count;			/* -n: refreshes before it stops; 0: no limit */
	/* profiler agent (--what and --window as record's) */
	const char *agent_listen;	/* --listen ADDR:PORT; NULL: the default; "off": none */
	const char *agent_dir;		/* --dir DIR: a pprof file per window and type */
	const char *agent_keep;		/* --keep LIMITS, checked when parsed */
	const char *agent_pyroscope;	/* --pyroscope URL */
	const char *agent_app;		/* --app NAME */
	const char *agent_labels[MAX_AGENT_LABELS];	/* --label k=v */
	int agent_nlabels;
	unsigned int agent_renew_rss_mib;	/* hidden --renew-rss MIB; 0: the default */
	unsigned int agent_renew_min_s;	/* hidden --renew-min SECS; 0: the default */
	/* profiler latency: operands are its SPECs; -i and --slow as io's */
	int lat_by;			/* enum lat_by: --by caller|stack|tid|pid */
	unsigned int lat_max_funcs;	/* --max-funcs: functions one glob may attach */
	/* profiler top's screen: the command's output goes to top's log, shown
	 * after the screen (top says so on its status line), not to stderr */
	bool cmd_output_kept;
};

#endif /* PROFILER_SETTINGS_H */
