// SPDX-License-Identifier: GPL-2.0
/*
 * Naming a user frame: through its file (a file-keyed location), or its
 * process's mapping at the time, then the file's symbols, the vDSO's, a
 * JIT's perf map, or module+0xOFFSET.
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

/*
 * Whether /proc can tell more than the records did: not when they know
 * the process's mappings whole (an exec or a fork seen, none lost since),
 * nor when its exit was its last record (/proc has no such pid, or a new
 * process of it).  Under churn most processes a window names are one or
 * the other: 2,037 failed opens of /proc/PID/maps in a 22 s run, ~930 at
 * each 10 s window, before this.
 */
static bool proc_worth_reading(const struct symbolizer *sz, uint32_t pid)
{
	return !timeline_complete(sz->tl, pid) && !timeline_gone(sz->tl, pid);
}

void sz_name_user(struct symbolizer *sz, struct profile *prof, struct location *l)
{
	uint64_t addr = l->addr;
	const struct proc_map *m = NULL;
	struct sym_proc *p;
	char buf[PATH_MAX + 64];
	bool known, ambiguous;

	if (l->file_id) {	/* a location of a file, for every process that maps it */
		struct proc_map fm = { .kind = MAP_FILE, .file = (int32_t)(l->file_id - 1) };

		if (l->file_id - 1 == SYMBOLIZER_FILE_VDSO)
			fm = (struct proc_map){ .kind = MAP_VDSO, .file = -1 };

		name_in_map(sz, prof, l, NULL, &fm, addr);
		return;
	}
	p = sz_find_proc(sz, l->pid);
	if (!p) {
		p = sz_add_proc(sz, l->pid);
		if (proc_worth_reading(sz, l->pid) && sz_proc_read(sz, p) == 0)
			sz->stats.procs++;
		p->refreshed = true;
	}
	m = timeline_find(sz->tl, l->pid, l->life, addr, &ambiguous);
	/* a broken frame-pointer chain yields garbage above user space: no
	 * maps read will find it (47-bit user space, as on x86-64 and arm64) */
	if (!m && !p->refreshed && addr < (1ULL << 47) && proc_worth_reading(sz, l->pid)) {
		/* mapped after we last looked (dlopen), if it is still alive */
		p->refreshed = true;
		sz_proc_read(sz, p);
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
		es = sz_file_syms(sz, &sz->files[m->file]);
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
	/*
	 * Code in anonymous memory that no perf map names is a JIT's (V8,
	 * the JVM, LuaJIT): one name for all of it, so its share reads as one
	 * figure, not as a scatter of addresses that each look cold; pprof and
	 * JSON keep each address.
	 */
	if (m->kind == MAP_ANON)
		snprintf(buf, sizeof(buf), "%s", p && p->jit ? JIT_UNNAMED_NOT_IN_MAP : JIT_UNNAMED);
	else
		snprintf(buf, sizeof(buf), "%s+0x%llx", base_name(module), (unsigned long long)vaddr);
	l->name = profile_intern(prof, buf);
	sz->stats.unnamed++;
}
