// SPDX-License-Identifier: GPL-2.0
/*
 * Finding the allocator: the file whose malloc the process really calls,
 * from its mappings, opened through /proc/PID/root so a process in another
 * mount namespace (a container) gets its own copy of the library.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <gelf.h>
#include <libelf.h>

#include "collectors/mem_lib.h"
#include "runtime/entry_hold.h"
#include "symbol/elf_segs.h"
#include "symbol/proc_maps.h"
#include "util/idxmap.h"
#include "util/util.h"

/*
 * Weak symbols count (calloc, memalign are weak in glibc): hence not
 * elf_syms.  One pass over the symbol tables for all the names.
 */
unsigned elf_func_offsets(const char *path, const char *const *names, size_t n, uint64_t *offs)
{
	struct elf_seg *segs = NULL;
	Elf_Scn *scn = NULL;
	unsigned found = 0, all = n >= 32 ? ~0u : (1u << n) - 1;
	size_t nsegs = 0;
	Elf *elf;
	int fd;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf)
		nsegs = elf_segs_read(elf, &segs);
	while (elf && found != all && (scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && found != all; i++) {
			GElf_Sym sym;
			const char *name;
			int type;

			if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			type = GELF_ST_TYPE(sym.st_info);
			if (type != STT_FUNC && type != STT_GNU_IFUNC)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			for (size_t j = 0; name && j < n && j < 32; j++) {
				uint64_t off = 0;

				if ((found & (1u << j)) || strcmp(name, names[j]))
					continue;
				/* the offset a uprobe wants; a name alone needs none */
				if (offs && !elf_segs_addr_to_offset(segs, nsegs, sym.st_value, &off))
					continue;
				if (offs)
					offs[j] = off;
				found |= 1u << j;
			}
		}
	}
	free(segs);
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

static bool is_libc(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5);
}

#define ALLOC_FILES_MAX 4096	/* then forgotten, all at once */

struct alloc_file {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	unsigned found;
	uint64_t offs[32];
	int has_entry;		/* 0 not looked, 1 entry is its entry point's offset, -1 none */
	uint64_t entry;
};

struct alloc_files {
	char *names[32];
	size_t n;
	/* our own allocator (pid 0), found once: our maps are read for it
	 * at every exec a command makes */
	char *self;
	struct alloc_file *v;
	size_t len, cap;
	struct idxmap index;
};

static uint64_t file_hash(const struct stat *sb)
{
	return hash_u64(sb->st_ino ^ hash_u64(sb->st_dev));
}

struct alloc_files *alloc_files_new(const char *const *names, size_t n)
{
	struct alloc_files *a = xcalloc(1, sizeof(*a));

	a->n = MIN(n, ARRAY_SIZE(a->names));
	for (size_t i = 0; i < a->n; i++)
		a->names[i] = xstrdup(names[i]);
	return a;
}

struct file_key {
	const struct alloc_files *a;
	const struct stat *sb;
};

static bool key_eq(const void *ctx, uint32_t idx)
{
	const struct file_key *k = ctx;
	const struct alloc_file *f = &k->a->v[idx];

	return f->dev == k->sb->st_dev && f->ino == k->sb->st_ino && f->size == k->sb->st_size &&
	       f->mtime.tv_sec == k->sb->st_mtim.tv_sec && f->mtime.tv_nsec == k->sb->st_mtim.tv_nsec;
}

static struct alloc_file *file_of(struct alloc_files *a, const char *path)
{
	struct stat sb;
	struct file_key k = { a, &sb };
	struct alloc_file *f;
	int64_t at;

	if (stat(path, &sb))
		return NULL;
	at = idxmap_find(&a->index, file_hash(&sb), key_eq, &k);
	if (at < 0) {
		if (a->len == ALLOC_FILES_MAX) {
			idxmap_free(&a->index);
			memset(&a->index, 0, sizeof(a->index));
			a->len = 0;
		}
		GROW(a->v, a->cap, a->len + 1);
		f = &a->v[a->len];
		*f = (struct alloc_file){ .dev = sb.st_dev, .ino = sb.st_ino, .size = sb.st_size,
					  .mtime = sb.st_mtim };
		f->found = elf_func_offsets(path, (const char *const *)a->names, a->n, f->offs);
		idxmap_insert(&a->index, file_hash(&sb), a->len);
		at = a->len++;
	}
	return &a->v[at];
}

unsigned alloc_files_find(struct alloc_files *a, const char *path, uint64_t *offs)
{
	struct alloc_file *f = file_of(a, path);

	if (!f)
		return 0;
	if (offs)
		memcpy(offs, f->offs, a->n * sizeof(*offs));
	return f->found;
}

bool alloc_files_entry(struct alloc_files *a, const char *path, uint64_t *off)
{
	struct alloc_file *f = file_of(a, path);

	if (!f)
		return false;
	if (!f->has_entry)
		f->has_entry = elf_entry_offset(path, &f->entry) ? 1 : -1;
	*off = f->entry;
	return f->has_entry > 0;
}

void alloc_files_free(struct alloc_files *a)
{
	if (!a)
		return;
	idxmap_free(&a->index);
	free(a->v);
	for (size_t i = 0; i < a->n; i++)
		free(a->names[i]);
	free(a->self);
	free(a);
}

int mem_find_allocator(struct alloc_files *a, pid_t pid, const char *exe,
		       const struct proc_map *known, size_t nknown, char *out, size_t size)
{
	struct proc_map *read = NULL;
	const struct proc_map *maps = known;
	size_t n = nknown;
	char root[64] = "", path[4096];
	const char *libc = NULL, *other = NULL;
	int err;

	if (pid)
		snprintf(root, sizeof(root), "/proc/%d/root", pid);
	if (exe && (alloc_files_find(a, exe, NULL) & 1)) {
		snprintf(out, size, "%s", exe);
		return 0;
	}
	if (!pid && a->self) {
		snprintf(out, size, "%s", a->self);
		return 0;
	}
	if (!maps) {
		err = proc_maps_read(pid ? (uint32_t)pid : (uint32_t)getpid(), &read, &n);
		if (err)
			return err;
		maps = read;
	}
	for (size_t i = 0; i < n; i++) {
		const char *p = maps[i].path;

		if (maps[i].kind != MAP_FILE || !p || p[0] != '/' || strstr(p, " (deleted)"))
			continue;
		if (i && maps[i - 1].path && !strcmp(maps[i - 1].path, p))
			continue;
		snprintf(path, sizeof(path), "%s%s", root, p);
		if (is_libc(p)) {
			if (!libc && (alloc_files_find(a, path, NULL) & 1))
				libc = p;
			continue;
		}
		/* the executable, or an allocator library linked or preloaded before libc */
		if (!other && pid && (alloc_files_find(a, path, NULL) & 1))
			other = p;
	}
	err = -ENOENT;
	if (other || libc) {
		snprintf(out, size, "%s%s", root, other ? other : libc);
		err = 0;
		if (!pid)
			a->self = xstrdup(out);
	}
	if (read)
		proc_maps_free(read, n);
	return err;
}

static int cmp_cut(const void *a, const void *b)
{
	const struct mem_cut *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->addr > y->addr) - (x->addr < y->addr);
}

void mem_cuts_sort(struct mem_cut *cuts, size_t n)
{
	if (n)
		qsort(cuts, n, sizeof(*cuts), cmp_cut);
}

uint64_t mem_region_left(uint64_t start, uint64_t size, uint32_t pid, uint64_t ts,
			 const struct mem_cut *cuts, size_t n)
{
	uint64_t end = start + size, done = start, gone = 0;
	size_t lo = 0, hi = n;

	/* the first cut of pid */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cuts[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* by start address: the union is what lies past what was counted */
	for (size_t i = lo; i < n && cuts[i].pid == pid && cuts[i].addr < end; i++) {
		uint64_t a, b;

		if (cuts[i].ts <= ts)
			continue;
		a = cuts[i].addr > done ? cuts[i].addr : done;
		b = cuts[i].addr + cuts[i].len < end ? cuts[i].addr + cuts[i].len : end;
		if (b > a) {
			gone += b - a;
			done = b;
		}
	}
	return size - gone;
}
