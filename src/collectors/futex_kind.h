/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a futex wait is for: a contended mutex or rwlock, or a thread
 * waiting for an event (a condition variable, a semaphore, a barrier, the
 * end of a thread it joins).  Only the first two are lock contention.
 */
#ifndef PROFILER_FUTEX_KIND_H
#define PROFILER_FUTEX_KIND_H

#include <stdint.h>

#include "model/profile.h"

enum wait_kind {
	WAIT_MUTEX,
	WAIT_RWLOCK,
	WAIT_CONDVAR,
	WAIT_SEMAPHORE,
	WAIT_BARRIER,
	WAIT_JOIN,
	WAIT_OTHER,	/* a futex wait no rule recognised */
	WAIT_KERNEL,	/* a contended kernel lock: its own types */
	WAIT_NKINDS,
};

#define WAIT_BIT(k)		(1U << (k))
#define WAIT_CONTENTION		(WAIT_BIT(WAIT_MUTEX) | WAIT_BIT(WAIT_RWLOCK) | WAIT_BIT(WAIT_KERNEL))
#define WAIT_ALL		((1U << WAIT_NKINDS) - 1)

/* "mutex", "condvar", ... as --kind spells them. */
const char *wait_kind_name(enum wait_kind k);

/* --kind LIST: comma-separated kinds, "contention" or "all"; a mask of WAIT_BIT()s,
 * or -EINVAL after naming the bad word. */
int wait_kinds_parse(const char *arg, unsigned *mask);

/*
 * The kind of a futex wait from its user stack (symbolized, leaf first:
 * the innermost frame a rule knows decides) and, where no frame is known,
 * from the futex call itself (LOCK_F_* flags).
 */
enum wait_kind futex_wait_kind(const struct profile *p, const uint32_t *frames, uint32_t n,
			       uint32_t flags);

#endif /* PROFILER_FUTEX_KIND_H */
