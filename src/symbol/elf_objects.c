// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbol/elf_objects.h"
#include "util/util.h"

static int cmp_obj(const void *a, const void *b)
{
	const struct elf_object *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

/* Object symbols of one symbol table section, names copied into one arena. */
static void read_objects(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh, struct elf_objects *eo,
			 size_t *cap, size_t *slen, size_t *scap)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t nsyms = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (size_t i = 0; data && i < nsyms; i++) {
		GElf_Sym sym;
		const char *name;
		size_t len;

		if (!gelf_getsym(data, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_OBJECT ||
		    !sym.st_size || sym.st_shndx == SHN_UNDEF)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		len = strlen(name) + 1;
		GROW(eo->strings, *scap, *slen + len);
		memcpy(eo->strings + *slen, name, len);
		GROW(eo->syms, *cap, eo->n + 1);
		eo->syms[eo->n].addr = sym.st_value;
		eo->syms[eo->n].size = sym.st_size;
		eo->syms[eo->n].name = (const char *)(uintptr_t)*slen;	/* offset until done */
		eo->n++;
		*slen += len;
	}
}

struct elf_objects *elf_objects_from_fd(int fd)
{
	struct elf_objects *eo;
	size_t cap = 0, slen = 0, scap = 0, nph = 0;
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL;
	GElf_Shdr sh, symsh, dynsh;
	Elf *elf;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		return NULL;
	}
	eo = xcalloc(1, sizeof(*eo));
	if (!elf_getphdrnum(elf, &nph)) {
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
				continue;
			eo->phdr = xrealloc(eo->phdr, (eo->nphdr + 1) * sizeof(*eo->phdr));
			eo->phdr[eo->nphdr][0] = ph.p_offset;
			eo->phdr[eo->nphdr][1] = ph.p_vaddr;
			eo->phdr[eo->nphdr][2] = ph.p_align ? ph.p_align : 1;
			eo->nphdr++;
		}
	}
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB) {
			symtab = scn;
			symsh = sh;
		} else if (sh.sh_type == SHT_DYNSYM) {
			dynsym = scn;
			dynsh = sh;
		}
	}
	/* .symtab holds statics too; a stripped file still exports .dynsym */
	if (symtab)
		read_objects(elf, symtab, &symsh, eo, &cap, &slen, &scap);
	else if (dynsym)
		read_objects(elf, dynsym, &dynsh, eo, &cap, &slen, &scap);
	for (size_t i = 0; i < eo->n; i++)
		eo->syms[i].name = eo->strings + (uintptr_t)eo->syms[i].name;
	qsort(eo->syms, eo->n, sizeof(*eo->syms), cmp_obj);
	elf_end(elf);
	return eo;
}

void elf_objects_free(struct elf_objects *eo)
{
	if (!eo)
		return;
	free(eo->syms);
	free(eo->strings);
	free(eo->phdr);
	free(eo);
}

const struct elf_object *elf_objects_lookup(const struct elf_objects *eo, uint64_t vaddr)
{
	size_t lo = 0, hi = eo->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (eo->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* objects do not nest: the last one starting at or below is the only candidate */
	if (lo && vaddr < eo->syms[lo - 1].addr + eo->syms[lo - 1].size)
		return &eo->syms[lo - 1];
	return NULL;
}

int elf_objects_bias(const struct elf_objects *eo, uint64_t start, uint64_t offset,
		     uint64_t *bias)
{
	int best = -1;

	/* the segment the mapping starts in: the last whose page-aligned offset is <= offset */
	for (size_t i = 0; i < eo->nphdr; i++) {
		uint64_t a = eo->phdr[i][0] & ~(eo->phdr[i][2] - 1);

		if (a <= offset && (best < 0 || eo->phdr[i][0] >= eo->phdr[best][0]))
			best = i;
	}
	if (best < 0)
		return -ENOENT;
	*bias = start - offset + eo->phdr[best][0] - eo->phdr[best][1];
	return 0;
}

/* ---- naming addresses of live processes --------------------------------- */

struct dn_file {
	uint64_t dev, ino;
	struct elf_objects *eo;	/* NULL: not ELF, or unreadable */
};

struct data_namer {
	struct dn_file *files;
	size_t n, cap;
};

struct data_namer *data_namer_new(void)
{
	return xcalloc(1, sizeof(struct data_namer));
}

void data_namer_free(struct data_namer *dn)
{
	if (!dn)
		return;
	for (size_t i = 0; i < dn->n; i++)
		elf_objects_free(dn->files[i].eo);
	free(dn->files);
	free(dn);
}

struct vma {
	uint64_t start, end, off, dev, ino;
	char path[256];
};

static bool parse_vma(const char *line, struct vma *v)
{
	unsigned long long s, e, o, ino;
	unsigned int maj, min;
	char perms[5];
	int pos = 0;

	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu%n", &s, &e, perms, &o, &maj, &min, &ino,
		   &pos) < 7 || !pos)
		return false;
	line += pos;
	line += strspn(line, " \t");
	v->start = s;
	v->end = e;
	v->off = o;
	v->dev = ((uint64_t)maj << 32) | min;
	v->ino = ino;
	snprintf(v->path, sizeof(v->path), "%.*s", (int)strcspn(line, "\n"), line);
	return true;
}

static struct elf_objects *file_objects(struct data_namer *dn, uint32_t pid, const struct vma *v)
{
	char path[128];
	int fd;

	for (size_t i = 0; i < dn->n; i++)
		if (dn->files[i].dev == v->dev && dn->files[i].ino == v->ino)
			return dn->files[i].eo;
	GROW(dn->files, dn->cap, dn->n + 1);
	dn->files[dn->n] = (struct dn_file){ v->dev, v->ino, NULL };
	/* map_files reaches the mapped inode even in another mount namespace */
	snprintf(path, sizeof(path), "/proc/%u/map_files/%llx-%llx", pid,
		 (unsigned long long)v->start, (unsigned long long)v->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = open(v->path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		dn->files[dn->n].eo = elf_objects_from_fd(fd);
		close(fd);
	}
	return dn->files[dn->n++].eo;
}

static char *name_in_file(struct data_namer *dn, uint32_t pid, const struct vma *file,
			  uint64_t addr)
{
	struct elf_objects *eo = file_objects(dn, pid, file);
	const struct elf_object *o;
	const char *base = strrchr(file->path, '/');
	uint64_t bias;
	char *s;

	base = base ? base + 1 : file->path;
	if (!eo || elf_objects_bias(eo, file->start, file->off, &bias))
		return xstrdup(base);
	o = elf_objects_lookup(eo, addr - bias);
	if (!o)
		return xstrdup(base);
	if (addr - bias == o->addr)
		return xstrdup(o->name);
	if (asprintf(&s, "%s+0x%llx", o->name, (unsigned long long)(addr - bias - o->addr)) < 0)
		return NULL;
	return s;
}

char *data_namer_user(struct data_namer *dn, uint32_t pid, uint64_t addr)
{
	char path[64], *text, *line, *next, *name = NULL;
	struct vma prev = {}, cur;
	bool have_prev = false;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	text = read_file(path, NULL);
	if (!text)
		return NULL;
	for (line = text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			next++;
		if (!parse_vma(line, &cur))
			continue;
		if (addr >= cur.start && addr < cur.end) {
			if (cur.ino && cur.path[0] == '/')
				name = name_in_file(dn, pid, &cur, addr);
			else if (cur.path[0] == '[')
				name = xstrdup(cur.path);
			/* .bss past the file's last page is an anonymous mapping right after it */
			else if (have_prev && prev.ino && prev.path[0] == '/' && prev.end == cur.start)
				name = name_in_file(dn, pid, &prev, addr);
			else
				name = xstrdup("[anon]");
			break;
		}
		prev = cur;
		have_prev = true;
	}
	free(text);
	return name;
}
