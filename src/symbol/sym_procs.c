// SPDX-License-Identifier: GPL-2.0
/*
 * Processes as the symbolizer meets them: their mappings (read from /proc
 * or learnt from mmap records) go to the timeline, the files behind them
 * to sym_files.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <elf.h>

#include "symbol/cfi.h"
#include "symbol/debuginfo.h"
#include "symbol/debuginfod.h"
#include "symbol/elf_syms.h"
#include "symbol/kallsyms.h"
#include "symbol/kallsyms_cache.h"
#include "symbol/perf_map.h"
#include "symbol/proc_maps.h"
#include "symbol/python_merge.h"
#include "symbol/python_names.h"
#include "symbol/srcline.h"
#include "symbol/timeline.h"
#include "symbol/demangle.h"
#include "symbol/symbolizer.h"
#include "util/idxmap.h"
#include "util/file_limits.h"
#include "util/util.h"
#include "symbol/symbolizer_int.h"

/* ---- processes ---------------------------------------------------------- */

struct proc_key {
	const struct symbolizer *sz;
	uint32_t pid;
};

static bool proc_eq(const void *ctx, uint32_t idx)
{
	const struct proc_key *k = ctx;

	return k->sz->procs[idx].pid == k->pid && !k->sz->procs[idx].forgotten;
}

struct sym_proc *sz_find_proc(struct symbolizer *sz, uint32_t pid)
{
	struct proc_key k = { sz, pid };
	int64_t i = idxmap_find(&sz->proc_index, hash_u64(pid), proc_eq, &k);

	return i >= 0 ? &sz->procs[i] : NULL;
}

/* Who may write its perf map: /proc/PID belongs to its effective user. */
static void note_uid(struct sym_proc *p)
{
	char dir[32];
	struct stat st;

	if (p->uid_known)
		return;
	snprintf(dir, sizeof(dir), "/proc/%u", p->pid);
	if (!stat(dir, &st)) {
		p->uid = st.st_uid;
		p->uid_known = true;
	}
}

int sz_proc_read(struct symbolizer *sz, struct sym_proc *p)
{
	struct proc_map *maps;
	size_t n;
	int err;

	sz->stats.proc_reads++;
	err = proc_maps_read(p->pid, &maps, &n);
	if (err)
		return err;
	note_uid(p);
	for (size_t i = 0; i < n; i++)
		if (maps[i].kind == MAP_FILE)
			maps[i].file = sz_file_for_map(sz, p->pid, &maps[i]);
	timeline_add(sz->tl, p->pid, maps, n);
	timeline_mark_read(sz->tl, p->pid);
	return 0;
}

void symbolizer_note_mapping(struct symbolizer *sz, uint32_t pid, uint64_t start,
			     uint64_t len, uint64_t offset, uint64_t dev, uint64_t ino,
			     const char *path)
{
	struct proc_map *m = xcalloc(1, sizeof(*m));

	m->start = start;
	m->end = start + len;
	m->offset = offset;
	m->dev = dev;
	m->ino = ino;
	m->path = xstrdup(path);
	m->file = -1;
	if (ino && path[0] == '/') {
		m->kind = MAP_FILE;
		m->file = sz_file_for_map(sz, pid, m);
	} else if (!strcmp(path, "[vdso]")) {
		m->kind = MAP_VDSO;
	} else if (path[0] == '[' && strcmp(path, "[anon]")) {
		m->kind = MAP_OTHER;
	} else {
		struct sym_proc *p = sz_find_proc(sz, pid);

		m->kind = MAP_ANON;	/* "//anon", memfd and the like: JIT code */
		/* its perf map's owner is checked against this at the end,
		 * when the process may be gone */
		note_uid(p ? p : sz_add_proc(sz, pid));
	}
	timeline_add(sz->tl, pid, m, 1);
	sz->stats.mappings++;
}

void symbolizer_note_fork(struct symbolizer *sz, uint32_t ppid, uint32_t pid, uint32_t life)
{
	/*
	 * A child of a process the records do not know (older than the run,
	 * or of one): the child has the parent's mappings, which no record
	 * names.  The parent's are read now, once, while it most likely
	 * lives: a shell's subshell may be gone before its own announcement
	 * is read (batched, up to 100 ms), and the parent with it.  Our own
	 * pid last: getpid() is a system call, and under churn most parents
	 * are known.
	 */
	if (ppid > 1 && !timeline_complete(sz->tl, ppid) && ppid != (uint32_t)getpid()) {
		struct sym_proc *p = sz_find_proc(sz, ppid);

		if (!p)
			p = sz_add_proc(sz, ppid);
		if (!p->fork_read) {
			p->fork_read = true;
			sz_proc_read(sz, p);
		}
	}
	timeline_fork(sz->tl, ppid, pid, life);
}

void symbolizer_note_exec(struct symbolizer *sz, uint32_t pid)
{
	timeline_exec(sz->tl, pid);
}

void symbolizer_note_exit(struct symbolizer *sz, uint32_t pid)
{
	timeline_exit(sz->tl, pid);
}

void symbolizer_track_records(struct symbolizer *sz)
{
	timeline_track(sz->tl);
}

void symbolizer_note_lost(struct symbolizer *sz)
{
	timeline_lost(sz->tl);
}

bool symbolizer_maps_known(const struct symbolizer *sz, uint32_t pid)
{
	return timeline_complete(sz->tl, pid);
}

bool symbolizer_file_of(void *ctx, uint32_t pid, uint32_t life, uint64_t addr, uint32_t *file,
			uint64_t *offset)
{
	struct symbolizer *sz = ctx;
	const struct proc_map *m;
	bool ambiguous;

	/* beyond user space: a broken frame-pointer chain, named as before */
	if (addr >= (1ULL << 47))
		return false;
	m = timeline_find(sz->tl, pid, life, addr, &ambiguous);
	if (m && !ambiguous && m->kind == MAP_VDSO) {
		*file = SYMBOLIZER_FILE_VDSO;
		*offset = addr - m->start;
		return true;
	}
	if (!m || ambiguous || m->kind != MAP_FILE || m->file < 0 ||
	    (uint32_t)m->file >= SYMBOLIZER_FILE_VDSO || sz->files[m->file].state == FILE_FAILED)
		return false;
	*file = (uint32_t)m->file;
	*offset = addr - m->start + m->offset;
	return true;
}

const struct proc_map *symbolizer_current_maps(const struct symbolizer *sz, uint32_t pid,
					       size_t *n)
{
	return timeline_current(sz->tl, pid, n);
}

uint64_t symbolizer_exit_mark(const struct symbolizer *sz)
{
	return timeline_exit_mark(sz->tl);
}

int symbolizer_exited_before(const struct symbolizer *sz, uint32_t pid, uint64_t mark)
{
	return timeline_exited_before(sz->tl, pid, mark);
}

static void proc_gone(void *ctx, uint32_t pid)
{
	struct symbolizer *sz = ctx;
	struct sym_proc *p = sz_find_proc(sz, pid);

	if (!p)
		return;
	elf_syms_free(p->jit);
	p->jit = NULL;
	p->forgotten = true;
	sz->nforgotten++;
}

/* Drop the entries of forgotten processes once they are half. */
static void procs_compact(struct symbolizer *sz)
{
	size_t n = 0;

	if (sz->nforgotten < 1024 || sz->nforgotten * 2 < sz->nprocs)
		return;
	idxmap_free(&sz->proc_index);
	for (size_t i = 0; i < sz->nprocs; i++) {
		if (sz->procs[i].forgotten)
			continue;
		sz->procs[n] = sz->procs[i];
		idxmap_insert(&sz->proc_index, hash_u64(sz->procs[n].pid), n);
		n++;
	}
	sz->nprocs = n;
	sz->nforgotten = 0;
	if (sz->procs_cap > 2 * n + 64) {
		sz->procs_cap = 2 * n + 64;
		sz->procs = xrealloc(sz->procs, sz->procs_cap * sizeof(*sz->procs));
	}
}

size_t symbolizer_forget_exited(struct symbolizer *sz, uint64_t mark)
{
	size_t n;

	n = timeline_forget(sz->tl, mark, proc_gone, sz);
	procs_compact(sz);
	sz->stats.forgotten += n;
	return n;
}

struct sym_proc *sz_add_proc(struct symbolizer *sz, uint32_t pid)
{
	struct sym_proc *p;

	GROW(sz->procs, sz->procs_cap, sz->nprocs + 1);
	p = &sz->procs[sz->nprocs];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	idxmap_insert(&sz->proc_index, hash_u64(pid), sz->nprocs++);
	return p;
}

int symbolizer_note_process(struct symbolizer *sz, uint32_t pid)
{
	struct sym_proc *p = sz_find_proc(sz, pid);
	int err;

	if (!p)
		p = sz_add_proc(sz, pid);
	/* its records since its exec (or fork) hold every mapping already */
	if (timeline_complete(sz->tl, pid)) {
		sz->stats.procs++;
		sz->stats.procs_from_records++;
		return 0;
	}
	/*
	 * Exited, as its records say: nothing to read.  Under churn a third
	 * of the announcements were read after their process's exit (a
	 * sample between its fork and its exec), each a failed open of
	 * /proc/PID/maps: 6% of our own CPU.
	 */
	if (timeline_gone(sz->tl, pid))
		return -ESRCH;
	err = sz_proc_read(sz, p);
	if (!err)
		sz->stats.procs++;
	return err;
}
