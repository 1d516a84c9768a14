// SPDX-License-Identifier: GPL-2.0
/*
 * The unwinder's binaries (unwind_priv.h): each one's table of rows,
 * made or read from the cache on disk once per (device, inode), copied
 * into a slot of unw_rows (small ones share slots made in advance: an
 * update of an array of maps waits for an RCU grace period), and
 * published in unw_files for the entries the kernel makes itself.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <linux/memfd.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/types.h>

#include "runtime/unwind_priv.h"
#include "symbol/elf_segs.h"
#include "symbol/proc_maps.h"
#include "symbol/unwind_cache.h"
#include "symbol/unwind_table.h"
#include "util/file_limits.h"
#include "util/util.h"

/* The flags of every table: mmap'ed to be filled, each its own size */
#define TABLE_FLAGS	(BPF_F_MMAPABLE | BPF_F_INNER_MAP)

int unw_table_create(uint32_t rows)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = TABLE_FLAGS);

	return bpf_map_create(BPF_MAP_TYPE_ARRAY, "unw_table", sizeof(__u32),
			      sizeof(struct unwind_row), rows, &opts);
}

uint64_t unw_table_bytes(uint32_t rows)
{
	return ((uint64_t)rows * sizeof(struct unwind_row) + 4095) & ~4095ULL;
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

struct unw_file *unw_file_for_map(struct unwinder *u, uint32_t pid, const struct proc_map *m,
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
const struct unw_file *unw_vdso_file(struct unwinder *u)
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
	size_t len = unw_table_bytes(n);
	uint32_t slot = u->ntables;
	void *p;
	int fd, err = 0;

	if (slot >= UNWIND_MAX_TABLES)
		return -ENOSPC;
	fd = unw_table_create(n);
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

int64_t unw_shared_slot_new(struct unwinder *u)
{
	void *mem;
	int64_t slot = slot_add(u, NULL, UNWIND_SHARED_ROWS, &mem);

	if (slot < 0)
		return slot;
	if (u->shared)
		unmap_shared(u->shared, unw_table_bytes(UNWIND_SHARED_ROWS));
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
	    (slot = unw_shared_slot_new(u)) < 0)
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
	unw_vdso_file(u);
	file_publish(u, &u->vdso);
	return u->files_fd;
}
