/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one data model between collectors, the symbolizer and the writers,
 * shaped like pprof's: named sample types with units; samples that carry
 * one value per type, a stack of locations (leaf first) and labels
 * (pid, tid, comm); locations deduplicated by (process, address).
 *
 * A collector fills it, the symbolizer names every location, a writer
 * prints it.  A writer never knows which collector made it.
 */
#ifndef PROFILER_PROFILE_H
#define PROFILER_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "model/histogram.h"
#include "util/idxmap.h"

#define PROFILE_MAX_TYPES 8

enum frame_kind {
	FRAME_USER,
	FRAME_KERNEL,
	FRAME_JIT,	/* user code in anonymous memory, named from a perf map */
	FRAME_INLINE,	/* a function inlined at the location's address */
	FRAME_GROUP,	/* not code: what the sample is about (a lock, a task); named
			 * by its collector, module says what kind ("lock", "task") */
	FRAME_PYTHON,	/* a Python function: addr is its frame word (include/python.h),
			 * named "function (file.py:line)", module "[python]" */
};

enum combine {
	COMBINE_SUM,	/* values of merged samples add up (counts, times, bytes) */
	COMBINE_MAX,	/* the largest is kept (the longest single wait) */
};

/*
 * The name of code in anonymous memory that no perf map names (a JIT's):
 * the process has no /tmp/perf-PID.map, or its map lacks the address.
 * Readers of profiles (the advice's quality rules) know frames by it.
 */
#define JIT_UNNAMED "[JIT code: no perf map]"
#define JIT_UNNAMED_NOT_IN_MAP "[JIT code: not in its perf map]"
#define JIT_UNNAMED_PREFIX "[JIT code: "

/* How a saved pprof profile marks a COMBINE_MAX type: a comment, this and the name. */
#define PPROF_MAX_COMMENT "aggregate max: "

struct sample_type {
	const char *name;	/* "samples", "cpu", "alloc_space", "delay", ... */
	const char *unit;	/* "count", "nanoseconds", "bytes" */
};

struct location {
	uint64_t addr;		/* as captured: a user or kernel virtual address */
	uint32_t pid;		/* the address space of a user frame; 0 for kernel and
				 * for a frame of a file (file_id != 0) */
	uint32_t file_id;	/* 0, or 1 + the file_of hook's file: then addr is
				 * an offset in that file, the same location for
				 * every process that maps it */
	uint32_t life;		/* which lifetime of pid (LIFE_TAG), 0: unknown */
	uint8_t kind;		/* enum frame_kind */
	bool is_return;		/* addr is a return address: look up addr - 1 */
	uint8_t ra_slot;	/* 0: a frame the unwinder found; k + 1: a return
				 * address candidate read from the k-th word above
				 * the user stack pointer (LEAF_RA_MARK) */
	int16_t cfa_sp;		/* set by the symbolizer for an interrupted user
				 * frame: its CFA as an offset from the stack
				 * pointer, 0 when not so kept or unknown */
	bool bogus;		/* set by the symbolizer: no code there, so the
				 * unwinder followed a register that was no frame
				 * pointer, and what lies rootward is garbage */

	/* Filled by the symbolizer; name is never NULL afterwards. */
	const char *name;	/* function, demangled */
	const char *module;	/* path of the binary, or "[kernel.kallsyms]" */
	uint64_t module_addr;	/* address within the module's ELF image */
	const char *build_id;	/* the module's GNU build-id in hex, or NULL */
	const char *file;	/* source file, or NULL when unknown */
	uint32_t line;		/* source line, 0 when unknown */
};

/*
 * What a sample is labelled with besides its pid, once per distinct
 * (tid, comm, cgroup): under churn a million samples have a few hundred
 * of them, so a sample carries an index (16 bytes a sample, not 32).
 */
struct sample_label {
	uint32_t tid;		/* 0 when samples are aggregated per process */
	const char *comm;	/* interned */
	const char *cgroup;	/* interned cgroup v2 path ("/system.slice/x.service"), or
				 * NULL: unknown */
};

struct sample {
	uint32_t first;		/* into profile.frames: location ids, leaf first;
				 * samples with the same stack share it (never
				 * write through it: profile_edit_stacks) */
	uint32_t nframes;
	uint32_t pid;
	uint32_t label;		/* into profile.labels: sample_label() */
};

struct loss {
	const char *what;	/* "user stacks (fault)" */
	uint64_t count;
	const char *hint;	/* what to do about it, may be NULL */
};

/*
 * A list for people to read, row by row: the requests slower than a
 * threshold, say.  Cells are text; a writer prints them as they are.
 */
#define TABLE_MAX_COLS 12

struct table {
	const char *title;
	int ncols;
	const char *cols[TABLE_MAX_COLS];
	char **cells;		/* nrows * ncols, owned */
	size_t nrows, cap;
};

/*
 * A ranking the report should show: stacks by one type, with the type that
 * counts its objects (an average per object follows) and an age type
 * beside it; -1 for none.  The collector's view of what matters, such as
 * "possible leaks: by outstanding bytes".
 */
struct stack_table {
	const char *title;
	int type;
	int count_type;
	int age_type;
};

#define PROFILE_MAX_STACK_TABLES 4

struct profile {
	struct sample_type types[PROFILE_MAX_TYPES];
	int ntypes;
	int default_type;	/* what folded and report weigh by unless told */
	uint8_t combine[PROFILE_MAX_TYPES];	/* enum combine per type, COMBINE_SUM unless set */
	/*
	 * A type that is always another's value times a constant (cpu's
	 * nanoseconds: samples x period) is not stored: scaled_of is 1 + that
	 * type, 0 for a stored type, whose values are column[] of a sample's
	 * nstored.  8 bytes a sample less under churn.
	 */
	uint8_t scaled_of[PROFILE_MAX_TYPES];
	uint8_t column[PROFILE_MAX_TYPES];
	int64_t scale[PROFILE_MAX_TYPES];
	int nstored;

	const char *event;	/* what was measured, for humans: "cpu-clock at 99 Hz" */
	/*
	 * Kernel stacks taken inside a tracepoint (offcpu, wall, lock, io):
	 * the tracing's own frames at their leaf are the profiler's, and there
	 * are more of them when another tool probes the same tracepoint
	 * (__traceiter_sched_switch): profile_trim_tracing() drops them.
	 */
	bool traced_stacks;
	/* read from a format that keeps neither process ids nor modules
	 * (folded stacks): writers show no pid 0 and no "[unknown]" module */
	bool no_pids;
	struct sample_type period_type;
	int64_t period;		/* one sample stands for this much period_type */
	uint64_t start_time_ns;	/* CLOCK_REALTIME */
	uint64_t duration_ns;

	struct sample *samples;
	size_t nsamples, samples_cap;
	int64_t *values;	/* nsamples * nstored: profile_value() */
	size_t values_cap;
	uint32_t *frames;	/* each distinct stack once */
	size_t nframes, frames_cap;
	/*
	 * Distinct stacks, by the sample that first had each: under churn
	 * thousands of processes of one program have the same stack of
	 * file-keyed locations, one copy of its frames.  Dropped when stacks
	 * are edited (they may then repeat, never wrongly shared).
	 */
	struct idxmap stack_index;

	struct sample_label *labels;	/* what samples point at, each once */
	size_t nlabels, labels_cap;
	struct idxmap label_index;

	struct location *locs;
	size_t nlocs, locs_cap;
	struct idxmap loc_index;
	/*
	 * Optional, set before any location is made: the file a user address
	 * of (pid, life) lies in, and its offset there.  When it answers, the
	 * location is the file's, shared by every process that maps it, so
	 * a thousand short processes of one program make one set of
	 * locations, not a thousand (the symbolizer's, symbolizer_file_of).
	 */
	bool (*file_of)(void *ctx, uint32_t pid, uint32_t life, uint64_t addr, uint32_t *file,
			uint64_t *offset);
	void *file_ctx;

	char **strings;
	size_t nstrings, strings_cap;
	struct idxmap string_index;

	struct loss *losses;
	size_t nlosses, losses_cap;

	/* Distributions beside the samples (latency per disk, ...). */
	struct histogram *hists;
	size_t nhists, hists_cap;
	struct table *tables;
	size_t ntables, tables_cap;

	/* Rankings of stacks the report shows instead of its usual sections. */
	struct stack_table stack_tables[PROFILE_MAX_STACK_TABLES];
	int nstack_tables;
};

struct profile *profile_new(void);
void profile_free(struct profile *p);

/* Returns the type's index. */
int profile_add_type(struct profile *p, const char *name, const char *unit);
int profile_find_type(const struct profile *p, const char *name);
/*
 * A type whose value is always type of's times scale: not stored, computed
 * when read (profile_add_sample ignores what it is given for it).  Returns
 * the type's index, -1 when of is not a stored type.
 */
int profile_add_scaled_type(struct profile *p, const char *name, const char *unit, int of,
			    int64_t scale);

const char *profile_intern(struct profile *p, const char *s);

/* The id of the location for (kind, pid, addr), created on first use. */
uint32_t profile_location(struct profile *p, enum frame_kind kind, uint32_t pid,
			  uint64_t addr, bool is_return);

/*
 * The same for a frame of the program whose lifetime tag (LIFE_TAG,
 * include/common.h) is life, 0 when the collector does not know it:
 * locations of one pid in two lifetimes are two locations, each named
 * from its own mappings.  Kernel frames have none.
 */
uint32_t profile_location_life(struct profile *p, enum frame_kind kind, uint32_t pid,
			       uint32_t life, uint64_t addr, bool is_return);

/* The same for a return-address candidate from stack word slot - 1. */
uint32_t profile_location_slot(struct profile *p, enum frame_kind kind, uint32_t pid,
			       uint64_t addr, bool is_return, uint8_t slot);

/* A location read from a saved profile, appended as it is (not deduplicated). */
uint32_t profile_add_location(struct profile *p, const struct location *l);

/* Append raw stack addresses (leaf first) as locations to ids[*n]; the
 * first is the interrupted instruction when first_is_ip, the rest are
 * return addresses.  Python frame words (include/python.h) that follow a
 * user stack come last, as FRAME_PYTHON locations, for the symbolizer to
 * merge into the native frames (python_merge). */
void profile_stack(struct profile *p, uint32_t *ids, uint32_t *n, uint32_t max,
		   enum frame_kind kind, uint32_t pid, const uint64_t *ips,
		   uint32_t nips, bool first_is_ip);
/* The same for the program of lifetime tag life (profile_location_life). */
void profile_stack_life(struct profile *p, uint32_t *ids, uint32_t *n, uint32_t max,
			enum frame_kind kind, uint32_t pid, uint32_t life, const uint64_t *ips,
			uint32_t nips, bool first_is_ip);

/* values has p->ntypes entries (those of scaled types are not read).  Returns the sample's index.  A stack seen
 * before is not copied: the sample shares its frames. */
size_t profile_add_sample(struct profile *p, const uint32_t *locs, uint32_t nlocs,
			  uint32_t pid, uint32_t tid, const char *comm,
			  const int64_t *values);

/*
 * The last sample's values combined into those of sample into, which has
 * the same stack (frames shared) and labels, and the last sample dropped.
 */
void profile_fold_last_sample(struct profile *p, size_t into);

/* A sample's tid, comm and cgroup. */
static inline const struct sample_label *sample_label(const struct profile *p,
							const struct sample *s)
{
	return &p->labels[s->label];
}

/* Label sample s with a cgroup (interned here), keeping its tid and comm. */
void profile_set_cgroup(struct profile *p, size_t s, const char *cgroup);

/* Ask the report for a ranking of stacks (types as indices, -1 for none). */
void profile_add_stack_table(struct profile *p, const char *title, int type, int count_type,
			     int age_type);

/* The location of a FRAME_GROUP frame "name", of kind group ("lock"). */
uint32_t profile_group_frame(struct profile *p, const char *group, const char *name);

/* The name of a Python frame: "function (file.py:line)", the file's base name. */
const char *python_frame_name(struct profile *p, const char *func, const char *file, uint32_t line);

/* Merge value b into a as type's combine says. */
static inline int64_t profile_combine(const struct profile *p, int type, int64_t a, int64_t b)
{
	if (p->combine[type] == COMBINE_MAX)
		return a > b ? a : b;
	return a + b;
}

void profile_add_loss(struct profile *p, const char *what, uint64_t count, const char *hint);

/* A new empty histogram; returns its index in p->hists. */
size_t profile_add_histogram(struct profile *p, const char *name, const char *unit, int64_t scale);
/* A new table with ncols columns; returns its index in p->tables. */
size_t profile_add_table(struct profile *p, const char *title, int ncols, const char *const *cols);
/* Append a row of t->ncols cells (copied). */
void profile_table_row(struct profile *p, size_t table, const char *const *cells);

static inline int64_t profile_value(const struct profile *p, size_t sample, int type)
{
	int of = p->scaled_of[type];

	if (of)
		return p->values[sample * p->nstored + p->column[of - 1]] * p->scale[type];
	return p->values[sample * p->nstored + p->column[type]];
}

static inline const uint32_t *profile_sample_frames(const struct profile *p, size_t sample)
{
	return p->frames + p->samples[sample].first;
}

int64_t profile_total(const struct profile *p, int type);

/*
 * Edit every distinct stack in place once: edit gets its frames and count
 * and returns the new count (no more than it was given), which every
 * sample sharing the stack then has.  The edit must depend on the frames
 * alone.
 */
typedef uint32_t (*stack_edit_fn)(struct profile *p, uint32_t *fr, uint32_t n, void *ctx);
void profile_edit_stacks(struct profile *p, stack_edit_fn edit, void *ctx);
/* With traced_stacks, named: the tracing's frames at each stack's leaf go. */
void profile_trim_tracing(struct profile *p);
/* A named kernel frame of the tracing (__traceiter_, __bpf_trace_, bpf_trace_run). */
bool profile_tracing_frame(const struct location *l);

/* Keep a return-address candidate only where the frame before it (the
 * interrupted function) keeps its return address in that very stack word;
 * drop it everywhere else.  Needs cfa_sp, so runs after naming. */
void profile_check_leaf_candidates(struct profile *p);

/* Cut every stack at its first bogus location (towards the root), which
 * becomes the marker frame "[frames lost: no frame pointer]". */
void profile_prune_bogus(struct profile *p);

#endif /* PROFILER_PROFILE_H */
