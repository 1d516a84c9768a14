/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The search table of .eh_frame_hdr: the start address of every FDE,
 * sorted, as the linker writes it (--eh-frame-hdr) and the C library's own
 * unwinder reads it.  Used for the unwind rows and to group code without
 * symbols into functions.
 */
#ifndef PROFILER_EH_FRAME_HDR_H
#define PROFILER_EH_FRAME_HDR_H

#include <gelf.h>
#include <stddef.h>
#include <stdint.h>

/* The FDE starts of elf, malloc'ed, in *out (*count of them): 0, or
 * -ENOENT when there is no table in the one encoding linkers use. */
int eh_frame_hdr_starts(Elf *elf, uint64_t **out, size_t *count);

#endif /* PROFILER_EH_FRAME_HDR_H */
