// SPDX-License-Identifier: GPL-2.0
/*
 * The unwinder's processes (unwind_priv.h): each one's unw_procs entry,
 * made from its mappings and the tables of its binaries (unwind_files.c),
 * written once per change, deleted at its exit, and left to the kernel
 * where its BPF programs make entries themselves.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/types.h>

#include "runtime/runtime.h"
#include "runtime/unwind.h"
#include "runtime/unwind_priv.h"
#include "symbol/proc_maps.h"
#include "symbol/unwind_cache.h"
#include "util/util.h"

struct unwinder *unwinder_new(uint32_t max_procs)
{
	LIBBPF_OPTS(bpf_map_create_opts, rows_opts);
	LIBBPF_OPTS(bpf_map_create_opts, procs_opts, .map_flags = BPF_F_NO_PREALLOC);
	int tmpl_fd, rows_fd = -1, procs_fd = -1, err;
	struct unwinder *u;

	/* the template only gives the tables' type, sizes and flags */
	tmpl_fd = unw_table_create(1);
	if (tmpl_fd >= 0) {
		rows_opts.inner_map_fd = tmpl_fd;
		rows_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "unw_rows", sizeof(__u32),
					 sizeof(__u32), UNWIND_MAX_TABLES, &rows_opts);
	}
	if (rows_fd >= 0)
		procs_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "unw_procs", sizeof(__u32),
					  sizeof(struct unwind_proc), max_procs, &procs_opts);
	if (procs_fd < 0) {
		err = errno;
		if (rows_fd >= 0)
			close(rows_fd);
		if (tmpl_fd >= 0)
			close(tmpl_fd);
		errno = err;
		return NULL;
	}
	u = xcalloc(1, sizeof(*u));
	u->rows_fd = rows_fd;
	u->procs_fd = procs_fd;
	u->tmpl_fd = tmpl_fd;
	u->files_fd = -1;
	u->self = getpid();
	u->cache = unwind_cache_open();
	/* the array of slots itself, made whole */
	u->st.bytes = (uint64_t)UNWIND_MAX_TABLES * sizeof(void *);
	/* the first shared slot now, while nothing waits for a table */
	unw_shared_slot_new(u);
	return u;
}

void unwinder_free(struct unwinder *u)
{
	if (!u)
		return;
	if (u->shared)
		unmap_shared(u->shared, unw_table_bytes(UNWIND_SHARED_ROWS));
	close(u->rows_fd);
	close(u->tmpl_fd);
	close(u->procs_fd);
	if (u->files_fd >= 0)
		close(u->files_fd);
	unwind_cache_close(u->cache);
	for (size_t i = 0; i < u->nfiles; i++)
		free(u->files[i].segs);
	free(u->vdso.segs);
	free(u->files);
	idxmap_free(&u->file_index);
	free(u->pids);
	idxmap_free(&u->pid_index);
	free(u->dirty);
	free(u->fresh);
	free(u->early);
	free(u->wpids);
	free(u->whash);
	free(u->exited);
	idxmap_free(&u->w_index);
	free(u);
}

void unwinder_kernel_entries(struct unwinder *u, bool at_lock)
{
	/* the kernel makes new processes' entries: none written early from records */
	if (u) {
		u->kernel_entries = true;
		u->at_lock = at_lock;
	}
}

static bool pid_eq(const void *ctx, uint32_t idx)
{
	const void *const *c = ctx;

	return ((const struct unwinder *)c[0])->pids[idx] == *(const uint32_t *)c[1];
}

/* pid's index in pids, or -1 */
static int64_t pid_slot(const struct unwinder *u, uint32_t pid)
{
	const void *ctx[2] = { u, &pid };

	return idxmap_find(&u->pid_index, hash_u64(pid), pid_eq, ctx);
}

static bool known_pid(const struct unwinder *u, uint32_t pid)
{
	return pid_slot(u, pid) >= 0;
}

static bool w_eq(const void *ctx, uint32_t idx)
{
	const void *const *c = ctx;

	return ((const struct unwinder *)c[0])->wpids[idx] == *(const uint32_t *)c[1];
}

/* pid's index in wpids, or -1 */
static int64_t w_slot(const struct unwinder *u, uint32_t pid)
{
	const void *ctx[2] = { u, &pid };

	return idxmap_find(&u->w_index, hash_u64(pid), w_eq, ctx);
}

/* pid's slot in whash; made (holding 0) when make */
static uint64_t *written(struct unwinder *u, uint32_t pid, bool make)
{
	int64_t i = w_slot(u, pid);

	if (i >= 0)
		return &u->whash[i];
	if (!make)
		return NULL;
	if (u->nw == u->w_cap) {
		u->w_cap = u->w_cap ? 2 * u->w_cap : 256;
		u->wpids = xrealloc(u->wpids, u->w_cap * sizeof(*u->wpids));
		u->whash = xrealloc(u->whash, u->w_cap * sizeof(*u->whash));
	}
	u->wpids[u->nw] = pid;
	u->whash[u->nw] = 0;
	idxmap_insert(&u->w_index, hash_u64(pid), u->nw);
	return &u->whash[u->nw++];
}

/* unw_procs no longer holds what we wrote for pid (deleted, here or by BPF at exec) */
static void forget(struct unwinder *u, uint32_t pid)
{
	uint64_t *h = written(u, pid, false);

	if (h)
		*h = 0;
}

static int procs_delete(struct unwinder *u, uint32_t pid)
{
	forget(u, pid);
	return bpf_map_delete_elem(u->procs_fd, &pid);
}

/* The used part of up, hashed: never 0 */
static uint64_t proc_hash(const struct unwind_proc *up)
{
	const uint64_t *w = (const uint64_t *)up->maps;
	size_t nw = up->nr * sizeof(up->maps[0]) / sizeof(*w);
	uint64_t h = hash_u64(up->nr + 1);

	for (size_t i = 0; i < nw; i++)
		h = hash_u64(h ^ w[i]);
	return h ? h : 1;
}

/*
 * Deleted in batches of this many: under churn a delete at each exit was
 * a system call per process, as many as the writes.
 */
#define EXITED_BATCH 256

/*
 * Keep the elements of v[0 .. *n) that are not 0 (and their whash, when
 * h), indexing them again in m: the slots of exited processes leave.
 */
static void compact(uint32_t *v, uint64_t *h, size_t *n, struct idxmap *m)
{
	size_t k = 0;

	idxmap_free(m);
	for (size_t i = 0; i < *n; i++) {
		if (!v[i])
			continue;
		v[k] = v[i];
		if (h)
			h[k] = h[i];
		idxmap_insert(m, hash_u64(v[k]), (uint32_t)k);
		k++;
	}
	*n = k;
}

/*
 * Under churn nearly every process gets a slot in pids and wpids, and
 * exits: made again without the exited ones once those are half of a
 * list (and a thousand), so what stays is about the live processes, and
 * the cost is a pass per as many exits as the list then holds.
 */
#define COMPACT_MIN 1024

static void compact_exited(struct unwinder *u)
{
	size_t k = 0;

	if (u->pids_gone >= COMPACT_MIN && 2 * u->pids_gone >= u->npids) {
		compact(u->pids, NULL, &u->npids, &u->pid_index);
		u->pids_gone = 0;
	}
	if (u->w_gone < COMPACT_MIN || 2 * u->w_gone < u->nw)
		return;
	compact(u->wpids, u->whash, &u->nw, &u->w_index);
	u->w_gone = 0;
	/* early writes whose entries went with their processes */
	for (size_t i = 0; i < u->nearly; i++) {
		uint64_t *h = written(u, u->early[i], false);

		if (h && *h)
			u->early[k++] = u->early[i];
	}
	u->nearly = k;
}

size_t unwinder_flush_exited(struct unwinder *u)
{
	size_t n;

	if (!u)
		return 0;
	compact_exited(u);
	if (!u->nexited)
		return 0;
	n = map_delete_keys(u->procs_fd, u->exited, sizeof(*u->exited), u->nexited);
	u->st.exit_deletes += n;
	u->nexited = 0;
	return n;
}

void unwinder_exited(struct unwinder *u, uint32_t pid)
{
	int64_t i;
	uint64_t h;

	if (!u || !pid)
		return;
	/* its slots become gaps (pid 0) that find nothing: a new process
	 * of the same pid starts afresh */
	if ((i = pid_slot(u, pid)) >= 0) {
		u->pids[i] = 0;
		u->pids_gone++;
	}
	if ((i = w_slot(u, pid)) < 0)
		return;
	h = u->whash[i];
	u->wpids[i] = 0;
	u->whash[i] = 0;
	u->w_gone++;
	/* 0: nothing written, or not known since records were lost (a
	 * full map prunes those: prune_exited) */
	if (!h)
		return;
	GROW(u->exited, u->exited_cap, u->nexited + 1);
	u->exited[u->nexited++] = pid;
	if (u->nexited >= EXITED_BATCH)
		unwinder_flush_exited(u);
}

/* Write up as pid's entry unless it holds that already: 0 or -errno */
static int procs_write(struct unwinder *u, uint32_t pid, const struct unwind_proc *up)
{
	uint64_t h = proc_hash(up), *w = written(u, pid, true);

	if (*w == h) {
		u->st.unchanged++;
		return 0;
	}
	*w = 0;
	/* a pid reused before its old entry went: the new one stays */
	for (size_t i = 0; i < u->nexited; i++)
		if (u->exited[i] == pid)
			u->exited[i--] = u->exited[--u->nexited];
	if (bpf_map_update_elem(u->procs_fd, &pid, up, BPF_ANY))
		return -errno;
	u->st.writes++;
	/* (written() may have moved whash: look again) */
	*written(u, pid, false) = h;
	return 0;
}

void unwinder_forget(struct unwinder *u, uint32_t pid)
{
	if (u)
		forget(u, pid);
}

void unwinder_forget_all(struct unwinder *u)
{
	if (u)
		memset(u->whash, 0, u->nw * sizeof(*u->whash));
}

/*
 * Make room in a full unw_procs: the entries of processes that have
 * exited.  BPF drops an entry at exec, not at exit (that would be one more
 * program on every exit on the machine), so a long system-wide run fills
 * the map with the dead.  Returns how many went.
 */
static size_t prune_exited(struct unwinder *u)
{
	uint32_t key, next, *dead = NULL;
	size_t n, ndead = 0, cap = 0;
	void *prev = NULL;

	/* those whose exit records came, then any the records missed */
	n = unwinder_flush_exited(u);
	while (!bpf_map_get_next_key(u->procs_fd, prev, &next)) {
		if (kill((pid_t)next, 0) && errno == ESRCH) {
			GROW(dead, cap, ndead + 1);
			dead[ndead++] = next;
		}
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < ndead; i++)
		procs_delete(u, dead[i]);
	free(dead);
	return n + ndead;
}

/*
 * Make room for a sampled process: the entries written early from mmap
 * records for processes that were never announced (most never are).
 * Returns how many went.
 */
static size_t drop_early(struct unwinder *u)
{
	size_t n = 0;

	for (size_t i = 0; i < u->nearly; i++)
		if (!known_pid(u, u->early[i]) && !procs_delete(u, u->early[i]))
			n++;
	u->nearly = 0;
	return n;
}

/* pid's maps were read for its tables (unwinder_get_stats' procs) */
static void note_known(struct unwinder *u, uint32_t pid)
{
	if (known_pid(u, pid))
		return;
	GROW(u->pids, u->pids_cap, u->npids + 1);
	u->pids[u->npids] = pid;
	idxmap_insert(&u->pid_index, hash_u64(pid), u->npids++);
	u->st.procs++;
}

/* Whether unw_procs holds an entry the kernel made for pid that lacks no table. */
static bool kernel_entry_whole(struct unwinder *u, uint32_t pid)
{
	struct unwind_proc *have = xmalloc(sizeof(*have));
	bool whole = !bpf_map_lookup_elem(u->procs_fd, &pid, have) && have->made &&
		     !(have->made & UNWIND_MADE_LACKING);

	free(have);
	return whole;
}

/*
 * Write pid's mappings with tables into unw_procs.  make: compile the
 * tables of binaries not seen yet; else a mapping of one (a binary no
 * sampled process ran) leaves everything as it was: -ENOENT.
 */
static int write_proc(struct unwinder *u, uint32_t pid, const struct proc_map *maps, size_t n,
		      bool make)
{
	struct unwind_proc *up;
	int err = 0;

	/* the kernel's, made with every table: nothing to make or write */
	if (make && u->at_lock && kernel_entry_whole(u, pid)) {
		note_known(u, pid);
		return 0;
	}
	/* 2 KiB: too big for the stack of a function that calls libdw */
	up = xcalloc(1, sizeof(*up));
	for (size_t i = 0; i < n && up->nr < UNWIND_MAX_MAPS; i++) {
		struct unwind_map *um = &up->maps[up->nr];
		const struct unw_file *f;
		uint64_t bias;

		if (maps[i].kind == MAP_VDSO) {
			f = unw_vdso_file(u);
			/* linked at its ELF addresses from offset 0 */
			if (!f->row_count ||
			    !elf_segs_map_bias(f->segs, f->nsegs, maps[i].start, 0, &bias))
				continue;
			goto add;
		}
		if (maps[i].kind != MAP_FILE)
			continue;
		f = unw_file_for_map(u, pid, &maps[i], make);
		if (!f) {
			free(up);
			return -ENOENT;
		}
		if (!f->row_count)
			continue;
		if (!elf_segs_map_bias(f->segs, f->nsegs, maps[i].start, maps[i].offset, &bias))
			continue;
add:
		um->bias = bias;
		um->start = maps[i].start;
		um->end = maps[i].end;
		um->table = f->table;
		um->row_count = f->row_count;
		up->nr++;	/* maps come sorted by start */
	}
	/* from records only: it stays "new", so its next mapping comes the
	 * same way, not through a read of /proc */
	if (make)
		note_known(u, pid);
	/*
	 * The kernel makes this process's entry, again whenever it lacks a
	 * table (bpf/unwind_make.bpf.h): the tables are what it needed, now
	 * in unw_files.  An entry we wrote (a -p target's) we keep.  Where
	 * it makes them at the mmap lock, no sample remakes a lacking one:
	 * ours, now whole, stands in until the process's next change of
	 * mappings has the kernel make it again.
	 */
	if (u->kernel_entries && make) {
		uint64_t *h = written(u, pid, false);

		if (u->at_lock) {
			up->made = UNWIND_MADE_REMAKE;
			if (h)
				*h = 0;	/* the kernel may have replaced ours since */
		} else if (!h || !*h) {
			free(up);
			return 0;
		}
	}
	if (!up->nr) {
		procs_delete(u, pid);
	} else if (!make) {
		/* early tables never crowd out those of sampled processes */
		if ((err = procs_write(u, pid, up)) == 0) {
			GROW(u->early, u->early_cap, u->nearly + 1);
			u->early[u->nearly++] = pid;
		}
	} else if ((err = procs_write(u, pid, up)) &&
		   (err != -E2BIG || !(prune_exited(u) + drop_early(u)) ||
		    (err = procs_write(u, pid, up)))) {
		u->st.procs_full++;
	}
	free(up);
	return err;
}

int unwinder_add(struct unwinder *u, uint32_t pid)
{
	struct proc_map *maps;
	size_t n;
	int err;

	if (pid == u->self || pid == 0)
		return 0;
	err = proc_maps_read(pid, &maps, &n);
	if (err)
		return err;
	err = unwinder_add_read(u, pid, maps, n);
	proc_maps_free(maps, n);
	return err;
}

int unwinder_add_read(struct unwinder *u, uint32_t pid, const struct proc_map *maps, size_t n)
{
	if (!u || pid == u->self || pid == 0)
		return 0;
	u->st.reads++;
	return write_proc(u, pid, maps, n, true);
}

/* pid's tables from maps known already; make: as unwinder_add does */
static int from_maps(struct unwinder *u, uint32_t pid, const struct proc_map *maps, size_t n,
		     bool make)
{
	int err;

	if (!u || pid == u->self || pid == 0 || !n)
		return 0;
	err = write_proc(u, pid, maps, n, make);
	if (!err && !make)
		u->st.early++;
	return err;
}

int unwinder_add_maps(struct unwinder *u, uint32_t pid, const struct proc_map *maps, size_t n)
{
	return from_maps(u, pid, maps, n, true);
}

int unwinder_set_maps(struct unwinder *u, uint32_t pid, const struct proc_map *maps, size_t n)
{
	return from_maps(u, pid, maps, n, false);
}

void unwinder_mark_new(struct unwinder *u, uint32_t pid)
{
	if (!u || u->kernel_entries || known_pid(u, pid))
		return;
	pids_add_once(&u->fresh, &u->nfresh, &u->fresh_cap, pid);
}

/* Hand a list of pids over and empty it (its storage stays the unwinder's). */
static size_t take_pids(uint32_t *v, size_t *n, uint32_t **pids)
{
	size_t k = *n;

	*pids = v;
	*n = 0;
	return k;
}

size_t unwinder_take_new(struct unwinder *u, uint32_t **pids)
{
	*pids = NULL;
	return u ? take_pids(u->fresh, &u->nfresh, pids) : 0;
}

void unwinder_mark(struct unwinder *u, uint32_t pid)
{
	if (!u || !known_pid(u, pid))
		return;
	pids_add_once(&u->dirty, &u->ndirty, &u->dirty_cap, pid);
}

size_t unwinder_take_dirty(struct unwinder *u, uint32_t **pids)
{
	*pids = NULL;
	return u ? take_pids(u->dirty, &u->ndirty, pids) : 0;
}

void unwinder_set_until(struct unwinder *u, uint64_t until_ns)
{
	if (u)
		u->until = until_ns;
}

void unwinder_time(struct unwinder *u, bool on)
{
	if (u)
		u->timed = on;
}

int unwinder_rows_fd(const struct unwinder *u)
{
	return u->rows_fd;
}

int unwinder_procs_fd(const struct unwinder *u)
{
	return u->procs_fd;
}

void unwinder_get_stats(const struct unwinder *u, struct unwinder_stats *st)
{
	*st = u->st;
	st->slots = u->npids + u->nw;
}
