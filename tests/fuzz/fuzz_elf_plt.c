// SPDX-License-Identifier: GPL-2.0
/* The PLT decoder alone (src/symbol/elf_plt.c): stubs named from their
 * GOT relocations, whatever the rest of the file holds. */
#include <libelf.h>

#include "fuzz.h"
#include "symbol/elf_plt.h"
#include "symbol/elf_syms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_syms *es = elf_syms_new();
	Elf *elf;

	elf_version(EV_CURRENT);
	elf = elf_memory((char *)data, size);
	if (elf) {
		elf_plt_add(es, elf);
		elf_end(elf);
	}
	elf_syms_finish(es);
	elf_syms_free(es);
	return 0;
}
