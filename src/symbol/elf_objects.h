/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names for data addresses: which global variable (STT_OBJECT symbol of a
 * mapped ELF file) holds a user address, or which kind of memory it is
 * ([heap], [stack], anonymous).  Used to name futexes: a global
 * `pthread_mutex_t big_lock` comes out as "big_lock".
 *
 * Kept apart from elf_syms.c, which reads functions only: the data side
 * needs sizes honoured strictly and the .bss that lies past the file.
 */
#ifndef PROFILER_ELF_OBJECTS_H
#define PROFILER_ELF_OBJECTS_H

#include <stddef.h>
#include <stdint.h>

struct elf_object {
	uint64_t addr;		/* link-time virtual address */
	uint64_t size;
	const char *name;
};

struct elf_objects {
	struct elf_object *syms;	/* sorted by addr */
	size_t n;
	char *strings;
	uint64_t (*phdr)[3];		/* PT_LOAD: p_offset, p_vaddr, p_align */
	size_t nphdr;
};

/* The object symbols of an ELF file (symtab, else dynsym); NULL if not ELF. */
struct elf_objects *elf_objects_from_fd(int fd);
void elf_objects_free(struct elf_objects *eo);
/* The symbol whose [addr, addr + size) holds vaddr, or NULL. */
const struct elf_object *elf_objects_lookup(const struct elf_objects *eo, uint64_t vaddr);
/* The load bias of a mapping at start of the file at offset: runtime = vaddr + bias. */
int elf_objects_bias(const struct elf_objects *eo, uint64_t start, uint64_t offset,
		     uint64_t *bias);

struct data_namer;

struct data_namer *data_namer_new(void);
void data_namer_free(struct data_namer *dn);
/*
 * Name addr in the live process pid: "big_lock", "big_lock+0x8",
 * "[heap]", "[stack]", "[anon]", "libfoo.so" (data of a file without a
 * symbol there).  A string to free, or NULL when pid has no such mapping.
 */
char *data_namer_user(struct data_namer *dn, uint32_t pid, uint64_t addr);

#endif /* PROFILER_ELF_OBJECTS_H */
