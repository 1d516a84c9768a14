// SPDX-License-Identifier: GPL-2.0
/*
 * Futex waits told apart by the function that made them.  The futex call
 * alone cannot say: glibc 2.34+ sends condition variables, semaphores,
 * rwlocks, barriers and pthread_join through one FUTEX_WAIT_BITSET
 * (__futex_abstimed_wait_common); only a contended low-level lock waits
 * with FUTEX_WAIT on the value 2.  So the user stack decides, innermost
 * known frame first: a condition variable reacquiring its mutex
 * (pthread_cond_wait -> __pthread_mutex_cond_lock -> __lll_lock_wait) is
 * mutex contention, its wait for a signal is not.
 *
 * To teach it another runtime, add rows to the table: a function name (or
 * a part of a C++/Rust path) and the kind of wait it makes.
 */
#include <errno.h>
#include <string.h>
#include <linux/types.h>

#include "lock.h"
#include "collectors/futex_kind.h"
#include "util/util.h"

enum match { PREFIX, CONTAINS };

struct wait_rule {
	const char *name;	/* PREFIX: of the name without leading '_' and glibc's GI_ */
	enum match how;
	enum wait_kind kind;
};

static const struct wait_rule rules[] = {
	/* glibc (2.34+: libpthread merged into libc) and musl */
	{ "lll_lock_wait", PREFIX, WAIT_MUTEX },	/* and _private: libc's own locks */
	{ "lll_clocklock", PREFIX, WAIT_MUTEX },
	{ "pthread_mutex_", PREFIX, WAIT_MUTEX },	/* lock, timedlock, cond_lock, lock_full */
	{ "pthread_rwlock_", PREFIX, WAIT_RWLOCK },
	{ "pthread_cond_", PREFIX, WAIT_CONDVAR },
	{ "cnd_", PREFIX, WAIT_CONDVAR },
	{ "new_sem_wait", PREFIX, WAIT_SEMAPHORE },
	{ "old_sem_wait", PREFIX, WAIT_SEMAPHORE },
	{ "sem_wait", PREFIX, WAIT_SEMAPHORE },
	{ "sem_timedwait", PREFIX, WAIT_SEMAPHORE },
	{ "sem_clockwait", PREFIX, WAIT_SEMAPHORE },
	{ "pthread_barrier_wait", PREFIX, WAIT_BARRIER },
	{ "pthread_join", PREFIX, WAIT_JOIN },
	{ "pthread_timedjoin", PREFIX, WAIT_JOIN },
	{ "pthread_clockjoin", PREFIX, WAIT_JOIN },	/* and glibc's __pthread_clockjoin_ex */
	{ "thrd_join", PREFIX, WAIT_JOIN },
	/* Rust's std (futex-based since 1.62; the module path moved over releases) */
	{ "Mutex::lock_contended", CONTAINS, WAIT_MUTEX },
	{ "RwLock::read_contended", CONTAINS, WAIT_RWLOCK },
	{ "RwLock::write_contended", CONTAINS, WAIT_RWLOCK },
	{ "Condvar::wait", CONTAINS, WAIT_CONDVAR },
	/* Go's runtime: its own locks; goroutines park without a futex */
	{ "runtime.lock2", PREFIX, WAIT_MUTEX },
};

/* "__GI___lll_lock_wait" -> "lll_lock_wait", "___pthread_cond_wait" -> "pthread_cond_wait" */
static const char *bare_name(const char *name)
{
	while (*name == '_')
		name++;
	if (!strncmp(name, "GI_", 3))
		name += 3;
	while (*name == '_')
		name++;
	return name;
}

/*
 * Runtimes that build a lock out of another kind of wait.  CPython's
 * threading.Lock and RLock are POSIX semaphores: a semaphore wait that
 * PyThread_acquire_lock* made is a lock's.  Unless the threading module
 * asked for it to wait for an event: its outermost frame in threading.py,
 * of those that called the lock, says which (Semaphore.acquire waits in
 * Condition.wait: the outer one names it); without Python frames
 * (--no-python) it stays a lock.  And the GIL is a mutex and a condition
 * variable: a thread in take_gil waits for another to drop it, which is
 * contention whichever of the two it sleeps on.
 */
struct refine {
	enum wait_kind inner;	/* the kind the innermost known frame gave */
	const char *caller;	/* a prefix of a function within REFINE_REACH frames out */
	enum wait_kind kind;	/* what it is then */
	bool threading_py;	/* then threading.py's frames may say otherwise */
};

static const struct refine refines[] = {
	{ WAIT_SEMAPHORE, "PyThread_acquire_lock", WAIT_MUTEX, true },	/* and _timed */
	{ WAIT_CONDVAR, "take_gil", WAIT_MUTEX, false },
};

#define REFINE_REACH	8

struct py_wait {
	const char *func;	/* a threading.py function's qualified name */
	enum wait_kind kind;
};

static const struct py_wait py_waits[] = {
	{ "Condition.wait", WAIT_CONDVAR },	/* queue.Queue.get waits here too */
	{ "Condition.wait_for", WAIT_CONDVAR },
	{ "Event.wait", WAIT_CONDVAR },
	{ "Semaphore.acquire", WAIT_SEMAPHORE },
	{ "Barrier.wait", WAIT_BARRIER },
	{ "Thread.join", WAIT_JOIN },
	{ "Thread._wait_for_tstate_lock", WAIT_JOIN },
};

static bool in_threading_py(const struct location *l)
{
	const char *b = l->file ? strrchr(l->file, '/') : NULL;

	return l->kind == FRAME_PYTHON && l->file && !strcmp(b ? b + 1 : l->file, "threading.py");
}

/* kind, or what threading.py's outermost frame from frames[i] out makes of it */
static enum wait_kind threading_wait(const struct profile *p, const uint32_t *frames, uint32_t n,
				     uint32_t i, enum wait_kind kind)
{
	/* to the first Python frame, then out through threading.py's */
	while (i < n && p->locs[frames[i]].kind != FRAME_PYTHON)
		i++;
	for (; i < n && in_threading_py(&p->locs[frames[i]]); i++) {
		/* named "Condition.wait (threading.py:327)" */
		const char *name = p->locs[frames[i]].name;

		for (size_t r = 0; r < ARRAY_SIZE(py_waits); r++) {
			size_t len = strlen(py_waits[r].func);

			if (name && !strncmp(name, py_waits[r].func, len) &&
			    (!name[len] || name[len] == ' '))
				kind = py_waits[r].kind;
		}
	}
	return kind;
}

/* The kind of the wait at frames[at], which its own frame says is kind. */
static enum wait_kind refined(const struct profile *p, const uint32_t *frames, uint32_t n,
			      uint32_t at, enum wait_kind kind)
{
	for (size_t r = 0; r < ARRAY_SIZE(refines); r++) {
		const struct refine *f = &refines[r];

		if (f->inner != kind)
			continue;
		for (uint32_t i = at + 1; i < n && i <= at + REFINE_REACH; i++) {
			const struct location *l = &p->locs[frames[i]];

			if (l->kind != FRAME_USER || !l->name ||
			    strncmp(bare_name(l->name), f->caller, strlen(f->caller)))
				continue;
			return f->threading_py ? threading_wait(p, frames, n, i, f->kind) : f->kind;
		}
	}
	return kind;
}

static const char *const kind_names[WAIT_NKINDS] = {
	[WAIT_MUTEX] = "mutex",
	[WAIT_RWLOCK] = "rwlock",
	[WAIT_CONDVAR] = "condvar",
	[WAIT_SEMAPHORE] = "semaphore",
	[WAIT_BARRIER] = "barrier",
	[WAIT_JOIN] = "join",
	[WAIT_OTHER] = "other",
	[WAIT_KERNEL] = "kernel",
};

const char *wait_kind_name(enum wait_kind k)
{
	return k < WAIT_NKINDS ? kind_names[k] : "other";
}

int wait_kinds_parse(const char *arg, unsigned *mask)
{
	const char *s = arg;

	*mask = 0;
	while (*s) {
		size_t len = strcspn(s, ",");
		int k;

		if (len == 10 && !strncmp(s, "contention", len)) {
			*mask |= WAIT_CONTENTION;
		} else if (len == 3 && !strncmp(s, "all", len)) {
			*mask |= WAIT_ALL;
		} else {
			for (k = 0; k < WAIT_NKINDS; k++)
				if (strlen(kind_names[k]) == len && !strncmp(s, kind_names[k], len))
					break;
			if (k == WAIT_NKINDS) {
				pr_err("invalid --kind '%.*s': choose from contention, all, mutex, rwlock, "
				       "condvar, semaphore, barrier, join, other, kernel", (int)len, s);
				return -EINVAL;
			}
			*mask |= WAIT_BIT(k);
		}
		s += len;
		if (*s == ',')
			s++;
	}
	if (!*mask) {
		pr_err("invalid --kind '%s': give at least one kind, e.g. --kind all", arg);
		return -EINVAL;
	}
	return 0;
}

static bool rule_matches(const struct wait_rule *r, const char *name)
{
	if (r->how == CONTAINS)
		return strstr(name, r->name) != NULL;
	return !strncmp(bare_name(name), r->name, strlen(r->name));
}

enum wait_kind futex_wait_kind(const struct profile *p, const uint32_t *frames, uint32_t n,
			       uint32_t flags)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct location *l = &p->locs[frames[i]];

		if (l->kind == FRAME_GROUP || l->kind == FRAME_KERNEL || l->kind == FRAME_PYTHON ||
		    !l->name)
			continue;
		for (size_t r = 0; r < ARRAY_SIZE(rules); r++)
			if (rule_matches(&rules[r], l->name))
				return refined(p, frames, n, i, rules[r].kind);
	}
	/* no frame known (a stripped static binary, a lost stack): the call itself */
	if (flags & (LOCK_F_PI | LOCK_F_LLL))
		return WAIT_MUTEX;
	if (flags & LOCK_F_REQUEUE)
		return WAIT_CONDVAR;
	return WAIT_OTHER;
}
