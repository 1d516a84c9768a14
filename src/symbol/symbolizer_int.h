/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The symbolizer's own state, shared by the files that make it up:
 * symbolizer.c (life, settings, resolve), sym_files.c (the binaries, by
 * device and inode), sym_procs.c (processes and their mappings),
 * sym_names.c (naming user frames) and sym_kernel.c (kernel frames).
 */
#ifndef PROFILER_SYMBOLIZER_INT_H
#define PROFILER_SYMBOLIZER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "symbol/proc_maps.h"
#include "symbol/symbolizer.h"
#include "util/idxmap.h"

enum { FILE_UNREAD, FILE_LOADED, FILE_FAILED };

struct gopclntab;

struct sym_file {
	uint64_t dev, ino;
	char *path;		/* as the first process to map it named it */
	uint32_t pid;		/* that process: its root holds the debug files */
	int fd;			/* opened while a process had it mapped; -1 once read */
	int state;
	struct elf_syms *es;
	char build_id[41];	/* hex, "" when the file has none */
	struct srcline *sl;	/* --lines: its DWARF, or that of its debug file */
	int dwfd;		/* the file sl reads, -1: none */
	struct cfi *cfi;	/* its .eh_frame, when leaf candidates need it */
	struct gopclntab *go;	/* Go's own table of its functions, NULL: not Go */
};

/* --lines: the inlined frames found for a location, innermost first */
struct inline_chain {
	uint32_t first, n;	/* into symbolizer.chain_ids */
};

/* A process as the symbolizer met it; its mappings are in the timeline. */
struct sym_proc {
	uint32_t pid;
	bool refreshed;		/* re-read during resolve already */
	uid_t uid;		/* its user, who alone may write its perf map */
	bool uid_known;
	struct elf_syms *jit;	/* /tmp/perf-PID.map, read on first JIT frame */
	uint32_t jit_pass;	/* the symbolizer_resolve call that last read it */
	bool gone_counted;	/* counted among the processes exited unread */
	bool forgotten;		/* exited and no longer needed: dropped at the next compaction */
	bool fork_read;		/* read at a child's fork record (symbolizer_note_fork) */
};

struct symbolizer {
	char *kallsyms_path;
	char *debug_root;	/* NULL: DEBUGINFO_ROOT */
	struct ksyms *ksyms;
	bool ksyms_tried, ksyms_warned;
	uint64_t ksyms_full_ns;		/* when /proc/kallsyms was last read whole, 0: never */
	int ksyms_errno;
	pthread_t preload;	/* reading kallsyms while the profile runs */
	bool preloading;
	struct elf_syms *vdso;
	bool vdso_tried;

	struct sym_file *files;
	size_t nfiles, files_cap;
	struct idxmap file_index;

	struct sym_proc *procs;
	size_t nprocs, procs_cap;
	size_t nforgotten;	/* entries of procs forgotten, to compact */
	struct idxmap proc_index;
	struct timeline *tl;

	uint32_t pass;		/* symbolizer_resolve calls so far */
	bool lines;
	bool last;		/* the next resolve is the run's last naming */
	bool no_debuginfod;	/* --no-debuginfod */
	bool dbgd_tried;	/* the client is made on the first stripped file */
	struct dbginfod *dbgd;
	bool need_cfi;		/* the profile has return-address candidates */
	struct inline_chain *chains;	/* one per location of the profile */
	size_t chains_cap;
	uint32_t *chain_ids;
	size_t nchain_ids, chain_ids_cap;

	struct symbolizer_stats stats;
	uint64_t gone_new;	/* processes exited unread, not yet in a profile's losses */
	struct py_names *py;	/* Python code objects, as BPF sent them */
};

/* sym_files.c */
int32_t sz_file_for_map(struct symbolizer *sz, uint32_t pid, const struct proc_map *m);
struct elf_syms *sz_file_syms(struct symbolizer *sz, struct sym_file *f);
/* Drop what naming read of a file (tables, fds); its path and identity stay. */
void sz_release_file(struct sym_file *f);

/* sym_procs.c */
struct sym_proc *sz_find_proc(struct symbolizer *sz, uint32_t pid);
struct sym_proc *sz_add_proc(struct symbolizer *sz, uint32_t pid);
int sz_proc_read(struct symbolizer *sz, struct sym_proc *p);

/* sym_names.c */
void sz_name_user(struct symbolizer *sz, struct profile *prof, struct location *l);

/* sym_kernel.c */
void sz_name_kernel(struct symbolizer *sz, struct profile *prof, struct location *l);
void sz_preload_join(struct symbolizer *sz);

#endif /* PROFILER_SYMBOLIZER_INT_H */
