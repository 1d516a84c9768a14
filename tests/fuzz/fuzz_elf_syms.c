// SPDX-License-Identifier: GPL-2.0
/* The ELF symbol reader (src/symbol/elf_syms.c, with its PLT names and
 * segments), then a lookup and a demangled name for every symbol. */
#include "fuzz.h"
#include "symbol/elf_syms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_syms *es = elf_syms_from_mem(data, size);
	uint64_t addr;

	if (!es)
		return 0;
	for (size_t i = 0; i < es->n; i++) {
		const struct elf_sym *s = elf_syms_lookup(es, es->syms[i].addr);

		elf_syms_name(es, s ? s : &es->syms[i]);
	}
	elf_syms_offset_to_addr(es, 0x1000, &addr);
	elf_syms_free(es);
	return 0;
}
