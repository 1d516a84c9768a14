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
#include <gelf.h>
#include <libelf.h>

#include "collectors/mem_lib.h"
#include "symbol/proc_maps.h"

/* Weak symbols count (calloc, memalign are weak in glibc): hence not elf_syms. */
bool elf_defines(const char *path, const char *name)
{
	Elf_Scn *scn = NULL;
	bool found = false;
	Elf *elf;
	int fd;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	while (elf && !found && (scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && !found; i++) {
			GElf_Sym sym;
			const char *n;
			int type;

			if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			type = GELF_ST_TYPE(sym.st_info);
			if (type != STT_FUNC && type != STT_GNU_IFUNC)
				continue;
			n = elf_strptr(elf, sh.sh_link, sym.st_name);
			found = n && !strcmp(n, name);
		}
	}
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

int mem_find_allocator(pid_t pid, const char *exe, const char *prefix, char *out, size_t size)
{
	struct proc_map *maps = NULL;
	size_t n = 0;
	char root[64] = "", sym[128], path[4096];
	const char *libc = NULL, *other = NULL;
	int err;

	snprintf(sym, sizeof(sym), "%smalloc", prefix ? prefix : "");
	if (pid)
		snprintf(root, sizeof(root), "/proc/%d/root", pid);
	if (exe && elf_defines(exe, sym)) {
		snprintf(out, size, "%s", exe);
		return 0;
	}
	err = proc_maps_read(pid ? (uint32_t)pid : (uint32_t)getpid(), &maps, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		const char *p = maps[i].path;

		if (maps[i].kind != MAP_FILE || !p || p[0] != '/' || strstr(p, " (deleted)"))
			continue;
		if (i && maps[i - 1].path && !strcmp(maps[i - 1].path, p))
			continue;
		snprintf(path, sizeof(path), "%s%s", root, p);
		if (is_libc(p)) {
			if (!libc && elf_defines(path, sym))
				libc = p;
			continue;
		}
		/* the executable, or an allocator library linked or preloaded before libc */
		if (!other && pid && elf_defines(path, sym))
			other = p;
	}
	err = -ENOENT;
	if (other || libc) {
		snprintf(out, size, "%s%s", root, other ? other : libc);
		err = 0;
	}
	proc_maps_free(maps, n);
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
