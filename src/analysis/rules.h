/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rules behind advice_run() and what they share: the thresholds, one
 * place for all of them (docs/advice.md tabulates them), the findings'
 * constructor, and readers of stacks that know nothing of collectors —
 * only frame kinds, names and modules.
 */
#ifndef PROFILER_ANALYSIS_RULES_H
#define PROFILER_ANALYSIS_RULES_H

#include <stdint.h>

#include "analysis/advice.h"
#include "util/idxmap.h"

/*
 * CPU.  Sampling error decides the floor: a share p of n samples is
 * uncertain by sqrt(p(1-p)/n), 9 points at 20% of 20 samples, so fewer
 * samples give no CPU finding, only a warning.
 */
#define CPU_MIN_SAMPLES 20
/* One function running a fifth of the CPU by itself is the first place an
 * optimisation pays: halving it saves 10% of the run. */
#define CPU_SELF_SHARE 0.20
/* A call path holding half the CPU (while no function on it does by
 * itself) is where the work divides: its callees are the candidates. */
#define CPU_PATH_SHARE 0.50
/* ...unless that path is the whole program (main, a thread's start):
 * then it says nothing the profile's total does not. */
#define CPU_PATH_WHOLE 0.95
/* Kernel time above 30% of a program's CPU: compute-bound code spends
 * well under 10% there, so system calls or faults are the cost. */
#define CPU_KERNEL_SHARE 0.30
#define CPU_MAX_FUNCS 3		/* self findings, the hottest first */

/*
 * Allocations, measured under uprobes, which cost each malloc+free pair
 * some microseconds: a rate measured at 10,000/s is a program that
 * allocates at least that fast and likely 10-30x faster without the
 * probes, enough for malloc to show in its CPU profile.
 */
#define ALLOC_RATE_OBJECTS 10000.0	/* per second */
/* Bytes: 64 MiB/s through malloc is page faults, cache misses and
 * memset of fresh memory at a rate a CPU profile shows. */
#define ALLOC_RATE_BYTES (64.0 * 1024 * 1024)	/* per second */
/*
 * A likely leak: a site that kept at least 90% of what it allocated
 * (a site that frees more than a tenth manages its objects), 100 objects
 * or more (fewer is what singletons and caches keep) and 1 MiB or more
 * (less is not worth a reader's time).
 */
#define LEAK_KEPT_SHARE 0.90
#define LEAK_MIN_OBJECTS 100
#define LEAK_MIN_BYTES (1024 * 1024)
/* Page faults: one function taking a fifth of them, out of at least 1,000
 * (4 MiB of first-touched pages; fewer is a program's start-up). */
#define FAULT_SITE_SHARE 0.20
#define FAULT_MIN_COUNT 1000

/*
 * Locks: 10% of the run's wall time spent waiting on one lock is one
 * thread in ten queued on it at any moment; 10 contentions at least,
 * since one long wait (a join, a start-up barrier) is no contention.
 */
#define LOCK_WALL_SHARE 0.10
#define LOCK_MIN_CONTENTIONS 10
/* A thread off the CPU more than half of the run waits more than it works. */
#define OFFCPU_THREAD_SHARE 0.50
#define OFFCPU_MAX_THREADS 3
/* fsync: 10% of the run's wall time blocked in it, or a fifth of the
 * disk's time (latency) spent on requests issued under it. */
#define FSYNC_WALL_SHARE 0.10
#define FSYNC_IO_SHARE 0.20

/* I/O: a p99 above 10 ms is slower than a seek of a spinning disk, and
 * far above any SSD; 100 requests at least, or the p99 is the maximum. */
#define IO_P99_NS 10000000.0
#define IO_MIN_REQUESTS 100

/* Quality: above 1% lost, or a tenth of the weight unnamed or cut, the
 * report's shares are off by more than its rounding. */
#define QUALITY_LOST_SHARE 0.01
#define QUALITY_UNNAMED_SHARE 0.10
#define QUALITY_TRUNCATED_SHARE 0.10

/* malloc'd printf; exits on allocation failure like xmalloc. */
char *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Append a finding; it takes the three strings. */
void advice_add(struct advice *a, const char *rule, bool warning, double figure, double threshold,
		char *title, char *evidence, char *next);

/* Each rule: reads p, appends to a. */
void rule_cpu(const struct profile *p, struct advice *a);
void rule_mem(const struct profile *p, struct advice *a);
void rule_faults(const struct profile *p, struct advice *a);
void rule_locks(const struct profile *p, struct advice *a);
void rule_offcpu(const struct profile *p, struct advice *a);
void rule_fsync(const struct profile *p, struct advice *a);
void rule_io(const struct profile *p, struct advice *a);
void rule_quality(const struct profile *p, struct advice *a);

/* ---- reading stacks (stacks.c) ---- */

/* The index of the type with this name and unit, or -1. */
int type_index(const struct profile *p, const char *name, const char *unit);
/* The run's seconds, 0 when the profile does not say. */
double profile_secs(const struct profile *p);
/* 100 * v / total, 0 for no total. */
double share_pct(double v, double total);

/* "spin_three [burn31]", "clear_user [kernel]" */
const char *frame_label(char *buf, size_t size, const struct location *l);
/* A user frame in code of the system's libraries (/lib, /usr/lib): libc,
 * the allocator, the C++ runtime; not the program's own. */
bool frame_is_system(const struct location *l);
/* The first (leafmost) user frame of the program's own code, else the
 * first user frame; NULL when the stack has none. */
const struct location *own_frame(const struct profile *p, size_t sample);
/* The own frame and its caller, "take < update_shared_counter [lockfight]". */
const char *own_path(const struct profile *p, size_t sample, char *buf, size_t size);
/* The first frame that is code (not FRAME_GROUP), NULL for none. */
const struct location *leaf_frame(const struct profile *p, size_t sample);
/* A frame that names nothing: an address in a module without symbols. */
bool frame_unnamed(const struct location *l);
/* A frame that says the stack was cut: [lost ... stack], [frames lost: ...] */
bool frame_lost(const struct location *l);
/* Whether a frame's name contains needle. */
bool stack_has(const struct profile *p, size_t sample, const char *needle);
/*
 * What a kernel sample is doing, from its kernel frames: "page faults",
 * "interrupts", a system call's name ("read"), "kernel threads" (no user
 * frames) or "other kernel work" when none applies.  buf holds a system
 * call's name.
 */
const char *kernel_cause(const struct profile *p, size_t sample, char *buf, size_t size);
/*
 * The name of the system library's function that entered the kernel (the
 * user frame right below a sample's kernel frames, as __libc_pwrite), or
 * NULL when there is none.
 */
const char *syscall_wrapper(const struct profile *p, size_t sample);
/* Where a blocked stack waits: the first kernel frame past the
 * scheduler's own, else the leaf; NULL for an empty stack. */
const struct location *wait_frame(const struct profile *p, size_t sample);

/*
 * Sums by a key of two pointers (interned name and module, pid and comm,
 * ...): up to four values and a representative sample, the heaviest seen.
 */
struct tally_row {
	const void *k1, *k2;
	int64_t v[4];
	int64_t best;		/* the representative's own v[0] */
	size_t sample;
};

struct tally {
	struct tally_row *rows;
	size_t n, cap;
	struct idxmap index;
};

/* Add vals[0..3] (NULL: nothing) under (k1, k2); sample becomes the
 * representative when its own vals[0] is the largest so far. */
struct tally_row *tally_add(struct tally *t, const void *k1, const void *k2, size_t sample,
			    const int64_t *vals);
/* Rows by v[col], largest first; no tally_add after it. */
void tally_sort(struct tally *t, int col);
void tally_free(struct tally *t);

#endif /* PROFILER_ANALYSIS_RULES_H */
