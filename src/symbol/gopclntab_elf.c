// SPDX-License-Identifier: GPL-2.0
/*
 * Finding .gopclntab in an ELF file: by its section, else by its magic in
 * the loaded segments; and the runtime's moduledata, which points at it and
 * says where funcdata (inline trees) lives from Go 1.18 on.
 */
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "symbol/gopclntab.h"
#include "symbol/gopclntab_int.h"
#include "util/util.h"

/* moduledata's words (runtime/symtab.go): 0 pcHeader, 1-3 funcnametab, ...,
 * 22 text; gofunc after types, etypes, rodata: 38 in 1.18-1.19, 40 from
 * 1.20 (covctrs, ecovctrs came before it) */
#define MD_TEXT		22
#define MD_GOFUNC_118	38
#define MD_GOFUNC_120	40

static uint64_t word(const uint8_t *p, unsigned ptrsize)
{
	uint64_t v = 0;

	memcpy(&v, p, ptrsize);	/* little-endian: x86-64, arm64 */
	return v;
}

/* The loaded segments' file bytes, for reading the program by address */
static int read_regions(Elf *elf, const uint8_t *raw, size_t rawsize, struct gopclntab *g,
			bool *writable_out, size_t cap)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return -EINVAL;
	g->regs = xcalloc(n ? n : 1, sizeof(*g->regs));
	for (size_t i = 0; i < n && g->nregs < cap; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		if (ph.p_offset > rawsize || rawsize - ph.p_offset < ph.p_filesz)
			continue;
		writable_out[g->nregs] = ph.p_flags & PF_W;
		g->regs[g->nregs++] = (struct go_region){ ph.p_vaddr, raw + ph.p_offset,
							 ph.p_filesz };
	}
	return g->nregs ? 0 : -ENOENT;
}

/* A section whose name ends in suffix: its header, or false */
static bool find_section(Elf *elf, const char *suffix, GElf_Shdr *out)
{
	size_t shstrndx, len = strlen(suffix);
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		size_t nl;

		if (!gelf_getshdr(scn, out) || !(name = elf_strptr(elf, shstrndx, out->sh_name)))
			continue;
		nl = strlen(name);
		if (nl >= len && !strcmp(name + nl - len, suffix) && out->sh_type != SHT_NOBITS)
			return true;
	}
	return false;
}

/*
 * The runtime's moduledata: a word of writable data holding the table's
 * address, followed by funcnametab's.  From it, where funcdata points
 * (1.18 on), once its text agrees with the table's.
 */
static void find_moduledata(struct gopclntab *g, const bool *writable)
{
	unsigned ps = g->ptrsize, at = g->ver >= 120 ? MD_GOFUNC_120 : MD_GOFUNC_118;

	if (g->ver == 116)
		return;		/* funcdata are addresses: nothing to find */
	for (size_t r = 0; r < g->nregs; r++) {
		const struct go_region *reg = &g->regs[r];

		if (!writable[r] || reg->size < (size_t)(at + 1) * ps)
			continue;
		for (size_t o = (-reg->addr) & (ps - 1); o + (size_t)(at + 1) * ps <= reg->size;
		     o += ps) {
			const uint8_t *p = reg->p + o;
			uint64_t gofunc;

			if (word(p, ps) != g->tab_addr ||
			    word(p + ps, ps) != g->tab_addr + g->funcname_off ||
			    word(p + MD_TEXT * ps, ps) != g->text_start)
				continue;
			gofunc = word(p + (size_t)at * ps, ps);
			if (go_mem(g, gofunc, 1)) {
				g->gofunc = gofunc;
				g->have_gofunc = true;
			}
			return;
		}
	}
}

/* Does the table at tab (address addr) parse, and its first function too? */
static bool try_table(struct gopclntab *g, const uint8_t *tab, size_t size, uint64_t addr)
{
	struct go_func f;

	g->tab = tab;
	g->size = size;
	g->tab_addr = addr;
	return !go_parse(g) && !gopclntab_func(g, 0, &f);
}

/* No sections: the table's magic, at an aligned address of a segment */
static bool scan_for_table(struct gopclntab *g)
{
	for (size_t r = 0; r < g->nregs; r++) {
		const struct go_region *reg = &g->regs[r];

		for (size_t o = (-reg->addr) & 7; o + 16 <= reg->size; o += 8) {
			uint32_t m;

			memcpy(&m, reg->p + o, 4);
			if ((m != GO_MAGIC_116 && m != GO_MAGIC_118 && m != GO_MAGIC_120) ||
			    reg->p[o + 4] || reg->p[o + 5])
				continue;
			g->text_start = 0;	/* nothing kept from a candidate refused */
			if (try_table(g, reg->p + o, reg->size - o, reg->addr + o))
				return true;
		}
	}
	return false;
}

struct gopclntab *gopclntab_from_elf(Elf *elf)
{
	struct gopclntab *g = NULL;
	bool *writable = NULL;
	const uint8_t *raw;
	size_t rawsize, nph = 0, shnum = 0;
	GElf_Shdr sh, text;
	GElf_Ehdr eh;
	int err = -ENOENT;

	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    !(raw = (const uint8_t *)elf_rawfile(elf, &rawsize)))
		goto out;
	elf_getshdrnum(elf, &shnum);
	/* most files are not Go: with sections, one look at their names says so */
	if (shnum > 1 && !find_section(elf, "gopclntab", &sh))
		goto out;
	if (elf_getphdrnum(elf, &nph))
		goto out;
	g = xcalloc(1, sizeof(*g));
	writable = xcalloc(nph ? nph : 1, sizeof(*writable));
	if ((err = read_regions(elf, raw, rawsize, g, writable, nph)))
		goto out;
	err = -EINVAL;
	if (shnum > 1) {
		/* the section's bounds first: the retry below reads it too */
		if (sh.sh_offset > rawsize || rawsize - sh.sh_offset < sh.sh_size)
			goto out;
		if (!try_table(g, raw + sh.sh_offset, sh.sh_size, sh.sh_addr)) {
			/* a position-independent build leaves textStart to a
			 * relocation: the start of .text is the same address */
			if (g->ver == 116 || g->text_start || !find_section(elf, ".text", &text))
				goto out;
			g->text_start = text.sh_addr;
			if (!try_table(g, raw + sh.sh_offset, sh.sh_size, sh.sh_addr))
				goto out;
		}
	} else if (!scan_for_table(g)) {
		err = -ENOENT;
		goto out;
	}
	find_moduledata(g, writable);
	err = 0;
out:
	free(writable);
	if (err) {
		gopclntab_free(g);
		errno = -err;
		return NULL;
	}
	return g;
}

struct gopclntab *gopclntab_from_fd(int fd)
{
	struct gopclntab *g;
	Elf *elf;
	int err;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf) {
		errno = ENOENT;
		return NULL;
	}
	g = gopclntab_from_elf(elf);
	if (!g) {
		err = errno;
		elf_end(elf);
		errno = err;
		return NULL;
	}
	/* the mapping stays with the table; the caller may close fd */
	elf_cntl(elf, ELF_C_FDDONE);
	g->own = elf;
	return g;
}
