/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Symbols a stripped binary keeps elsewhere: a separate debug file found
 * by GNU build-id or by .gnu_debuglink (CRC checked), as gdb and perf look
 * for them, and MiniDebugInfo (.gnu_debugdata, an xz-compressed ELF).
 */
#ifndef PROFILER_DEBUGINFO_H
#define PROFILER_DEBUGINFO_H

#include "symbol/elf_syms.h"

#define DEBUGINFO_ROOT "/usr/lib/debug"

/*
 * Open the separate debug file of the binary at path (as its process
 * named it, " (deleted)" allowed) whose symbols are es: -1 when there is
 * none.  root is the debug tree (NULL: DEBUGINFO_ROOT); target_root the
 * process's root directory (/proc/PID/root), inside which the files
 * beside the binary are looked for (NULL: as the profiler sees them).
 */
int debuginfo_open(const char *root, const char *target_root, const char *path,
		   const struct elf_syms *es);

/*
 * Add what MiniDebugInfo, else a separate debug file, knows to es when es
 * has no .symtab of its own.  Returns the number of symbols added.
 */
size_t debuginfo_add_symbols(const char *root, const char *target_root, const char *path,
			     struct elf_syms *es);

#endif /* PROFILER_DEBUGINFO_H */
