// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>
#include <elf.h>

#include "symbol/elf_syms.h"
#include "symbol/kallsyms.h"
#include "symbol/proc_maps.h"
#include "symbol/symbolizer.h"
#include "util/idxmap.h"
#include "util/util.h"

enum { FILE_UNREAD, FILE_LOADED, FILE_FAILED };

struct sym_file {
	uint64_t dev, ino;
	char *path;		/* as the first process to map it named it */
	int fd;			/* opened while a process had it mapped; -1 once read */
	int state;
	struct elf_syms *es;
};

struct sym_proc {
	uint32_t pid;
	struct proc_map *maps;
	size_t nmaps;
	bool refreshed;		/* re-read during resolve already */
};

struct symbolizer {
	char *kallsyms_path;
	struct ksyms *ksyms;
	bool ksyms_tried;
	struct elf_syms *vdso;
	bool vdso_tried;

	struct sym_file *files;
	size_t nfiles, files_cap;
	struct idxmap file_index;

	struct sym_proc *procs;
	size_t nprocs, procs_cap;
	struct idxmap proc_index;

	struct symbolizer_stats stats;
};

struct symbolizer *symbolizer_new(void)
{
	return xcalloc(1, sizeof(struct symbolizer));
}

void symbolizer_free(struct symbolizer *sz)
{
	if (!sz)
		return;
	for (size_t i = 0; i < sz->nfiles; i++) {
		if (sz->files[i].fd >= 0)
			close(sz->files[i].fd);
		free(sz->files[i].path);
		elf_syms_free(sz->files[i].es);
	}
	for (size_t i = 0; i < sz->nprocs; i++)
		proc_maps_free(sz->procs[i].maps, sz->procs[i].nmaps);
	free(sz->files);
	free(sz->procs);
	idxmap_free(&sz->file_index);
	idxmap_free(&sz->proc_index);
	ksyms_free(sz->ksyms);
	elf_syms_free(sz->vdso);
	free(sz->kallsyms_path);
	free(sz);
}

void symbolizer_set_kallsyms(struct symbolizer *sz, const char *path)
{
	free(sz->kallsyms_path);
	sz->kallsyms_path = xstrdup(path);
}

void symbolizer_get_stats(const struct symbolizer *sz, struct symbolizer_stats *st)
{
	*st = sz->stats;
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
 * Open the file behind a mapping of a live process.  map_files reaches the
 * very inode mapped, even when deleted, replaced or inside another mount
 * namespace; /proc/PID/root/PATH covers containers where map_files is not
 * readable; the plain path is the last resort.
 */
static int open_mapped(uint32_t pid, const struct proc_map *m)
{
	char path[PATH_MAX + 64], clean[PATH_MAX];
	size_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/map_files/%llx-%llx", pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	snprintf(clean, sizeof(clean), "%s", m->path);
	len = strlen(clean);
	if (len > 10 && !strcmp(clean + len - 10, " (deleted)"))
		clean[len - 10] = '\0';
	snprintf(path, sizeof(path), "/proc/%u/root%s", pid, clean);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	return open(clean, O_RDONLY | O_CLOEXEC);
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
	f->fd = open_mapped(pid, m);
	f->state = f->fd >= 0 ? FILE_UNREAD : FILE_FAILED;
	if (f->fd < 0)
		pr_debug("cannot open %s of pid %u: %s", m->path, pid, strerror(errno));
	idxmap_insert(&sz->file_index, h, sz->nfiles);
	sz->stats.files++;
	return sz->nfiles++;
}

static struct elf_syms *file_syms(struct symbolizer *sz, struct sym_file *f)
{
	if (f->state == FILE_UNREAD) {
		f->es = elf_syms_from_fd(f->fd);
		close(f->fd);
		f->fd = -1;
		f->state = f->es ? FILE_LOADED : FILE_FAILED;
		if (f->es) {
			sz->stats.files_loaded++;
			sz->stats.symbols += f->es->n;
		} else {
			pr_debug("cannot read ELF symbols of %s", f->path);
		}
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

static int cmp_map(const void *a, const void *b)
{
	const struct proc_map *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* Read the mappings again; keep the old ones the new ones do not cover, so
 * that addresses sampled before an exec or a dlclose still resolve. */
static int proc_read(struct symbolizer *sz, struct sym_proc *p)
{
	struct proc_map *maps;
	size_t n, keep = 0;
	int err;

	err = proc_maps_read(p->pid, &maps, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		if (maps[i].kind == MAP_FILE)
			maps[i].file = file_for_map(sz, p->pid, &maps[i]);
	for (size_t i = 0; i < p->nmaps; i++) {
		struct proc_map *o = &p->maps[i];
		bool overlap = false;

		for (size_t j = 0; j < n && !overlap; j++)
			overlap = o->start < maps[j].end && maps[j].start < o->end;
		if (overlap) {
			free(o->path);
			continue;
		}
		maps = xrealloc(maps, (n + keep + 1) * sizeof(*maps));
		maps[n + keep++] = *o;
	}
	free(p->maps);
	n += keep;
	qsort(maps, n, sizeof(*maps), cmp_map);
	p->maps = maps;
	p->nmaps = n;
	return 0;
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

void symbolizer_note_process(struct symbolizer *sz, uint32_t pid)
{
	struct sym_proc *p = find_proc(sz, pid);

	if (!p)
		p = add_proc(sz, pid);
	if (proc_read(sz, p) == 0)
		sz->stats.procs++;
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

static void name_user(struct symbolizer *sz, struct profile *prof, struct location *l)
{
	uint64_t addr = l->addr, vaddr, look;
	const struct proc_map *m = NULL;
	struct sym_proc *p = find_proc(sz, l->pid);
	struct elf_syms *es = NULL;
	const struct elf_sym *sym;
	const char *module;
	char buf[PATH_MAX + 64];

	if (!p) {
		p = add_proc(sz, l->pid);
		if (proc_read(sz, p) == 0)
			sz->stats.procs++;
		p->refreshed = true;
	}
	m = proc_maps_find(p->maps, p->nmaps, addr);
	if (!m && !p->refreshed) {
		/* mapped after we last looked (dlopen), if it is still alive */
		p->refreshed = true;
		proc_read(sz, p);
		m = proc_maps_find(p->maps, p->nmaps, addr);
	}
	if (!m) {
		if (p->nmaps)
			snprintf(buf, sizeof(buf), "[unmapped]+0x%llx", (unsigned long long)addr);
		else	/* exited before we could read its mappings */
			snprintf(buf, sizeof(buf), "[pid %u exited]+0x%llx", l->pid,
				 (unsigned long long)addr);
		l->name = profile_intern(prof, buf);
		l->module = profile_intern(prof, "[unknown]");
		sz->stats.unnamed++;
		return;
	}

	vaddr = addr - m->start + m->offset;
	if (m->kind == MAP_FILE && m->file >= 0) {
		es = file_syms(sz, &sz->files[m->file]);
		module = sz->files[m->file].path;
	} else if (m->kind == MAP_VDSO) {
		es = vdso_syms(sz);
		vaddr = addr - m->start;
		module = "[vdso]";
	} else {
		module = m->kind == MAP_ANON ? "[anon]" : m->path;
	}
	if (es && !elf_syms_offset_to_addr(es, vaddr, &vaddr))
		es = NULL;
	l->module = profile_intern(prof, module);
	l->module_addr = vaddr;
	if (es && es->build_id_len) {
		char hex[2 * sizeof(es->build_id) + 1];

		for (size_t i = 0; i < es->build_id_len; i++)
			snprintf(hex + 2 * i, 3, "%02x", es->build_id[i]);
		l->build_id = profile_intern(prof, hex);
	}

	look = l->is_return ? vaddr - 1 : vaddr;
	sym = es ? elf_syms_lookup(es, look) : NULL;
	if (sym) {
		l->name = profile_intern(prof, elf_syms_name(es, sym));
		sz->stats.resolved++;
		return;
	}
	snprintf(buf, sizeof(buf), "%s+0x%llx", base_name(module), (unsigned long long)vaddr);
	l->name = profile_intern(prof, buf);
	sz->stats.unnamed++;
}

static void name_kernel(struct symbolizer *sz, struct profile *prof, struct location *l)
{
	const struct ksym *ks = NULL;
	char buf[256];

	if (!sz->ksyms_tried) {
		sz->ksyms_tried = true;
		sz->ksyms = ksyms_load(sz->kallsyms_path ? sz->kallsyms_path : "/proc/kallsyms");
		if (!sz->ksyms)
			pr_warn("cannot read /proc/kallsyms: %s; kernel frames are unnamed",
				strerror(errno));
		else if (!sz->ksyms->n && sz->ksyms->zero_addrs)
			pr_warn("kernel addresses are hidden (kernel.kptr_restrict): run as root to name kernel frames");
	}
	if (sz->ksyms)
		ks = ksyms_lookup(sz->ksyms, l->is_return ? l->addr - 1 : l->addr);
	if (ks) {
		l->name = profile_intern(prof, ks->name);
		if (ks->module) {
			snprintf(buf, sizeof(buf), "[%s]", ks->module);
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

	for (size_t i = 0; i < p->nlocs; i++) {
		struct location *l = &p->locs[i];

		if (l->name)
			continue;
		if (l->kind == FRAME_KERNEL)
			name_kernel(sz, p, l);
		else
			name_user(sz, p, l);
	}
	sz->stats.ns += now_ns() - t0;
	return 0;
}
