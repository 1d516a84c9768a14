// SPDX-License-Identifier: GPL-2.0
/*
 * A PLT stub is a few bytes of code in front of every call into another
 * object (libc calls its own IFUNC-selected memcpy through one too), and
 * no symbol table covers it: without this, a sample on a stub prints as
 * libc.so.6+0x26010.  Like objdump and perf, name each stub after what it
 * jumps to.  Every x86-64 stub that leaves the PLT does so with an
 * indirect jump through its GOT slot (jmp *disp(%rip), ff 25, perhaps
 * after endbr64 or a bnd prefix), and the relocation that fills that slot
 * names the target: JUMP_SLOT and GLOB_DAT by symbol, IRELATIVE by the
 * address of its IFUNC resolver, which carries the function's name.
 * Decoding the jump rather than counting entries works the same for the
 * lazy .plt, IBT's .plt.sec and the eager .plt.got.
 */
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "symbol/elf_plt.h"
#include "symbol/elf_syms.h"
#include "util/util.h"

#ifndef R_X86_64_IRELATIVE
#define R_X86_64_IRELATIVE 37
#endif

struct got_slot {
	uint64_t addr;
	char *name;
};

struct got_slots {
	struct got_slot *v;
	size_t n, cap;
};

static void slot_add(struct got_slots *gs, uint64_t addr, const char *name)
{
	if (!name || !*name)
		return;
	GROW(gs->v, gs->cap, gs->n + 1);
	gs->v[gs->n].addr = addr;
	gs->v[gs->n].name = xstrdup(name);
	gs->n++;
}

/* The name a relocation gives its slot: its symbol, or the IFUNC's. */
static const char *reloc_name(struct elf_syms *es, Elf *elf, Elf_Data *syms,
			      size_t strndx, const GElf_Rela *r)
{
	unsigned long type = GELF_R_TYPE(r->r_info);
	GElf_Sym sym;

	if (type == R_X86_64_IRELATIVE) {
		const struct elf_sym *s = elf_syms_lookup(es, (uint64_t)r->r_addend);

		return s ? elf_syms_raw_name(es, s) : NULL;
	}
	if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT)
		return NULL;
	if (!syms || !gelf_getsym(syms, GELF_R_SYM(r->r_info), &sym))
		return NULL;
	return elf_strptr(elf, strndx, sym.st_name);
}

static void read_relocs(struct got_slots *gs, struct elf_syms *es, Elf *elf,
			Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL), *syms = NULL;
	Elf_Scn *symscn = elf_getscn(elf, sh->sh_link);
	GElf_Shdr symsh = { 0 };
	size_t count;

	if (!data || !sh->sh_entsize)
		return;
	if (symscn && gelf_getshdr(symscn, &symsh))
		syms = elf_getdata(symscn, NULL);
	count = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < count; i++) {
		GElf_Rela r;

		if (gelf_getrela(data, i, &r))
			slot_add(gs, r.r_offset, reloc_name(es, elf, syms, symsh.sh_link, &r));
	}
}

static int cmp_slot(const void *a, const void *b)
{
	const struct got_slot *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static const struct got_slot *slot_find(const struct got_slots *gs, uint64_t addr)
{
	struct got_slot key = { .addr = addr };

	return bsearch(&key, gs->v, gs->n, sizeof(*gs->v), cmp_slot);
}

/* Name each stub of one PLT section; returns how many were named. */
static size_t name_stubs(struct elf_syms *es, const struct got_slots *gs,
			 Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	uint64_t ent = sh->sh_entsize ? sh->sh_entsize : 16;
	const unsigned char *code;
	size_t added = 0;

	if (!data || !data->d_buf || data->d_size < sh->sh_size || ent < 6 || ent > 32)
		return 0;
	code = data->d_buf;
	for (uint64_t off = 0; off + ent <= sh->sh_size; off += ent) {
		for (uint64_t k = 0; k + 6 <= ent; k++) {
			const struct got_slot *s;
			char name[512];
			int32_t disp;

			if (code[off + k] != 0xff || code[off + k + 1] != 0x25)
				continue;
			memcpy(&disp, code + off + k + 2, sizeof(disp));
			s = slot_find(gs, sh->sh_addr + off + k + 6 + (int64_t)disp);
			if (s) {
				snprintf(name, sizeof(name), "%s@plt", s->name);
				if (!elf_syms_add(es, sh->sh_addr + off, ent, name))
					return added;	/* full */
				/* a real symbol at the same address wins */
				es->syms[es->n - 1].bind = ELF_SYM_STUB;
				added++;
			}
			break;
		}
	}
	return added;
}

size_t elf_plt_add(struct elf_syms *es, Elf *elf)
{
	struct got_slots gs = { 0 };
	size_t shstrndx = 0, added = 0;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	GElf_Shdr sh;

	if (!gelf_getehdr(elf, &eh) || eh.e_machine != EM_X86_64 ||
	    elf_getshdrstrndx(elf, &shstrndx))
		return 0;
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_RELA)
			read_relocs(&gs, es, elf, scn, &sh);
	if (!gs.n)
		return 0;
	qsort(gs.v, gs.n, sizeof(*gs.v), cmp_slot);
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		/* a debug file's copy of .plt is NOBITS: nothing to decode */
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && (!strcmp(name, ".plt") || !strcmp(name, ".plt.sec") ||
			     !strcmp(name, ".plt.got")))
			added += name_stubs(es, &gs, scn, &sh);
	}
	for (size_t i = 0; i < gs.n; i++)
		free(gs.v[i].name);
	free(gs.v);
	return added;
}
