/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What this boot's kernel refused to load, remembered for the boot: a
 * program its verifier turns down by policy (not by a fault of the run)
 * is turned down the same way each time, and finding out costs a run
 * ~140 ms of CPU on this machine's 6.18.44 build (libbpf reads the
 * kernel's whole BTF for the program's kfuncs, the verifier runs twice,
 * and the fallback loads).
 *
 * One empty file per refusal in the cache directory (/run/profiler or
 * PROFILER_CACHE_DIR): refused.v1-BOOTID-NAME-OBJHASH, where
 * OBJHASH is the refused object's bytes' (another build of ours may be
 * accepted).  Believed only if the file is ours alone (our uid, not
 * group or world writable): anyone else could only make us try less.
 */
#ifndef PROFILER_REFUSALS_H
#define PROFILER_REFUSALS_H

#include <stdbool.h>
#include <stddef.h>

/* Whether a run of this boot noted that the kernel refuses name's object elf. */
bool refusal_known(const char *name, const void *elf, size_t size);

/* Note, for the rest of the boot, that the kernel refuses name's object elf. */
void refusal_note(const char *name, const void *elf, size_t size);

#endif /* PROFILER_REFUSALS_H */
