/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Call frame information (.eh_frame) of one ELF file, through libdw: where
 * a function keeps its return address at a given instruction.  Used to
 * decide whether a return-address candidate read from the user stack (see
 * LEAF_RA_MARK in include/common.h) is the frame the unwinder missed.
 */
#ifndef PROFILER_CFI_H
#define PROFILER_CFI_H

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

#endif /* PROFILER_CFI_H */
