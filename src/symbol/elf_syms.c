// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbol/demangle.h"
#include "symbol/elf_plt.h"
#include "symbol/elf_syms.h"
#include "util/file_limits.h"
#include "util/util.h"

/* Copy a name into es->names: false when they would pass what an
 * elf_sym can point at (a hostile file's), and the table is full. */
static bool add_name(struct elf_syms *es, const char *name, struct elf_sym *sym)
{
	size_t len = strlen(name) + 1;

	if (es->names_len + len > (size_t)ELF_SYM_NAME_MAX + 1) {
		es->truncated = true;
		return false;
	}
	GROW(es->names, es->names_cap, es->names_len + len);
	memcpy(es->names + es->names_len, name, len);
	sym->name = es->names_len;
	sym->own = 1;
	es->names_len += len;
	return true;
}

const char *elf_syms_raw_name(const struct elf_syms *es, const struct elf_sym *sym)
{
	return sym->own ? es->names + sym->name : es->strtab + sym->name;
}

static unsigned int sym_bind(const GElf_Sym *sym)
{
	int bind = GELF_ST_BIND(sym->st_info);

	return bind == STB_GLOBAL ? ELF_SYM_GLOBAL : bind == STB_WEAK ? ELF_SYM_WEAK : ELF_SYM_LOCAL;
}

/* Preference among the names of one address, lower is better: read only
 * when two symbols share it, so that sorting touches no other name. */
static unsigned int sym_rank(const struct elf_syms *es, const struct elf_sym *sym)
{
	const char *name;
	unsigned int us = 0;

	if (sym->label)
		return UINT8_MAX;
	if (sym->bind == ELF_SYM_STUB)
		return UINT8_MAX - 1;
	/* malloc before __libc_malloc: fewer leading underscores reads better */
	name = elf_syms_raw_name(es, sym);
	while (name[us] == '_' && us < 3)
		us++;
	return sym->bind * 4 + us;
}

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/*
 * Map the string table of a symbol table read-only, so that symbols can
 * point into it instead of copying every name: false (names are then
 * copied) when the file is not at hand, the table is compressed, runs past
 * the file's end or does not end its last name.
 */
static bool map_strtab(struct elf_syms *es, Elf *elf, int fd, size_t strndx)
{
	Elf_Scn *scn = elf_getscn(elf, strndx);
	long page = sysconf(_SC_PAGESIZE);
	GElf_Shdr sh;
	struct stat st;
	size_t lead;
	void *map;

	if (fd < 0 || es->strmap || !scn || !gelf_getshdr(scn, &sh) || sh.sh_type != SHT_STRTAB ||
	    (sh.sh_flags & SHF_COMPRESSED) || !sh.sh_size || sh.sh_size > (uint64_t)ELF_SYM_NAME_MAX ||
	    fstat(fd, &st) || sh.sh_offset > (uint64_t)st.st_size ||
	    sh.sh_size > (uint64_t)st.st_size - sh.sh_offset)
		return false;
	lead = sh.sh_offset % (uint64_t)page;
	map = mmap(NULL, lead + sh.sh_size, PROT_READ, MAP_PRIVATE, fd, (off_t)(sh.sh_offset - lead));
	if (map == MAP_FAILED)
		return false;
	if (((const char *)map)[lead + sh.sh_size - 1]) {
		munmap(map, lead + sh.sh_size);
		return false;
	}
	es->strmap = map;
	es->strmap_len = lead + sh.sh_size;
	es->file_size = st.st_size;
	es->file_mtime_ns = mtime_ns(&st);
	es->strtab = (const char *)map + lead;
	es->strtab_len = sh.sh_size;
	return true;
}

/*
 * The file under the string table's mapping, opened through
 * /proc/self/map_files: the very inode mapped, whatever its path became.
 * CAP_SYS_ADMIN is needed; without it nothing is dropped.
 */
int elf_syms_open_mapped(const struct elf_syms *es)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)es->strmap;
	uintptr_t end = start + (es->strmap_len + (size_t)page - 1) / (size_t)page * (size_t)page;
	char path[64];

	if (!es->strmap)
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)start,
		 (unsigned long)end);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/*
 * True when the mapped file is as it was when mapped.  Its size and
 * modification time are compared, as a rewrite in place (cp onto a
 * library) keeps the inode but not those; not its change time, which an
 * upgrade's rename of a new file over the path also moves (the unlinked
 * inode's), content unchanged.
 */
static bool strmap_file_same(const struct elf_syms *es)
{
	int fd = elf_syms_open_mapped(es);
	struct stat st;

	if (fd < 0)
		return false;
	if (fstat(fd, &st))
		st.st_size = -1;
	close(fd);
	return st.st_size == es->file_size && mtime_ns(&st) == es->file_mtime_ns;
}

void elf_syms_drop_pages(struct elf_syms *es)
{
	/*
	 * Our own read-only private mapping: nothing in it was written, so
	 * the pages come back from the file.  Only if the file can be checked
	 * before they are read again (elf_syms_same_file).
	 */
	if (!es || !es->strmap || es->pages_dropped || !strmap_file_same(es))
		return;
	if (!madvise(es->strmap, es->strmap_len, MADV_DONTNEED))
		es->pages_dropped = true;
}

bool elf_syms_same_file(struct elf_syms *es)
{
	if (!es || !es->pages_dropped)
		return true;
	if (!strmap_file_same(es))
		return false;
	es->pages_dropped = false;	/* checked for this naming: a drop re-arms it */
	return true;
}

static void unmap_strtab(struct elf_syms *es)
{
	if (es->strmap)
		munmap(es->strmap, es->strmap_len);
	es->strmap = NULL;
	es->strtab = NULL;
	es->strtab_len = 0;
}

/*
 * An assembler label in code (STT_NOTYPE in an executable section), such
 * as the dynamic loader's _start: the entry of every process, whose return
 * address is at the root of any stack sampled before main.
 */
static bool code_label(Elf *elf, const GElf_Sym *sym)
{
	Elf_Scn *scn;
	GElf_Shdr sh;

	if (GELF_ST_TYPE(sym->st_info) != STT_NOTYPE || sym->st_shndx >= SHN_LORESERVE)
		return false;
	scn = elf_getscn(elf, sym->st_shndx);
	return scn && gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_EXECINSTR);
}

/* Room for one more symbol: a hostile file's millions are cut at
 * max_syms, and the caller says so. */
static bool room(struct elf_syms *es)
{
	if (es->n < es->max_syms)
		return true;
	es->truncated = true;
	return false;
}

/* fd: the file, for its string table; -1 to copy the names. */
static void read_symtab(struct elf_syms *es, Elf *elf, Elf_Scn *scn, GElf_Shdr *sh, int fd)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	bool mapped;
	size_t count;

	if (!data || !sh->sh_entsize)
		return;
	count = sh->sh_size / sh->sh_entsize;
	mapped = map_strtab(es, elf, fd, sh->sh_link);
	/* room for them all at once, not zeroed: pages never written are never resident */
	if (es->n + MIN(count, es->max_syms) > es->cap) {
		es->cap = es->n + MIN(count, es->max_syms);
		es->syms = xrealloc(es->syms, es->cap * sizeof(*es->syms));
	}
	for (size_t i = 0; i < count; i++) {
		struct elf_sym *s;
		GElf_Sym sym;
		const char *name;
		bool label;
		int type;

		if (!gelf_getsym(data, i, &sym))
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		label = code_label(elf, &sym);
		if (type != STT_FUNC && type != STT_GNU_IFUNC && !label)
			continue;
		if (sym.st_shndx == SHN_UNDEF || !sym.st_value || !sym.st_name)
			continue;
		if (mapped)
			name = sym.st_name < es->strtab_len ? es->strtab + sym.st_name : NULL;
		else
			name = elf_strptr(elf, sh->sh_link, sym.st_name);
		/* (only a label's name is read now: the others' pages stay unread) */
		if (!name || (label && (name[0] == '.' || !name[0])))
			continue;
		if (!room(es))
			return;
		GROW(es->syms, es->cap, es->n + 1);
		s = &es->syms[es->n];
		*s = (struct elf_sym){
			.addr = sym.st_value,
			/* a label reaches to the next symbol; a function at its address wins */
			.size = label ? 0 : (uint32_t)MIN(sym.st_size, UINT32_MAX),
			.bind = sym_bind(&sym),
			.label = label,
			.name = mapped ? sym.st_name : 0,
		};
		if (!mapped && !add_name(es, name, s))
			return;
		es->n++;
	}
}

static void read_build_id(struct elf_syms *es, Elf *elf, Elf_Scn *scn)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp((char *)data->d_buf + name_off, "GNU", 4) &&
		    nh.n_descsz <= sizeof(es->build_id)) {
			memcpy(es->build_id, (char *)data->d_buf + desc_off, nh.n_descsz);
			es->build_id_len = nh.n_descsz;
			return;
		}
	}
}

static void read_debug_sections(struct elf_syms *es, Elf *elf, Elf_Scn *scn,
				const char *name)
{
	Elf_Data *data = elf_getdata(scn, NULL);

	if (!data || !data->d_buf || !data->d_size)
		return;
	if (!strcmp(name, ".gnu_debuglink") && !es->debuglink) {
		/* NUL-terminated name, padded to 4, then the CRC32 */
		size_t len = strnlen(data->d_buf, data->d_size);
		size_t crc_off = (len + 4) & ~(size_t)3;

		if (len && crc_off + 4 <= data->d_size) {
			es->debuglink = xmalloc(len + 1);
			memcpy(es->debuglink, data->d_buf, len);
			es->debuglink[len] = '\0';
			memcpy(&es->debuglink_crc, (char *)data->d_buf + crc_off, 4);
		}
	} else if (!strcmp(name, ".gnu_debugdata") && !es->debugdata) {
		es->debugdata = xmalloc(data->d_size);
		memcpy(es->debugdata, data->d_buf, data->d_size);
		es->debugdata_len = data->d_size;
	}
}

static int cmp_sym(const void *a, const void *b, void *arg)
{
	const struct elf_sym *x = a, *y = b;
	unsigned int rx, ry;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	rx = sym_rank(arg, x);
	ry = sym_rank(arg, y);
	if (rx != ry)
		return rx < ry ? -1 : 1;
	/* a sized symbol says more than a zero-sized label */
	return (y->size > 0) - (x->size > 0);
}

/* Sort by address, keep the best name of each address. */
static void sort_syms(struct elf_syms *es)
{
	size_t j = 0;

	if (es->n)
		qsort_r(es->syms, es->n, sizeof(*es->syms), cmp_sym, es);
	for (size_t i = 0; i < es->n; i++)
		if (j == 0 || es->syms[j - 1].addr != es->syms[i].addr)
			es->syms[j++] = es->syms[i];
	es->n = j;
	/* what the dropped aliases and the reserve held goes back */
	if (es->n && es->n < es->cap) {
		es->syms = xrealloc(es->syms, es->n * sizeof(*es->syms));
		es->cap = es->n;
	}
	free(es->demangled);
	es->demangled = xcalloc(es->n ? es->n : 1, sizeof(*es->demangled));
}

struct elf_syms *elf_syms_new(void)
{
	struct elf_syms *es = xcalloc(1, sizeof(*es));

	es->max_syms = LIMIT_SYMS;
	return es;
}

bool elf_syms_add(struct elf_syms *es, uint64_t addr, uint64_t size, const char *name)
{
	/* an end past 2^64 (a hostile perf map) would wrap below the start */
	if (size > UINT64_MAX - addr)
		size = UINT64_MAX - addr;
	if (!room(es))
		return false;
	GROW(es->syms, es->cap, es->n + 1);
	es->syms[es->n] = (struct elf_sym){ .addr = addr, .size = (uint32_t)MIN(size, UINT32_MAX) };
	if (!add_name(es, name, &es->syms[es->n]))
		return false;
	es->n++;
	return true;
}

void elf_syms_finish(struct elf_syms *es)
{
	sort_syms(es);
}

void elf_syms_merge(struct elf_syms *es, const struct elf_syms *from)
{
	for (size_t i = 0; i < es->n; i++)
		free(es->demangled[i]);
	GROW(es->syms, es->cap, es->n + from->n);
	for (size_t i = 0; i < from->n && room(es); i++) {
		struct elf_sym s = from->syms[i];

		if (!add_name(es, elf_syms_raw_name(from, &from->syms[i]), &s))
			break;
		es->syms[es->n++] = s;
	}
	es->has_symtab = es->has_symtab || from->has_symtab;
	es->truncated = es->truncated || from->truncated;
	sort_syms(es);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

static struct elf_syms *read_elf(Elf *elf, int fd)
{
	struct elf_syms *es;
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL;
	GElf_Shdr sh, symtab_sh, dynsym_sh;
	GElf_Ehdr eh;
	size_t shstrndx = 0, shnum = 0;

	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		errno = ENOEXEC;
		return NULL;
	}
	es = elf_syms_new();
	es->is_dyn = eh.e_type == ET_DYN;

	elf_getshdrstrndx(elf, &shstrndx);
	es->nsegs = elf_segs_read(elf, &es->segs);

	es->not_go = !elf_getshdrnum(elf, &shnum) && shnum > 1;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (es->not_go && sh.sh_type != SHT_NOBITS && shstrndx)
			es->not_go = !ends_with(elf_strptr(elf, shstrndx, sh.sh_name), "gopclntab");
		if (sh.sh_type == SHT_SYMTAB) {
			symtab = scn;
			symtab_sh = sh;
		} else if (sh.sh_type == SHT_DYNSYM) {
			dynsym = scn;
			dynsym_sh = sh;
		} else if (sh.sh_type == SHT_NOTE && !es->build_id_len) {
			read_build_id(es, elf, scn);
		} else if (sh.sh_type == SHT_PROGBITS && shstrndx) {
			const char *name = elf_strptr(elf, shstrndx, sh.sh_name);

			if (name && !strncmp(name, ".gnu_debug", 10))
				read_debug_sections(es, elf, scn, name);
		}
	}
	if (symtab) {
		read_symtab(es, elf, symtab, &symtab_sh, fd);
		es->has_symtab = es->n > 0;
		if (!es->has_symtab)
			unmap_strtab(es);
	}
	/* .symtab is a superset of .dynsym; read .dynsym only without it */
	if (!es->has_symtab && dynsym)
		read_symtab(es, elf, dynsym, &dynsym_sh, fd);

	sort_syms(es);
	if (elf_plt_add(es, elf))
		sort_syms(es);
	return es;
}

static void elf_init(void)
{
	/* idempotent and cheap: libelf only records the version */
	elf_version(EV_CURRENT);
}

/* Read an opened ELF and let it go: NULL with errno set when it is none. */
static struct elf_syms *read_and_end(Elf *elf, int fd)
{
	struct elf_syms *es;

	if (!elf) {
		errno = ENOEXEC;
		return NULL;
	}
	es = read_elf(elf, fd);
	elf_end(elf);
	return es;
}

struct elf_syms *elf_syms_from_fd(int fd)
{
	elf_init();
	return read_and_end(elf_begin(fd, ELF_C_READ_MMAP, NULL), fd);
}

struct elf_syms *elf_syms_from_mem(const void *image, size_t size)
{
	elf_init();
	/* libelf does not write through the pointer in read mode */
	/* the image may go before the table does: its names are copied */
	return read_and_end(elf_memory((char *)image, size), -1);
}

void elf_syms_free(struct elf_syms *es)
{
	if (!es)
		return;
	/* (a table freed before elf_syms_finish has no names demangled) */
	for (size_t i = 0; es->demangled && i < es->n; i++)
		free(es->demangled[i]);
	free(es->demangled);
	free(es->syms);
	free(es->names);
	unmap_strtab(es);
	free(es->segs);
	free(es->debuglink);
	free(es->debugdata);
	free(es);
}

bool elf_syms_offset_to_addr(const struct elf_syms *es, uint64_t off, uint64_t *addr)
{
	return elf_segs_offset_to_addr(es->segs, es->nsegs, off, addr);
}

const struct elf_sym *elf_syms_lookup(const struct elf_syms *es, uint64_t addr)
{
	size_t lo = 0, hi = es->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (es->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* lo - 1 is the last symbol starting at or below addr; a few more
	 * below may still contain addr when symbols nest */
	for (size_t k = 0; k < 4 && lo > k; k++) {
		const struct elf_sym *s = &es->syms[lo - 1 - k];

		if (s->size) {
			if (addr < s->addr + s->size)
				return s;
		} else if (k == 0) {
			/* a zero-sized symbol reaches to the next one, unless it
			 * is a label inside a function that contains addr */
			if (lo > 1 && s->label && addr < es->syms[lo - 2].addr +
			    es->syms[lo - 2].size)
				return &es->syms[lo - 2];
			return s;
		}
	}
	return NULL;
}

const char *elf_syms_name(struct elf_syms *es, const struct elf_sym *sym)
{
	size_t i = sym - es->syms;
	const char *raw = elf_syms_raw_name(es, sym);

	if (!es->demangled[i]) {
		size_t len = strlen(raw);
		char *d;

		/* a PLT stub of a mangled name: demangle the name, keep @plt */
		if (len > 4 && !strcmp(raw + len - 4, "@plt")) {
			char *stem = xstrdup(raw);

			stem[len - 4] = '\0';
			d = demangle(stem);
			free(stem);
			if (d) {
				char *full = xmalloc(strlen(d) + 5);

				strcpy(full, d);
				strcat(full, "@plt");
				free(d);
				d = full;
			}
		} else {
			d = demangle(raw);
		}
		es->demangled[i] = d ? d : xstrdup(raw);
	}
	return es->demangled[i];
}
