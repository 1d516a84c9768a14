// SPDX-License-Identifier: GPL-2.0
/*
 * profiler lock's names for locks: a futex by the variable or the kind of
 * memory it lies in, named while its process lived (its maps and symbols
 * may be gone at the end); a kernel lock by its data symbol in
 * /proc/kallsyms; each with its type as perf lock names it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <linux/types.h>

#include "lock.h"
#include "collectors/lock_names.h"
#include "symbol/elf_objects.h"
#include "symbol/kallsyms_data.h"
#include "util/idxmap.h"
#include "util/util.h"

struct futex_name {
	uint32_t pid;
	uint64_t addr;
	char *name;
};

struct lock_names {
	struct data_namer *dn;
	struct futex_name *names;
	size_t n, cap;
	struct idxmap index;
	struct ksyms_data *kdata;	/* loaded at the first kernel lock */
};

struct lock_names *lock_names_new(void)
{
	struct lock_names *ln = xcalloc(1, sizeof(*ln));

	ln->dn = data_namer_new();
	return ln;
}

struct name_key {
	const struct lock_names *ln;
	uint32_t pid;
	uint64_t addr;
};

static bool name_eq(const void *ctx, uint32_t idx)
{
	const struct name_key *k = ctx;

	return k->ln->names[idx].pid == k->pid && k->ln->names[idx].addr == k->addr;
}

static uint64_t name_hash(uint32_t pid, uint64_t addr)
{
	return hash_u64(addr ^ ((uint64_t)pid << 48) ^ pid);
}

const char *lock_names_futex(const struct lock_names *ln, uint32_t pid, uint64_t addr)
{
	struct name_key k = { ln, pid, addr };
	int64_t i = idxmap_find(&ln->index, name_hash(pid, addr), name_eq, &k);

	return i >= 0 ? ln->names[i].name : NULL;
}

void lock_names_remember(struct lock_names *ln, uint32_t pid, uint64_t addr)
{
	char *name;

	if (lock_names_futex(ln, pid, addr))
		return;
	name = data_namer_user(ln->dn, pid, addr);
	if (!name)
		return;		/* gone already: named by address at the end */
	GROW(ln->names, ln->cap, ln->n + 1);
	ln->names[ln->n] = (struct futex_name){ pid, addr, name };
	idxmap_insert(&ln->index, name_hash(pid, addr), ln->n++);
}

/* The kind of lock, from the contention_begin flags, as perf lock names it. */
static const char *lock_type(uint32_t f)
{
	if (f & LOCK_F_FUTEX)
		return f & LOCK_F_PI ? "futex-pi" : "futex";
	switch (f & LCB_F_MASK) {
	case LCB_F_SPIN:			return "spinlock";
	case LCB_F_SPIN | LCB_F_READ:		return "rwlock:R";
	case LCB_F_SPIN | LCB_F_WRITE:		return "rwlock:W";
	case LCB_F_READ:			return "rwsem:R";
	case LCB_F_WRITE:			return "rwsem:W";
	case LCB_F_RT:				return "rtmutex";
	case LCB_F_RT | LCB_F_READ:		return "rwlock-rt:R";
	case LCB_F_RT | LCB_F_WRITE:		return "rwlock-rt:W";
	case LCB_F_PERCPU | LCB_F_READ:		return "percpu-rwsem:R";
	case LCB_F_PERCPU | LCB_F_WRITE:	return "percpu-rwsem:W";
	case LCB_F_MUTEX:
	case LCB_F_MUTEX | LCB_F_SPIN:		return "mutex";
	}
	return "lock";
}

void lock_names_label(struct lock_names *ln, const struct lock_key *k, enum wait_kind kind,
		      char *buf, size_t size)
{
	const char *name = NULL;
	char nb[256], type[64];

	if (k->flags & LOCK_F_FUTEX) {
		/* "futex mutex", "futex condvar", "futex-pi mutex": every row says its kind */
		snprintf(type, sizeof(type), "%s %s", lock_type(k->flags), wait_kind_name(kind));
		name = lock_names_futex(ln, k->pid, k->addr);
		/* a name of a kind of memory, not a variable: keep the address apart */
		if (name && name[0] == '[')
			snprintf(buf, size, "lock:%s 0x%llx (%s)", name, (unsigned long long)k->addr, type);
		else if (name)
			snprintf(buf, size, "lock:%s (%s)", name, type);
		else
			snprintf(buf, size, "lock:0x%llx (%s)", (unsigned long long)k->addr, type);
		return;
	} else if (k->flags & LOCK_F_MMAP) {
		name = "mmap_lock";
	} else if (k->flags & LOCK_F_SIGHAND) {
		name = "siglock";
	} else {
		if (!ln->kdata)
			ln->kdata = ksyms_data_load("/proc/kallsyms");
		if (ln->kdata)
			name = ksyms_data_name(ln->kdata, k->addr, 4096, nb, sizeof(nb));
	}
	if (name)
		snprintf(buf, size, "lock:%s (%s)", name, lock_type(k->flags));
	else
		snprintf(buf, size, "lock:0x%llx (%s)", (unsigned long long)k->addr,
			 lock_type(k->flags));
}

void lock_names_free(struct lock_names *ln)
{
	if (!ln)
		return;
	for (size_t i = 0; i < ln->n; i++)
		free(ln->names[i].name);
	free(ln->names);
	idxmap_free(&ln->index);
	data_namer_free(ln->dn);
	ksyms_data_free(ln->kdata);
	free(ln);
}
