// SPDX-License-Identifier: GPL-2.0
/*
 * The binaries behind the mappings, one entry per (device, inode) however
 * many processes map it: opened while a process has it mapped, read (ELF
 * symbols, debug files, DWARF for --lines, CFI) when a frame first needs it.
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
#include "symbol/gopclntab.h"
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

/*
 * The symbols of f's debug file from a debuginfod server, when f has no
 * .symtab and this machine no debug file for it: true when some came.
 */
static bool debuginfod_symbols(struct symbolizer *sz, struct sym_file *f, const char *root)
{
	struct elf_syms *dbg = NULL;
	int fd;

	if (f->es->has_symtab || !f->es->build_id_len || sz->no_debuginfod)
		return false;
	fd = debuginfo_open(sz->debug_root, root, f->path, f->es);
	if (fd >= 0) {
		close(fd);	/* a debug file here: debuginfo_add_symbols reads it */
		return false;
	}
	if (!sz->dbgd_tried) {
		sz->dbgd_tried = true;
		sz->dbgd = dbginfod_new();
	}
	fd = dbginfod_fetch(sz->dbgd, f->es->build_id, f->es->build_id_len, f->path);
	if (fd < 0)
		return false;
	dbg = elf_syms_from_fd(fd);
	close(fd);
	if (!dbg)
		return false;
	elf_syms_merge(f->es, dbg);
	elf_syms_free(dbg);
	return true;
}

/* ---- files ------------------------------------------------------------- */

struct file_key {
	const struct symbolizer *sz;
	uint64_t dev, ino;
};

static bool file_eq(const void *ctx, uint32_t idx)
{
	const struct file_key *k = ctx;

	return k->sz->files[idx].dev == k->dev && k->sz->files[idx].ino == k->ino;
}

/*
 * The file behind m.  While pid lives, /proc/PID/map_files reaches the very
 * inode it mapped.  A process known only from its mmap records may be gone:
 * then the path is all there is, and the file found there is trusted only
 * if it is still the one mapped (device and inode as recorded); otherwise
 * its frames stay unnamed and *path says it was replaced.
 */
static int open_mapped(uint32_t pid, const struct proc_map *m, char **path)
{
	bool alive = !kill((pid_t)pid, 0) || errno != ESRCH;
	int fd = proc_map_open(pid, m);
	struct stat st;
	char *p;

	if (fd < 0 || alive)
		return fd;
	if (!fstat(fd, &st) && ((uint64_t)major(st.st_dev) << 32 | minor(st.st_dev)) == m->dev &&
	    st.st_ino == m->ino)
		return fd;
	close(fd);
	pr_debug("%s of exited pid %u was replaced since it was mapped: unnamed", m->path, pid);
	p = xmalloc(strlen(*path) + 12);
	sprintf(p, "%s (replaced)", *path);
	free(*path);
	*path = p;
	errno = ESTALE;
	return -1;
}

int32_t sz_file_for_map(struct symbolizer *sz, uint32_t pid, const struct proc_map *m)
{
	struct file_key k = { sz, m->dev, m->ino };
	uint64_t h = hash_u64(m->dev * 0x9e3779b97f4a7c15ULL ^ m->ino);
	int64_t i = idxmap_find(&sz->file_index, h, file_eq, &k);
	struct sym_file *f;

	if (i >= 0)
		return i;
	GROW(sz->files, sz->files_cap, sz->nfiles + 1);
	f = &sz->files[sz->nfiles];
	f->dev = m->dev;
	f->ino = m->ino;
	f->path = xstrdup(m->path);
	f->pid = pid;
	f->fd = open_mapped(pid, m, &f->path);
	f->dwfd = -1;
	f->sl = NULL;
	f->build_id[0] = '\0';
	f->state = f->fd >= 0 ? FILE_UNREAD : FILE_FAILED;
	if (f->fd < 0)
		pr_debug("cannot open %s of pid %u: %s", m->path, pid, strerror(errno));
	idxmap_insert(&sz->file_index, h, sz->nfiles);
	sz->stats.files++;
	return sz->nfiles++;
}

static void dwarf_too_big(const char *path)
{
	pr_warn("%s: more DWARF than the limit of %llu MiB for --lines: its frames get no lines",
		path, (unsigned long long)(LIMIT_DWARF_BYTES >> 20));
}

/* The root directory of the process that mapped f, for the files beside
 * it; NULL once the process is gone (its files then named as the host's). */
static const char *file_root(const struct sym_file *f, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/%u/root", f->pid);
	return access(buf, F_OK) ? NULL : buf;
}

/* DWARF in the binary itself, else in its separate debug file. */
static void open_dwarf(struct symbolizer *sz, struct sym_file *f)
{
	char root[64];
	int dfd;

	f->sl = srcline_open(f->fd);
	if (f->sl) {
		f->dwfd = f->fd;
		return;
	}
	if (errno == EFBIG) {
		dwarf_too_big(f->path);
		return;
	}
	dfd = debuginfo_open(sz->debug_root, file_root(f, root, sizeof(root)), f->path, f->es);
	if (dfd < 0)
		return;
	f->sl = srcline_open(dfd);
	if (f->sl) {
		f->dwfd = dfd;
	} else {
		if (errno == EFBIG)
			dwarf_too_big(f->path);
		close(dfd);
	}
}

struct elf_syms *sz_file_syms(struct symbolizer *sz, struct sym_file *f)
{
	char root[64];
	const char *troot;

	/*
	 * A window's naming gave back the pages of its string table
	 * (name_by_file): if the file was rewritten in place since, they
	 * would come back as the new file's bytes, or fault past its new end.
	 * Its tables are read again, from the inode mapped.
	 */
	if (f->state == FILE_LOADED && !elf_syms_same_file(f->es)) {
		int fd = elf_syms_open_mapped(f->es);

		pr_debug("%s changed in place since its symbols were read: read again", f->path);
		sz_release_file(f);
		f->fd = fd;
		f->state = fd >= 0 ? FILE_UNREAD : FILE_FAILED;
	}
	if (f->state == FILE_UNREAD) {
		f->es = elf_syms_from_fd(f->fd);
		f->state = f->es ? FILE_LOADED : FILE_FAILED;
		if (f->es) {
			/* a second mapping of the file, its pages faulted and
			 * unmapped again, for Go files only (measured under
			 * churn: 1.6% of our CPU, all for files not Go) */
			if (!f->es->not_go)
				f->go = gopclntab_from_fd(f->fd);
			for (size_t i = 0; i < f->es->build_id_len; i++)
				sprintf(f->build_id + 2 * i, "%02x", f->es->build_id[i]);
			troot = file_root(f, root, sizeof(root));
			if (debuginfod_symbols(sz, f, troot) ||
			    debuginfo_add_symbols(sz->debug_root, troot, f->path, f->es))
				sz->stats.debug_files++;
			if (f->es->truncated)
				pr_warn("%s: more than the limit of %zu symbols in one file: the rest are unnamed",
					f->path, f->es->max_syms);
			if (sz->lines)
				open_dwarf(sz, f);
			/* leaf candidates need it, and code without symbols
			 * is grouped by the functions its FDEs give */
			if (sz->need_cfi || !f->es->has_symtab)
				f->cfi = cfi_open(f->fd);
			sz->stats.files_loaded++;
			sz->stats.symbols += f->es->n;
		} else {
			pr_debug("cannot read ELF symbols of %s", f->path);
		}
		if (f->fd >= 0 && f->fd != f->dwfd)
			close(f->fd);
		f->fd = -1;
	}
	return f->es;
}
