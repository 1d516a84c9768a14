/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names for PLT stubs (puts@plt), which carry no symbol of their own.
 */
#ifndef PROFILER_ELF_PLT_H
#define PROFILER_ELF_PLT_H

#include <libelf.h>

struct elf_syms;

/* Add a NAME@plt symbol for each stub of elf's .plt, .plt.sec and .plt.got
 * whose GOT slot a relocation names; es must be sorted (the target of an
 * IFUNC slot is named through it).  Returns how many were added: the
 * caller sorts again when any were. */
size_t elf_plt_add(struct elf_syms *es, Elf *elf);

#endif /* PROFILER_ELF_PLT_H */
