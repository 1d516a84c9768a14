/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names every location of a profile: kernel frames from kallsyms, user
 * frames through the process's mappings and the ELF files behind them.
 * Files are cached by (device, inode): a thousand processes of one binary
 * read it once.  A frame that cannot be named comes out as module+0xOFFSET.
 */
#ifndef PROFILER_SYMBOLIZER_H
#define PROFILER_SYMBOLIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/profile.h"

struct symbolizer;

struct symbolizer_stats {
	uint64_t procs;		/* processes whose mappings were read */
	uint64_t procs_gone;	/* processes that exited before they could be */
	uint64_t mappings;	/* mappings learnt from mmap records */
	uint64_t timeline_procs;	/* processes known from their records */
	uint64_t timeline_reused;	/* pids that began a second lifetime */
	uint64_t timeline_dropped;	/* exited processes forgotten (the bound) */
	uint64_t forgotten;	/* exited processes forgotten once read (symbolizer_forget_exited) */
	bool kallsyms_cached;	/* kernel symbols came from the /run cache */
	uint64_t files;		/* distinct binaries opened */
	uint64_t files_loaded;	/* binaries whose symbols were read */
	uint64_t symbols;	/* symbols read from them */
	uint64_t debug_files;	/* binaries named from separate debug info */
	uint64_t jit_maps;	/* /tmp/perf-PID.map files read */
	uint64_t lines;		/* --lines: locations given a file:line */
	uint64_t inlined;	/* --lines: inlined frames added */
	uint64_t resolved;	/* locations named by a symbol */
	uint64_t unnamed;	/* locations named module+0xOFFSET or like */
	uint64_t ns;		/* time spent in symbolizer_resolve */
	uint64_t procs_from_records;	/* of procs, known whole from records: not read */
	uint64_t proc_reads;	/* /proc/PID/maps opened, the process there or not */
};

struct symbolizer *symbolizer_new(void);
void symbolizer_free(struct symbolizer *sz);

/*
 * Read the mappings of pid now and open the files behind them, so that
 * the process can be symbolized after it exits.  Called when a process is
 * first seen, and again after exec.  0, or -errno when they cannot be
 * read (it exited).
 */
int symbolizer_note_process(struct symbolizer *sz, uint32_t pid);
/*
 * Mapping records flow (the mmap watcher runs): a process whose records
 * since its exec (or its fork from one known whole) hold every mapping is
 * then not read from /proc.  symbolizer_note_lost: records were lost, so
 * every process known so far is read again when next noted.
 */
void symbolizer_track_records(struct symbolizer *sz);
void symbolizer_note_lost(struct symbolizer *sz);
/* Whether pid's current mappings are known whole (symbolizer_current_maps). */
bool symbolizer_maps_known(const struct symbolizer *sz, uint32_t pid);

/*
 * The file behind a user address of (pid, life) and its offset there, from
 * the mappings known so far: a profile's file_of hook (ctx: the
 * symbolizer), so that every process of one binary shares its locations.
 * false where the mapping is unknown, ambiguous or not a readable file.
 */
bool symbolizer_file_of(void *ctx, uint32_t pid, uint32_t life, uint64_t addr, uint32_t *file,
			uint64_t *offset);
/* The file symbolizer_file_of gives for the vDSO, every process's the same
 * as ours: its offset is from the mapping's start. */
#define SYMBOLIZER_FILE_VDSO	0x7fffffffU

/*
 * Start reading /proc/kallsyms in a thread of its own, so that its cost
 * (100-400 ms of kernel time on a busy machine) is paid while the profile
 * runs rather than after it.
 */
void symbolizer_preload(struct symbolizer *sz);

/*
 * A file (or anonymous memory) mapped executable by pid just now
 * (PERF_RECORD_MMAP2), for any process on the machine: added to its
 * current generation; a file not met before is opened at once, while the
 * process may still live.
 */
void symbolizer_note_mapping(struct symbolizer *sz, uint32_t pid, uint64_t start,
			     uint64_t len, uint64_t offset, uint64_t dev, uint64_t ino,
			     const char *path);

/* PERF_RECORD_FORK: pid is a new process, with ppid's mappings for now;
 * life: LIFE_TAG of the record's time (CLOCK_MONOTONIC). */
void symbolizer_note_fork(struct symbolizer *sz, uint32_t ppid, uint32_t pid, uint32_t life);
/* PERF_RECORD_COMM with the exec flag: pid runs a new program. */
void symbolizer_note_exec(struct symbolizer *sz, uint32_t pid);
/* PERF_RECORD_EXIT of a process (not a thread). */
void symbolizer_note_exit(struct symbolizer *sz, uint32_t pid);
/*
 * Exited processes are forgotten once no sample needs their mappings: the
 * mark counts the exits noted so far; symbolizer_forget_exited drops the
 * processes whose exits came before mark (and whose pids did not start
 * again since).  The caller takes the mark before reading a window's
 * samples and forgets up to it once they are named.
 */
uint64_t symbolizer_exit_mark(const struct symbolizer *sz);
/* timeline_exited_before: 1 pid exited before mark, 0 not, -1 unknown. */
int symbolizer_exited_before(const struct symbolizer *sz, uint32_t pid, uint64_t mark);
size_t symbolizer_forget_exited(struct symbolizer *sz, uint64_t mark);
/* What pid maps now, as the records and /proc said (for the unwinder). */
struct proc_map;
const struct proc_map *symbolizer_current_maps(const struct symbolizer *sz, uint32_t pid,
					       size_t *n);

/* Where Python code objects' names are kept as BPF sends them (made on first use). */
struct py_names *symbolizer_python_names(struct symbolizer *sz);

/* Give every location of p a name. */
int symbolizer_resolve(struct symbolizer *sz, struct profile *p);

/*
 * The next resolve is the run's last naming, of its only profile: each
 * table is freed as soon as naming is done with it (the kernel's after
 * the kernel frames, a file's after the last location in it), then the
 * rest as symbolizer_release does.
 */
void symbolizer_last_naming(struct symbolizer *sz);

/*
 * Naming is over for this run (its last profiles are named): free the
 * tables naming keeps per binary (symbols, CFI, lines, Go's) and the
 * kernel's symbols, before the writers need the room.  A resolve after it
 * names user frames module+0xOFFSET and kernel frames by address.
 */
void symbolizer_release(struct symbolizer *sz);

/* For tests: use this kallsyms file instead of /proc/kallsyms. */
void symbolizer_set_kallsyms(struct symbolizer *sz, const char *path);

/* --lines: fill file:line from DWARF and add a FRAME_INLINE location for
 * each inlined function, spliced into the stacks.  Off: DWARF is never read. */
void symbolizer_set_lines(struct symbolizer *sz, bool on);

/* --no-debuginfod: never fetch debug files from DEBUGINFOD_URLS (on by
 * default when it is set: symbol/debuginfod.h) */
void symbolizer_set_debuginfod(struct symbolizer *sz, bool on);

/* For tests: look for debug files under dir instead of /usr/lib/debug. */
void symbolizer_set_debug_root(struct symbolizer *sz, const char *dir);

void symbolizer_get_stats(const struct symbolizer *sz, struct symbolizer_stats *st);

#endif /* PROFILER_SYMBOLIZER_H */
