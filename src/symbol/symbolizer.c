// SPDX-License-Identifier: GPL-2.0
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

enum { FILE_UNREAD, FILE_LOADED, FILE_FAILED };

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
};

struct symbolizer {
	char *kallsyms_path;
	char *debug_root;	/* NULL: DEBUGINFO_ROOT */
	struct ksyms *ksyms;
	bool ksyms_tried, ksyms_warned;
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
	struct idxmap proc_index;
	struct timeline *tl;

	uint32_t pass;		/* symbolizer_resolve calls so far */
	bool lines;
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

struct symbolizer *symbolizer_new(void)
{
	struct symbolizer *sz = xcalloc(1, sizeof(*sz));

	/* some 100 bytes each: 100 MiB at most, some 70,000 processes of 15
	 * mappings; the exited go first */
	sz->tl = timeline_new(1 << 20);
	return sz;
}

static void preload_join(struct symbolizer *sz)
{
	if (sz->preloading) {
		pthread_join(sz->preload, NULL);
		sz->preloading = false;
	}
}

void symbolizer_free(struct symbolizer *sz)
{
	if (!sz)
		return;
	preload_join(sz);
	for (size_t i = 0; i < sz->nfiles; i++) {
		if (sz->files[i].fd >= 0)
			close(sz->files[i].fd);
		srcline_close(sz->files[i].sl);
		if (sz->files[i].dwfd >= 0)
			close(sz->files[i].dwfd);
		cfi_close(sz->files[i].cfi);
		gopclntab_free(sz->files[i].go);
		free(sz->files[i].path);
		elf_syms_free(sz->files[i].es);
	}
	for (size_t i = 0; i < sz->nprocs; i++)
		elf_syms_free(sz->procs[i].jit);
	timeline_free(sz->tl);
	free(sz->files);
	free(sz->procs);
	idxmap_free(&sz->file_index);
	idxmap_free(&sz->proc_index);
	ksyms_free(sz->ksyms);
	elf_syms_free(sz->vdso);
	free(sz->kallsyms_path);
	free(sz->debug_root);
	free(sz->chains);
	free(sz->chain_ids);
	dbginfod_free(sz->dbgd);
	py_names_free(sz->py);
	free(sz);
}

struct py_names *symbolizer_python_names(struct symbolizer *sz)
{
	if (!sz->py)
		sz->py = py_names_new();
	return sz->py;
}

void symbolizer_set_kallsyms(struct symbolizer *sz, const char *path)
{
	free(sz->kallsyms_path);
	sz->kallsyms_path = xstrdup(path);
}

void symbolizer_set_debug_root(struct symbolizer *sz, const char *dir)
{
	free(sz->debug_root);
	sz->debug_root = xstrdup(dir);
}

void symbolizer_set_lines(struct symbolizer *sz, bool on)
{
	sz->lines = on;
}

void symbolizer_set_debuginfod(struct symbolizer *sz, bool on)
{
	sz->no_debuginfod = !on;
}

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

void symbolizer_get_stats(const struct symbolizer *sz, struct symbolizer_stats *st)
{
	struct timeline_stats ts;

	*st = sz->stats;
	timeline_get_stats(sz->tl, &ts);
	st->timeline_procs = ts.procs;
	st->timeline_reused = ts.reused;
	st->timeline_dropped = ts.dropped + (ts.refused ? 1 : 0);
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

static int32_t file_for_map(struct symbolizer *sz, uint32_t pid, const struct proc_map *m)
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

static struct elf_syms *file_syms(struct symbolizer *sz, struct sym_file *f)
{
	char root[64];
	const char *troot;

	if (f->state == FILE_UNREAD) {
		f->es = elf_syms_from_fd(f->fd);
		f->state = f->es ? FILE_LOADED : FILE_FAILED;
		if (f->es) {
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

/* ---- processes ---------------------------------------------------------- */

struct proc_key {
	const struct symbolizer *sz;
	uint32_t pid;
};

static bool proc_eq(const void *ctx, uint32_t idx)
{
	const struct proc_key *k = ctx;

	return k->sz->procs[idx].pid == k->pid;
}

static struct sym_proc *find_proc(struct symbolizer *sz, uint32_t pid)
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

static struct sym_proc *add_proc(struct symbolizer *sz, uint32_t pid);

static int proc_read(struct symbolizer *sz, struct sym_proc *p)
{
	struct proc_map *maps;
	size_t n;
	int err;

	err = proc_maps_read(p->pid, &maps, &n);
	if (err)
		return err;
	note_uid(p);
	for (size_t i = 0; i < n; i++)
		if (maps[i].kind == MAP_FILE)
			maps[i].file = file_for_map(sz, p->pid, &maps[i]);
	timeline_add(sz->tl, p->pid, maps, n);
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
		m->file = file_for_map(sz, pid, m);
	} else if (!strcmp(path, "[vdso]")) {
		m->kind = MAP_VDSO;
	} else if (path[0] == '[' && strcmp(path, "[anon]")) {
		m->kind = MAP_OTHER;
	} else {
		struct sym_proc *p = find_proc(sz, pid);

		m->kind = MAP_ANON;	/* "//anon", memfd and the like: JIT code */
		/* its perf map's owner is checked against this at the end,
		 * when the process may be gone */
		note_uid(p ? p : add_proc(sz, pid));
	}
	timeline_add(sz->tl, pid, m, 1);
	sz->stats.mappings++;
}

void symbolizer_note_fork(struct symbolizer *sz, uint32_t ppid, uint32_t pid, uint32_t life)
{
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
	if (!m || ambiguous || m->kind != MAP_FILE || m->file < 0 ||
	    sz->files[m->file].state == FILE_FAILED)
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

static struct sym_proc *add_proc(struct symbolizer *sz, uint32_t pid)
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
	struct sym_proc *p = find_proc(sz, pid);
	int err;

	if (!p)
		p = add_proc(sz, pid);
	err = proc_read(sz, p);
	if (!err)
		sz->stats.procs++;
	return err;
}

/* ---- naming ------------------------------------------------------------- */

static struct elf_syms *vdso_syms(struct symbolizer *sz)
{
	const unsigned char *img;

	if (sz->vdso_tried)
		return sz->vdso;
	sz->vdso_tried = true;
	/* Every process of our architecture maps the same vDSO as we do. */
	img = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	if (img && !memcmp(img, ELFMAG, SELFMAG) && img[EI_CLASS] == ELFCLASS64) {
		const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
		size_t size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;

		sz->vdso = elf_syms_from_mem(img, size);
	}
	return sz->vdso;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

#define MAX_INLINE 16

/*
 * --lines: the file:line of location id, and one FRAME_INLINE location per
 * function inlined at its address, innermost first.  These new locations
 * are the profile's too; symbolizer_resolve splices them into the stacks.
 */
static void add_frames(struct symbolizer *sz, struct profile *prof, uint32_t id,
		       const struct srcline_frame *fr, int n)
{
	struct location base;

	if (n <= 0)
		return;
	prof->locs[id].file = fr[n - 1].file ? profile_intern(prof, fr[n - 1].file) : NULL;
	prof->locs[id].line = fr[n - 1].line;
	sz->stats.lines++;
	if (n == 1)
		return;
	base = prof->locs[id];
	/* chains has an entry for each location the collector made */
	sz->chains[id].first = sz->nchain_ids;
	sz->chains[id].n = n - 1;
	for (int i = 0; i < n - 1; i++) {
		struct location *il;
		char *d = fr[i].func ? demangle(fr[i].func) : NULL;

		GROW(prof->locs, prof->locs_cap, prof->nlocs + 1);
		il = &prof->locs[prof->nlocs];
		*il = base;
		il->kind = FRAME_INLINE;
		il->name = profile_intern(prof, d ? d : fr[i].func ? fr[i].func : "[inlined]");
		il->file = fr[i].file ? profile_intern(prof, fr[i].file) : NULL;
		il->line = fr[i].line;
		free(d);
		GROW(sz->chain_ids, sz->chain_ids_cap, sz->nchain_ids + 1);
		sz->chain_ids[sz->nchain_ids++] = prof->nlocs++;
		sz->stats.inlined++;
	}
}

static void add_lines(struct symbolizer *sz, struct profile *prof, uint32_t id,
		      struct srcline *sl, uint64_t addr)
{
	struct srcline_frame fr[MAX_INLINE];

	add_frames(sz, prof, id, fr, srcline_lookup(sl, addr, fr, MAX_INLINE));
}

/*
 * Go code, named from .gopclntab whether or not the file keeps .symtab:
 * a stripped build then reads as the unstripped one, with the names Go's
 * own tracebacks and pprof use (no ".abi0" of the assembly's ELF symbols);
 * with --lines its file:line and inlined calls, DWARF or not.
 */
static bool name_go(struct symbolizer *sz, struct profile *prof, struct location *l,
		    const struct sym_file *f, uint64_t look)
{
	struct srcline_frame fr[MAX_INLINE];
	const char *name;
	int n;

	if (!gopclntab_covers(f->go, look))
		return false;
	n = gopclntab_lookup(f->go, look, &name, fr, sz->lines ? MAX_INLINE : 1);
	if (n <= 0)
		return false;
	l->name = profile_intern(prof, name);
	sz->stats.resolved++;
	if (sz->lines)
		add_frames(sz, prof, l - prof->locs, fr, n);
	return true;
}

/* A frame in anonymous executable memory, named from the perf map. */
static bool name_jit(struct symbolizer *sz, struct profile *prof, struct sym_proc *p,
		     struct location *l)
{
	const struct elf_sym *sym;
	char buf[64];

	uint64_t look = l->is_return ? l->addr - 1 : l->addr;

	sym = p->jit ? elf_syms_lookup(p->jit, look) : NULL;
	/* the runtime appends to its map as it compiles: not found, read it
	 * again, once per resolve (after the process exited, too: the file
	 * stays; its owner is checked against the uid seen while it lived) */
	if (!sym && p->jit_pass != sz->pass && p->uid_known) {
		struct elf_syms *again = perf_map_read(p->pid, p->uid);

		p->jit_pass = sz->pass;
		if (again) {
			if (!p->jit)
				sz->stats.jit_maps++;
			elf_syms_free(p->jit);
			p->jit = again;
			sym = elf_syms_lookup(p->jit, look);
		}
	}
	if (!sym)
		return false;
	snprintf(buf, sizeof(buf), "/tmp/perf-%u.map", p->pid);
	l->kind = FRAME_JIT;
	l->name = profile_intern(prof, elf_syms_name(p->jit, sym));
	l->module = profile_intern(prof, buf);
	l->module_addr = l->addr;
	sz->stats.resolved++;
	return true;
}

static void name_in_map(struct symbolizer *sz, struct profile *prof, struct location *l,
			struct sym_proc *p, const struct proc_map *m, uint64_t vaddr);

static void name_user(struct symbolizer *sz, struct profile *prof, struct location *l)
{
	uint64_t addr = l->addr;
	const struct proc_map *m = NULL;
	struct sym_proc *p;
	char buf[PATH_MAX + 64];
	bool known, ambiguous;

	if (l->file_id) {	/* a location of a file, for every process that maps it */
		struct proc_map fm = { .kind = MAP_FILE, .file = (int32_t)l->file_id - 1 };

		name_in_map(sz, prof, l, NULL, &fm, addr);
		return;
	}
	p = find_proc(sz, l->pid);
	if (!p) {
		p = add_proc(sz, l->pid);
		if (proc_read(sz, p) == 0)
			sz->stats.procs++;
		p->refreshed = true;
	}
	m = timeline_find(sz->tl, l->pid, l->life, addr, &ambiguous);
	/* a broken frame-pointer chain yields garbage above user space: no
	 * maps read will find it (47-bit user space, as on x86-64 and arm64) */
	if (!m && !p->refreshed && addr < (1ULL << 47)) {
		/* mapped after we last looked (dlopen), if it is still alive */
		p->refreshed = true;
		proc_read(sz, p);
		m = timeline_find(sz->tl, l->pid, l->life, addr, &ambiguous);
	}
	/* JIT code mapped after the last look, and no record of it: the
	 * runtime's perf map may still know it */
	if (!m && addr < (1ULL << 47) && name_jit(sz, prof, p, l))
		return;
	known = timeline_known(sz->tl, l->pid);
	if (!m || ambiguous) {
		/* with mappings known, a return address outside them is no code:
		 * the walk went astray (the interrupted address itself is real,
		 * only its mapping unknown) */
		l->bogus = known && l->is_return && !m;
		if (ambiguous)	/* two lifetimes of the pid mapped it differently */
			snprintf(buf, sizeof(buf), "[pid %u reused]+0x%llx", l->pid,
				 (unsigned long long)addr);
		else if (known)
			snprintf(buf, sizeof(buf), "[unmapped]+0x%llx", (unsigned long long)addr);
		else {	/* exited before we could read its mappings */
			snprintf(buf, sizeof(buf), "[pid %u exited]+0x%llx", l->pid,
				 (unsigned long long)addr);
			if (!p->gone_counted) {
				p->gone_counted = true;
				sz->gone_new++;
				sz->stats.procs_gone++;
			}
		}
		l->name = profile_intern(prof, buf);
		l->module = profile_intern(prof, "[unknown]");
		sz->stats.unnamed++;
		return;
	}

	name_in_map(sz, prof, l, p, m, addr - m->start + m->offset);
}

/*
 * Name l, at offset vaddr of mapping m (of process p; NULL for a location
 * of a file, which m stands for with its kind and file alone).
 */
static void name_in_map(struct symbolizer *sz, struct profile *prof, struct location *l,
			struct sym_proc *p, const struct proc_map *m, uint64_t vaddr)
{
	uint64_t addr = l->addr, look, start;
	struct elf_syms *es = NULL;
	const struct elf_sym *sym;
	const char *module;
	char buf[PATH_MAX + 64];
	bool entry;

	if (m->kind == MAP_FILE && m->file >= 0) {
		es = file_syms(sz, &sz->files[m->file]);
		module = sz->files[m->file].path;
	} else if (m->kind == MAP_VDSO) {
		es = vdso_syms(sz);
		vaddr = addr - m->start;
		module = "[vdso]";
	} else if (m->kind == MAP_ANON && p && name_jit(sz, prof, p, l)) {
		return;
	} else {
		module = m->kind == MAP_ANON ? "[anon]" : m->path;
	}
	if (es && !elf_syms_offset_to_addr(es, vaddr, &vaddr))
		es = NULL;
	l->module = profile_intern(prof, module);
	l->module_addr = vaddr;

	if (m->kind == MAP_FILE && m->file >= 0 && sz->files[m->file].build_id[0])
		l->build_id = profile_intern(prof, sz->files[m->file].build_id);

	look = l->is_return ? vaddr - 1 : vaddr;
	/* the interrupted function: where is its return address? */
	if (!l->is_return && es && m->kind == MAP_FILE)
		l->cfa_sp = cfi_sp_offset(sz->files[m->file].cfi, vaddr);
	if (es && m->kind == MAP_FILE && name_go(sz, prof, l, &sz->files[m->file], look))
		return;
	sym = es ? elf_syms_lookup(es, look) : NULL;
	if (sym) {
		l->name = profile_intern(prof, elf_syms_name(es, sym));
		sz->stats.resolved++;
		if (sz->lines && m->kind == MAP_FILE && sz->files[m->file].sl)
			add_lines(sz, prof, l - prof->locs, sz->files[m->file].sl, look);
		return;
	}
	/*
	 * The kernel's page where a uprobe runs the probed instruction out of
	 * line (-- COMMAND's entry-point hold puts one on _start): a sample
	 * pending from the probe's handling may land on it.
	 */
	if (m->kind == MAP_OTHER && !strcmp(m->path, "[uprobes]")) {
		l->name = profile_intern(prof, "[uprobe: probed instruction]");
		sz->stats.resolved++;
		return;
	}
	/* no symbol: the function its FDE gives, named by its start (the
	 * location keeps its own address) */
	if (es && m->kind == MAP_FILE && m->file >= 0 &&
	    !cfi_function_start(sz->files[m->file].cfi, look, &start, &entry)) {
		if (entry) {
			l->name = profile_intern(prof, "_start");
			sz->stats.resolved++;
			return;
		}
		vaddr = start;
	}
	snprintf(buf, sizeof(buf), "%s+0x%llx", base_name(module), (unsigned long long)vaddr);
	l->name = profile_intern(prof, buf);
	sz->stats.unnamed++;
}

/* Put each location's inlined frames before it (stacks are leaf first). */
static void splice_inlines(struct symbolizer *sz, struct profile *p, size_t nlocs)
{
	uint32_t *frames = NULL;
	size_t n = 0, cap = 0;

	for (size_t s = 0; s < p->nsamples; s++) {
		const uint32_t *f = profile_sample_frames(p, s);
		uint32_t first = n;

		for (uint32_t i = 0; i < p->samples[s].nframes; i++) {
			const struct inline_chain *c = f[i] < nlocs ? &sz->chains[f[i]] : NULL;

			GROW(frames, cap, n + 1 + (c ? c->n : 0));
			for (uint32_t k = 0; c && k < c->n; k++)
				frames[n++] = sz->chain_ids[c->first + k];
			frames[n++] = f[i];
		}
		p->samples[s].first = first;
		p->samples[s].nframes = n - first;
	}
	free(p->frames);
	p->frames = frames;
	p->nframes = n;
	p->frames_cap = cap;
}

static void load_ksyms(struct symbolizer *sz)
{
	bool cached = false;

	if (sz->kallsyms_path)	/* a test's own file: no cache */
		sz->ksyms = ksyms_load(sz->kallsyms_path);
	else
		sz->ksyms = kallsyms_cached(cache_dir(), "/proc/kallsyms", &cached);
	sz->stats.kallsyms_cached = cached;
	if (!sz->ksyms)
		sz->ksyms_errno = errno;
	sz->ksyms_tried = true;
}

static void *preload_main(void *arg)
{
	load_ksyms(arg);
	return NULL;
}

void symbolizer_preload(struct symbolizer *sz)
{
	if (sz->ksyms_tried || sz->preloading)
		return;
	sz->preloading = !pthread_create(&sz->preload, NULL, preload_main, sz);
}

static void name_kernel(struct symbolizer *sz, struct profile *prof, struct location *l)
{
	struct ksym ks;
	bool found = false;
	char buf[256];

	if (!sz->ksyms_warned) {
		sz->ksyms_warned = true;
		preload_join(sz);
		if (!sz->ksyms_tried)
			load_ksyms(sz);
		errno = sz->ksyms_errno;
		if (!sz->ksyms)
			pr_warn("cannot read /proc/kallsyms: %s; kernel frames are unnamed",
				strerror(errno));
		else if (!sz->ksyms->n && sz->ksyms->zero_addrs)
			pr_warn("kernel addresses are hidden (kernel.kptr_restrict): run as root to name kernel frames");
	}
	if (sz->ksyms && !kallsyms_covers(sz->ksyms, l->addr)) {
		/* a BPF program, a trampoline: only /proc/kallsyms knows them */
		struct ksyms *full = ksyms_load("/proc/kallsyms");

		if (full) {
			ksyms_free(sz->ksyms);
			sz->ksyms = full;
			sz->stats.kallsyms_cached = false;
		}
	}
	if (sz->ksyms)
		found = ksyms_lookup(sz->ksyms, l->is_return ? l->addr - 1 : l->addr, &ks);
	if (found) {
		l->name = profile_intern(prof, ks.name);
		if (ks.module) {
			snprintf(buf, sizeof(buf), "[%s]", ks.module);
			l->module = profile_intern(prof, buf);
		} else {
			l->module = profile_intern(prof, "[kernel.kallsyms]");
		}
		l->module_addr = l->addr;
		sz->stats.resolved++;
		return;
	}
	snprintf(buf, sizeof(buf), "[kernel]+0x%llx", (unsigned long long)l->addr);
	l->name = profile_intern(prof, buf);
	l->module = profile_intern(prof, "[kernel.kallsyms]");
	sz->stats.unnamed++;
}

int symbolizer_resolve(struct symbolizer *sz, struct profile *p)
{
	uint64_t t0 = now_ns();
	size_t nlocs = p->nlocs;

	sz->pass++;

	if (sz->lines) {
		GROW(sz->chains, sz->chains_cap, nlocs + 1);
		memset(sz->chains, 0, sz->chains_cap * sizeof(*sz->chains));
		sz->nchain_ids = 0;
	}
	for (size_t i = 0; i < nlocs && !sz->need_cfi; i++)
		sz->need_cfi = p->locs[i].ra_slot > 0;
	for (size_t i = 0; i < nlocs; i++) {
		struct location *l = &p->locs[i];

		if (l->name)
			continue;
		if (l->kind == FRAME_KERNEL)
			name_kernel(sz, p, l);
		else if (l->kind == FRAME_PYTHON)
			py_names_resolve(sz->py, p, l);
		else
			name_user(sz, p, l);
	}
	python_merge(p);
	/* said in the profile, not only in frame names: a loss like any other */
	if (sz->gone_new)
		profile_add_loss(p, "processes exited before their mappings were read", sz->gone_new,
				 "their user frames are unnamed: [pid N exited]+0xADDR");
	sz->gone_new = 0;
	profile_check_leaf_candidates(p);
	profile_prune_bogus(p);
	if (sz->lines && sz->nchain_ids)
		splice_inlines(sz, p, nlocs);
	sz->stats.ns += now_ns() - t0;
	return 0;
}
