// SPDX-License-Identifier: GPL-2.0
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "symbol/srcline.h"
#include "util/file_limits.h"
#include "util/util.h"

struct srcline {
	Dwarf *dw;
};

/* Bytes of DWARF (.debug_* and .zdebug_* sections) in the file at fd */
static uint64_t dwarf_bytes(int fd)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	uint64_t total = 0;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (!elf)
		return 0;
	if (!elf_getshdrstrndx(elf, &shstrndx))
		while ((scn = elf_nextscn(elf, scn))) {
			const char *name;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
				continue;
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (name && (!strncmp(name, ".debug_", 7) || !strncmp(name, ".zdebug_", 8)))
				total += sh.sh_size;
		}
	elf_end(elf);
	return total;
}

struct srcline *srcline_open_max(int fd, uint64_t max_bytes)
{
	struct srcline *sl;
	Dwarf *dw;

	elf_version(EV_CURRENT);
	/* libdw reads all of it at the first lookup: refuse what is too much */
	if (dwarf_bytes(fd) > max_bytes) {
		errno = EFBIG;
		return NULL;
	}
	dw = dwarf_begin(fd, DWARF_C_READ);
	if (!dw) {
		errno = ENODATA;
		return NULL;
	}
	sl = xcalloc(1, sizeof(*sl));
	sl->dw = dw;
	return sl;
}

struct srcline *srcline_open(int fd)
{
	return srcline_open_max(fd, LIMIT_DWARF_BYTES);
}

void srcline_close(struct srcline *sl)
{
	if (!sl)
		return;
	dwarf_end(sl->dw);
	free(sl);
}

/* An inlined instance's name lives on its abstract origin. */
static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *s;

	s = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));
	if (!s)
		s = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a));
	if (!s)
		s = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
	return s;
}

/* The file an inlined instance was called from, by the CU's file table. */
static const char *call_file(Dwarf_Die *cu, Dwarf_Die *die)
{
	Dwarf_Attribute a;
	Dwarf_Files *files;
	Dwarf_Word idx;
	size_t n;

	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &a), &idx) ||
	    dwarf_getsrcfiles(cu, &files, &n) || idx >= n)
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

int srcline_lookup(struct srcline *sl, uint64_t addr, struct srcline_frame *out, int max)
{
	Dwarf_Die cu, *scopes = NULL;
	Dwarf_Line *line;
	const char *file = NULL;
	uint32_t lineno = 0;
	int n = 0, nscopes;

	if (max < 1 || !dwarf_addrdie(sl->dw, addr, &cu))
		return 0;
	line = dwarf_getsrc_die(&cu, addr);
	if (line) {
		int l = 0;

		file = dwarf_linesrc(line, NULL, NULL);
		dwarf_lineno(line, &l);
		lineno = l > 0 ? l : 0;
	}
	/* innermost scope first: blocks, inlined instances, the function */
	nscopes = dwarf_getscopes(&cu, addr, &scopes);
	for (int i = 0; i < nscopes && n < max - 1; i++) {
		Dwarf_Word cl = 0;
		Dwarf_Attribute a;

		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
			continue;
		out[n].func = die_name(&scopes[i]);
		out[n].file = file;
		out[n].line = lineno;
		n++;
		/* what called it is where the next frame out stands */
		file = call_file(&cu, &scopes[i]);
		dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &a), &cl);
		lineno = cl;
	}
	free(scopes);
	out[n].func = NULL;
	out[n].file = file;
	out[n].line = lineno;
	return n + 1;
}
