/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers used everywhere: messages, allocation, number parsing. */
#ifndef PROFILER_UTIL_H
#define PROFILER_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* One line on stderr, prefixed "profiler: ". */
void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only with -v. */
void pr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void set_verbose(int level);
int verbose_level(void);

/* Allocation failure is not recoverable in a profiler: say so and exit. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
/* The file execvp runs for cmd (as given with a '/', else the first
 * executable regular file of that name along PATH), malloc'd; or NULL. */
char *command_path(const char *cmd);
/* An environment variable set, not empty and not "0" (the tests' switches). */
bool env_on(const char *name);
/* Grow *p (of *cap elements of size) to hold at least need elements. */
void grow_array(void **p, size_t *cap, size_t need, size_t size);
#define GROW(arr, cap, need) grow_array((void **)&(arr), &(cap), (need), sizeof(*(arr)))
/*
 * The same without zeroing the new elements: for large arrays written
 * element by element, whose unwritten tail then stays out of RSS (a large
 * realloc is memory mapped alone, resident only where written).
 */
void grow_array_raw(void **p, size_t *cap, size_t need, size_t size);
#define GROW_RAW(arr, cap, need) grow_array_raw((void **)&(arr), &(cap), (need), sizeof(*(arr)))
/* Append pid to the list (*v)[*n] unless it is there already (the lists
 * of processes to look at again, each once). */
void pids_add_once(uint32_t **v, size_t *n, size_t *cap, uint32_t pid);

/* Parsers: 0 on success, -EINVAL when s is not a number, -ERANGE when out of [min, max]. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int parse_seconds(const char *s, double *out);
/* "0,2-5,7" into a sorted, de-duplicated list of ints below limit. */
int parse_int_list(const char *s, int limit, int **out, int *n);

uint64_t now_ns(void);		/* CLOCK_MONOTONIC */
uint64_t cpu_now_ns(void);	/* CLOCK_THREAD_CPUTIME_ID: this thread's CPU time */
/* cpu_now_ns() when on, else 0: a system call that only --stats pays */
uint64_t cpu_ns_if(bool on);
/*
 * --stats' CPU time of a part that runs at nearly every wake-up, each call
 * alike (reading mapping records).  The thread's CPU clock is a system
 * call (the vDSO has none), and read around every read of the records and
 * every announcement under churn it was 6% of our own CPU: a cost --stats
 * added to what it measured.  One call in PART_EVERY is timed and counts
 * PART_EVERY times, an estimate without bias over many calls, as which
 * call is timed does not depend on what it does.  Not for parts whose
 * calls differ by orders (an announcement that makes a table).
 */
#define PART_EVERY 16
struct part_clock {
	uint64_t ns, calls;
};
/* The CPU clock when this call is timed (--stats on), else 0. */
uint64_t part_start(struct part_clock *c, bool on);
void part_stop(struct part_clock *c, uint64_t t0);
/*
 * part_stop less what the call spent in a part timed whole (less, ns): a
 * call that makes a binary's table costs orders more than one that finds
 * it, so that part is counted exactly and only the rest is estimated.
 */
void part_stop_less(struct part_clock *c, uint64_t t0, uint64_t less);
uint64_t hash_bytes(const void *data, size_t len, uint64_t seed);
uint64_t hash_u64(uint64_t x);

/* The process a thread belongs to, from /proc/TID/status; 0 if gone. */
uint32_t proc_tgid(uint32_t tid);
/* Read a whole (small, /proc or /sys) file; NUL-terminated; caller frees. */
char *read_file(const char *path, size_t *len);
/* The first line of a (small) file, without its newline, in buf cut to
 * size: false, buf untouched, if it cannot be read. */
bool read_line(const char *path, char *buf, size_t size);
/* This boot's id (/proc/sys/kernel/random/boot_id, without its newline) in
 * buf, cut to size: false if it cannot be read. */
bool boot_id(char *buf, size_t size);
/* At most max bytes of fd, NUL-terminated; *cut (if given) says whether
 * the file had more.  NULL with errno set on a read error. */
char *read_fd(int fd, size_t max, size_t *len, bool *cut);

/*
 * Map len bytes of fd shared, readable and writable (a BPF_F_MMAPABLE
 * map): NULL and errno on failure.  Here rather than in the callers, whose
 * headers may not meet <sys/mman.h> (its MAP_FILE is proc_maps.h's too).
 */
void *map_shared_rw(int fd, size_t len);
void unmap_shared(void *p, size_t len);

/* "1,234,567" */
const char *fmt_count(char *buf, size_t size, uint64_t n);
/* A value in its unit, for humans ("1.25 s", "4.0 MiB", "1,234"). */
const char *fmt_value(char *buf, size_t size, const char *unit, double v);

#endif /* PROFILER_UTIL_H */
