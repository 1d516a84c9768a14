/* SPDX-License-Identifier: GPL-2.0 */
/*
 * -- COMMAND stopped at its program's entry point (bpf/entry.bpf.c), so
 * that its unwind tables exist before its first instruction.
 */
#ifndef PROFILER_ENTRY_HOLD_H
#define PROFILER_ENTRY_HOLD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct entry_hold;

/*
 * Before the command is released: a uprobe at the entry point of the file
 * execvp will run for argv0, for pid only.  NULL when there is nothing to
 * stop at (not an ELF file: a script) or the kernel refuses; the command
 * then runs unheld, as before.
 */
struct entry_hold *entry_hold_arm(const char *argv0, pid_t pid);
/*
 * After a SIGCHLD: whether the command is stopped at its entry, its maps
 * final (the program and its libraries), for the caller to read them
 * (unwind tables, the Python interpreter) and then entry_hold_release().
 */
bool entry_hold_stopped(struct entry_hold *h);
/* Let the stopped command go on; once, for good. */
void entry_hold_release(struct entry_hold *h);
/* At the end: never leave the command stopped. */
void entry_hold_close(struct entry_hold *h);

/* The file offset of an ELF file's entry point, where a uprobe goes. */
bool elf_entry_offset(const char *file, uint64_t *off);

#endif /* PROFILER_ENTRY_HOLD_H */
