/* SPDX-License-Identifier: GPL-2.0 */
/* profiler lock's names for locks (lock_names.c). */
#ifndef PROFILER_LOCK_NAMES_H
#define PROFILER_LOCK_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "collectors/futex_kind.h"

struct lock_key;
struct lock_names;

struct lock_names *lock_names_new(void);
/* Name the futex at addr of pid now, while the process lives (once). */
void lock_names_remember(struct lock_names *ln, uint32_t pid, uint64_t addr);
/* Its name, or NULL: "[heap]"-style names are kinds of memory, not variables. */
const char *lock_names_futex(const struct lock_names *ln, uint32_t pid, uint64_t addr);
/* The group frame of a key: "lock:NAME (TYPE)", a futex's with its wait kind. */
void lock_names_label(struct lock_names *ln, const struct lock_key *k, enum wait_kind kind,
		      char *buf, size_t size);
void lock_names_free(struct lock_names *ln);

#endif /* PROFILER_LOCK_NAMES_H */
