// SPDX-License-Identifier: GPL-2.0
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <linux/memfd.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/types.h>

#include "runtime/runtime.h"
#include "runtime/unwind.h"
#include "symbol/elf_segs.h"
#include "symbol/proc_maps.h"
#include "symbol/unwind_cache.h"
#include "symbol/unwind_table.h"
#include "util/idxmap.h"
#include "util/file_limits.h"
#include "util/util.h"

/* A binary, by (device, inode): its table's slot in unw_rows, once. */
struct unw_file {
	uint64_t dev, ino;
	struct elf_seg *segs;		/* for the load bias of each mapping */
	size_t nsegs;
	uint32_t table, row_count;	/* row_count 0: no table */
};

struct unwinder {
	int rows_fd, procs_fd;		/* the array of tables, the processes */
	int tmpl_fd;			/* the inner map the array was made with */
	uint32_t ntables;		/* slots of unw_rows taken */
	/* the slot small tables fill now (UNWIND_SHARED_ROWS rows), mapped */
	struct unwind_row *shared;
	uint32_t shared_slot, shared_used;

	struct unw_file *files;
	size_t nfiles, files_cap;
	struct idxmap file_index;

	uint32_t *pids;			/* processes with tables */
	size_t npids, pids_cap;
	struct idxmap pid_index;
	uint32_t *dirty;		/* of those, the ones to remake */
	size_t ndirty, dirty_cap;
	uint32_t *fresh;		/* processes without tables that mapped code */
	size_t nfresh, fresh_cap;
	uint32_t *early;		/* tables written for them from their records */
	size_t nearly, early_cap;
	/* what unw_procs holds for each pid written, as a hash (0: unknown),
	 * so the same mappings are not written twice (early, then announced) */
	uint32_t *wpids;
	uint64_t *whash;
	size_t nw, w_cap;
	struct idxmap w_index;
	uint32_t *exited;		/* entries to delete: their processes exited */
	size_t nexited, exited_cap;
	/* slots of pids and wpids whose processes exited (pid 0 there): the
	 * arrays are made again without them once they are half (compact) */
	size_t pids_gone, w_gone;

	int files_fd;			/* unw_files once shared (unwinder_share_files), or -1 */

	struct unwind_cache *cache;	/* tables kept on disk by build-id, or NULL */
	struct unw_file vdso;		/* the kernel's vDSO, the same in every process */
	bool vdso_tried;

	bool kernel_entries;		/* new processes' entries made in the kernel */
	bool at_lock;			/* ... as they map code (unwinder_kernel_entries) */
	uint32_t self;
	uint64_t until;			/* no table made after (the run's -d), 0: none */
	bool timed;			/* st.ns counted (--stats) */
	struct unwinder_stats st;
};

/* The flags of every table: mmap'ed to be filled, each its own size */
#define TABLE_FLAGS	(BPF_F_MMAPABLE | BPF_F_INNER_MAP)

static int table_create(uint32_t rows)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = TABLE_FLAGS);

	return bpf_map_create(BPF_MAP_TYPE_ARRAY, "unw_table", sizeof(__u32),
			      sizeof(struct unwind_row), rows, &opts);
}

/* The bytes an array of rows takes in the kernel: whole pages (mmap'able) */
static uint64_t table_bytes(uint32_t rows)
{
	return ((uint64_t)rows * sizeof(struct unwind_row) + 4095) & ~4095ULL;
}

static int64_t shared_slot_new(struct unwinder *u);

struct unwinder *unwinder_new(uint32_t max_procs)
{
	LIBBPF_OPTS(bpf_map_create_opts, rows_opts);
	LIBBPF_OPTS(bpf_map_create_opts, procs_opts, .map_flags = BPF_F_NO_PREALLOC);
	int tmpl_fd, rows_fd = -1, procs_fd = -1, err;
	struct unwinder *u;

	/* the template only gives the tables' type, sizes and flags */
	tmpl_fd = table_create(1);
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
	shared_slot_new(u);
	return u;
}

void unwinder_free(struct unwinder *u)
{
	if (!u)
		return;
	if (u->shared)
		unmap_shared(u->shared, table_bytes(UNWIND_SHARED_ROWS));
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

struct file_key {
	const struct unwinder *u;
	uint64_t dev, ino;
};

static bool file_eq(const void *ctx, uint32_t idx)
{
	const struct file_key *k = ctx;

	return k->u->files[idx].dev == k->dev && k->u->files[idx].ino == k->ino;
}

static void take_rows(struct unwinder *u, struct unw_file *f, struct unwind_table *t,
		      const char *path);
static void file_publish(struct unwinder *u, const struct unw_file *f);

/* The binary behind m, its rows copied into the array on first sight;
 * NULL for one not seen yet when !make. */
static struct unw_file *file_for_map(struct unwinder *u, uint32_t pid, const struct proc_map *m,
				     bool make)
{
	struct file_key k = { u, m->dev, m->ino };
	uint64_t h = hash_u64(m->dev * 0x9e3779b97f4a7c15ULL ^ m->ino);
	int64_t i = idxmap_find(&u->file_index, h, file_eq, &k);
	struct unwind_table *t = NULL;
	struct unw_file *f;
	bool hit = false;
	uint64_t t0;
	int fd;

	if (i >= 0)
		return &u->files[i];
	/* past the run's end: no new table, however many binaries wait */
	if (!make || (u->until && now_ns() >= u->until))
		return NULL;
	GROW(u->files, u->files_cap, u->nfiles + 1);
	f = &u->files[u->nfiles];
	memset(f, 0, sizeof(*f));
	f->dev = m->dev;
	f->ino = m->ino;
	idxmap_insert(&u->file_index, h, u->nfiles++);

	t0 = cpu_ns_if(u->timed);
	fd = proc_map_open(pid, m);
	if (fd >= 0) {
		uint64_t now = now_ns(), max_ms = LIMIT_UNWIND_MS;

		/* a big binary's table is cut where the run ends */
		if (u->until)
			max_ms = MIN(max_ms, u->until > now ? (u->until - now) / 1000000 + 1 : 0);
		t = unwind_cache_table(u->cache, fd, max_ms, &hit);
		close(fd);
	}
	u->st.cached += hit;
	if (t)
		pr_debug("unwind table for %s: %zu rows, %s%s", m->path, t->n,
			 hit ? "from the cache" : "made",
			 t->resume_pc ? ", cut by the clock (made further next run)" : "");
	if (!t)
		pr_debug("no unwind table for %s: %s", m->path, strerror(errno));
	else if (t->too_slow && u->until && now_ns() >= u->until)
		unwind_table_free(t);	/* cut by the run's end, not by its limit: no use now */
	else
		take_rows(u, f, t, m->path);
	if (!f->row_count)
		file_publish(u, f);	/* none to be had */
	u->st.ns += cpu_ns_if(u->timed) - t0;
	return f;
}

/*
 * The vDSO's table, from our own copy of it: clock_gettime with a CPU-time
 * clock enters the kernel from there, and without its rows such a sample
 * would be walked by frame pointers from the start (and stop in libc).
 */
static const struct unw_file *vdso_file(struct unwinder *u)
{
	const unsigned char *img = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	struct unwind_table *t = NULL;
	const Elf64_Ehdr *eh;
	size_t size;
	int fd;

	if (u->vdso_tried)
		return &u->vdso;
	u->vdso_tried = true;
	if (!img || memcmp(img, ELFMAG, SELFMAG) || img[EI_CLASS] != ELFCLASS64)
		return &u->vdso;
	eh = (const Elf64_Ehdr *)img;
	size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	/* libdw reads files: give it the image as one */
	/* (the syscall: sys/mman.h's MAP_FILE would clash with ours) */
	fd = syscall(SYS_memfd_create, "vdso", MFD_CLOEXEC);
	if (fd >= 0 && write(fd, img, size) == (ssize_t)size)
		t = unwind_table_from_fd(fd);
	if (fd >= 0)
		close(fd);
	if (t)
		take_rows(u, &u->vdso, t, "[vdso]");
	else
		pr_debug("no unwind table for the vDSO: %s", strerror(errno));
	return &u->vdso;
}

/*
 * A new slot of unw_rows holding an array of n rows, mapped into *mem
 * when mem is given, else filled with rows: the slot, or -errno.  The
 * slot holds the array; our descriptor goes.
 */
static int64_t slot_add(struct unwinder *u, const struct unwind_row *rows, size_t n, void **mem)
{
	size_t len = table_bytes(n);
	uint32_t slot = u->ntables;
	void *p;
	int fd, err = 0;

	if (slot >= UNWIND_MAX_TABLES)
		return -ENOSPC;
	fd = table_create(n);
	if (fd < 0)
		return -errno;
	p = map_shared_rw(fd, len);
	if (!p) {
		err = -errno;
		goto out;
	}
	if (rows)
		memcpy(p, rows, n * sizeof(*rows));
	/* the array's update waits for a grace period: the slow part */
	if (bpf_map_update_elem(u->rows_fd, &slot, &fd, BPF_ANY)) {
		err = -errno;
		unmap_shared(p, len);
		goto out;
	}
	if (mem)
		*mem = p;
	else
		unmap_shared(p, len);
	u->ntables++;
	u->st.bytes += len;
out:
	close(fd);
	return err ? (int64_t)err : (int64_t)slot;
}

/* A new shared slot to fill, the one before left as it is: its slot, or -errno */
static int64_t shared_slot_new(struct unwinder *u)
{
	void *mem;
	int64_t slot = slot_add(u, NULL, UNWIND_SHARED_ROWS, &mem);

	if (slot < 0)
		return slot;
	if (u->shared)
		unmap_shared(u->shared, table_bytes(UNWIND_SHARED_ROWS));
	u->shared = mem;
	u->shared_slot = (uint32_t)slot;
	u->shared_used = 0;
	return slot;
}

/*
 * A table of n rows: UNWIND_TABLE(slot, first row), or -errno.  One that
 * takes up to half a shared slot goes into the one being filled, or a
 * new one where the rest is too small (that rest stays unused); bigger
 * ones get a slot each.  Rows copied into a slot the kernel has already
 * are seen by the BPF programs once the entry that names them is
 * written, a system call later.
 */
static int64_t table_add(struct unwinder *u, const struct unwind_row *rows, size_t n)
{
	int64_t slot;

	if (!n)
		return 0;	/* no row: never looked up */
	if (n > UNWIND_SHARED_ROWS / 2)
		return slot_add(u, rows, n, NULL);
	if ((!u->shared || u->shared_used + n > UNWIND_SHARED_ROWS) &&
	    (slot = shared_slot_new(u)) < 0)
		return slot;
	memcpy(u->shared + u->shared_used, rows, n * sizeof(*rows));
	slot = UNWIND_TABLE(u->shared_slot, u->shared_used);
	u->shared_used += n;
	return slot;
}

/* Give f a table of t's rows, if one can be made; frees t. */
static void take_rows(struct unwinder *u, struct unw_file *f, struct unwind_table *t,
		      const char *path)
{
	int64_t slot = -ERANGE;

	if (t->too_many_rows)
		pr_warn("%s: more than the limit of %u unwind rows for one binary: "
			"the code past them is unwound by frame pointers", path, LIMIT_UNWIND_ROWS);
	if (t->too_slow)
		pr_warn("%s: its .eh_frame took more than the limit of %u ms: "
			"the code past the rows made is unwound by frame pointers", path,
			LIMIT_UNWIND_MS);
	if (t->n < (1U << UNWIND_ROW_SEARCH))
		slot = table_add(u, t->rows, t->n);
	if (slot < 0) {
		/* counted, and said at the end: its frames fall back to frame pointers */
		u->st.full++;
		pr_warn("%s: no unwind table for its %zu rows (%s): its code is unwound by "
			"frame pointers", path, t->n,
			slot == -ENOSPC ? "every table slot is taken" : strerror((int)-slot));
	} else {
		f->table = slot;
		f->row_count = t->n;
		u->st.files++;
		u->st.rows += t->n;
		/* the segments stay, for the bias of later mappings; the rows are in the map */
		f->segs = t->segs;
		f->nsegs = t->nsegs;
		t->segs = NULL;
		file_publish(u, f);
	}
	unwind_table_free(t);
}

/*
 * f's table in unw_files, under its inode as the kernel names it, for
 * entries made in the kernel (bpf/unwind_make.bpf.h); the vDSO's (no
 * file) under 0.  Its executable segments give each mapping's bias.
 */
static void file_publish(struct unwinder *u, const struct unw_file *f)
{
	struct unwind_file_key key = { .ino = f->ino };
	struct unwind_file v = { .table = f->table, .row_count = f->row_count };

	if (u->files_fd < 0)
		return;
	/* a binary without a table is published too (no rows): the kernel
	 * then knows not to wait for one (a libffi trampoline file, a
	 * binary without .eh_frame) */
	/* ours is MAJOR << 32 | MINOR (proc_maps.c), the kernel's dev_t MAJOR << 20 | MINOR */
	key.dev = (uint32_t)((f->dev >> 32) << 20 | (f->dev & 0xfffff));
	for (size_t i = 0; i < f->nsegs && v.nsegs < UNWIND_FILE_SEGS; i++) {
		const struct elf_seg *sg = &f->segs[i];

		if (!sg->exec)
			continue;
		v.segs[v.nsegs].lo = sg->offset & ~4095ULL;
		v.segs[v.nsegs].hi = sg->offset + sg->filesz;
		v.segs[v.nsegs].adj = (int64_t)(sg->offset - sg->vaddr);
		v.nsegs++;
	}
	if (!v.nsegs)
		v.row_count = 0;
	if (bpf_map_update_elem(u->files_fd, &key, &v, BPF_ANY))
		pr_debug("unw_files: %s", strerror(errno));
}

void unwinder_kernel_entries(struct unwinder *u, bool at_lock)
{
	/* the kernel makes new processes' entries: none written early from records */
	if (u) {
		u->kernel_entries = true;
		u->at_lock = at_lock;
	}
}

int unwinder_share_files(struct unwinder *u)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);

	if (!u)
		return -1;
	if (u->files_fd >= 0)
		return u->files_fd;
	u->files_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "unw_files", sizeof(struct unwind_file_key),
				     sizeof(struct unwind_file), UNWIND_MAX_FILES, &opts);
	if (u->files_fd < 0)
		return -1;
	for (size_t i = 0; i < u->nfiles; i++)
		file_publish(u, &u->files[i]);
	vdso_file(u);
	file_publish(u, &u->vdso);
	return u->files_fd;
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
			f = vdso_file(u);
			/* linked at its ELF addresses from offset 0 */
			if (!f->row_count ||
			    !elf_segs_map_bias(f->segs, f->nsegs, maps[i].start, 0, &bias))
				continue;
			goto add;
		}
		if (maps[i].kind != MAP_FILE)
			continue;
		f = file_for_map(u, pid, &maps[i], make);
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
	u->st.reads++;
	err = write_proc(u, pid, maps, n, true);
	proc_maps_free(maps, n);
	return err;
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
	for (size_t i = 0; i < u->nfresh; i++)
		if (u->fresh[i] == pid)
			return;
	GROW(u->fresh, u->fresh_cap, u->nfresh + 1);
	u->fresh[u->nfresh++] = pid;
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
	for (size_t i = 0; i < u->ndirty; i++)
		if (u->dirty[i] == pid)
			return;
	GROW(u->dirty, u->dirty_cap, u->ndirty + 1);
	u->dirty[u->ndirty++] = pid;
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
