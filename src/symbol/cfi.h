/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Call frame information (.eh_frame) of one ELF file, through libdw: where
 * a function keeps its return address at a given instruction.  Used to
 * decide whether a return-address candidate read from the user stack (see
 * LEAF_RA_MARK in include/common.h) is the frame the unwinder missed, and
 * to find where a function without a symbol starts.
 */
#ifndef PROFILER_CFI_H
#define PROFILER_CFI_H

#include <stdbool.h>
#include <stdint.h>

struct cfi;

/* The .eh_frame of the ELF file open at fd; fd may be closed afterwards.
 * NULL when the file has none. */
struct cfi *cfi_open(int fd);
void cfi_close(struct cfi *c);

/* At ELF address addr, the canonical frame address as an offset from the
 * stack pointer (the return address is then at sp + offset - 8); 0 when the
 * CFA is kept relative to another register (a frame pointer) or unknown. */
int cfi_sp_offset(struct cfi *c, uint64_t addr);

/*
 * The start of the function that holds ELF address addr, as its FDE gives
 * it (for code without symbols: one function, one frame), and whether that
 * is the file's entry point (_start).  -ENOENT when no FDE covers addr.
 */
int cfi_function_start(struct cfi *c, uint64_t addr, uint64_t *start, bool *entry);

#endif /* PROFILER_CFI_H */
