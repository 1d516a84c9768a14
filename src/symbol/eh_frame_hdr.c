// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "symbol/eh_frame_hdr.h"
#include "util/util.h"

/* .eh_frame_hdr pointer encodings (DW_EH_PE_*) this reader understands */
#define PE_UDATA4	0x03
#define PE_SDATA4	0x0b
#define PE_DATAREL	0x30

static int32_t get_s32(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int eh_frame_hdr_starts(Elf *elf, uint64_t **out, size_t *count)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return -ENOENT;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		Elf_Data *d;
		const uint8_t *p;
		uint64_t *starts;
		size_t n, pos;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".eh_frame_hdr"))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size < 12)
			return -ENOENT;
		p = d->d_buf;
		/* version 1; eh_frame_ptr as sdata4 of some base; the count; the table */
		if (p[0] != 1 || (p[1] & 0x0f) != PE_SDATA4 || p[3] != (PE_DATAREL | PE_SDATA4) ||
		    (p[2] != PE_UDATA4 && p[2] != PE_SDATA4))
			return -ENOENT;
		n = (uint32_t)get_s32(p + 8);
		pos = 12;
		if (n > (d->d_size - pos) / 8)
			return -ENOENT;
		starts = xmalloc((n ? n : 1) * sizeof(*starts));
		for (size_t i = 0; i < n; i++, pos += 8)
			starts[i] = sh.sh_addr + (int64_t)get_s32(p + pos);
		*out = starts;
		*count = n;
		return 0;
	}
	return -ENOENT;
}
