// SPDX-License-Identifier: GPL-2.0
/*
 * The symbolizer's life, its settings and symbolizer_resolve, which names
 * each location of a profile through the other sym_*.c files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <elf.h>

#include "symbol/cfi.h"
#include "symbol/debuginfo.h"
#include "symbol/debuginfod.h"
#include "symbol/elf_syms.h"
#include "symbol/gopclntab.h"
#include "symbol/kallsyms.h"
#include "symbol/kallsyms_cache.h"
#include "symbol/perf_map.h"
#include "symbol/proc_maps.h"
#include "symbol/python_merge.h"
#include "symbol/python_names.h"
#include "symbol/srcline.h"
#include "symbol/timeline.h"
#include "symbol/demangle.h"
#include "symbol/symbolizer.h"
#include "util/idxmap.h"
#include "util/file_limits.h"
#include "util/util.h"
#include "symbol/symbolizer_int.h"

struct symbolizer *symbolizer_new(void)
{
	struct symbolizer *sz = xcalloc(1, sizeof(*sz));

	/* some 100 bytes each: 100 MiB at most, some 70,000 processes of 15
	 * mappings; the exited go first */
	sz->tl = timeline_new(1 << 20);
	return sz;
}

/* What naming keeps of a file; its path and identity stay. */
void sz_release_file(struct sym_file *f)
{
	if (f->fd >= 0 && f->fd != f->dwfd)
		close(f->fd);
	srcline_close(f->sl);
	if (f->dwfd >= 0)
		close(f->dwfd);
	cfi_close(f->cfi);
	gopclntab_free(f->go);
	elf_syms_free(f->es);
	f->fd = f->dwfd = -1;
	f->sl = NULL;
	f->cfi = NULL;
	f->go = NULL;
	f->es = NULL;
	f->state = FILE_FAILED;
}

/*
 * Measured under churn (profiler cpu -a -F 999 -d 40, heaptrack): at the
 * peak, while writing, the files' symbols held some 19 MiB, libdw's CFI
 * caches 12 MiB and the kernel's symbols 10 MiB, none of which writing
 * needs.
 */
void symbolizer_release(struct symbolizer *sz)
{
	sz_preload_join(sz);
	for (size_t i = 0; i < sz->nfiles; i++)
		sz_release_file(&sz->files[i]);
	ksyms_free(sz->ksyms);
	sz->ksyms = NULL;
	sz->ksyms_tried = sz->ksyms_warned = true;
}

void symbolizer_last_naming(struct symbolizer *sz)
{
	sz->last = true;
}

void symbolizer_free(struct symbolizer *sz)
{
	if (!sz)
		return;
	sz_preload_join(sz);
	for (size_t i = 0; i < sz->nfiles; i++) {
		sz_release_file(&sz->files[i]);
		free(sz->files[i].path);
	}
	for (size_t i = 0; i < sz->nprocs; i++)
		elf_syms_free(sz->procs[i].jit);
	timeline_free(sz->tl);
	free(sz->files);
	free(sz->procs);
	idxmap_free(&sz->file_index);
	idxmap_free(&sz->proc_index);
	ksyms_free(sz->ksyms);
	elf_syms_free(sz->vdso);
	free(sz->kallsyms_path);
	free(sz->debug_root);
	free(sz->chains);
	free(sz->chain_ids);
	dbginfod_free(sz->dbgd);
	py_names_free(sz->py);
	free(sz);
}

struct py_names *symbolizer_python_names(struct symbolizer *sz)
{
	if (!sz->py)
		sz->py = py_names_new();
	return sz->py;
}

void symbolizer_set_kallsyms(struct symbolizer *sz, const char *path)
{
	free(sz->kallsyms_path);
	sz->kallsyms_path = xstrdup(path);
}

void symbolizer_set_debug_root(struct symbolizer *sz, const char *dir)
{
	free(sz->debug_root);
	sz->debug_root = xstrdup(dir);
}

void symbolizer_set_lines(struct symbolizer *sz, bool on)
{
	sz->lines = on;
}

void symbolizer_set_debuginfod(struct symbolizer *sz, bool on)
{
	sz->no_debuginfod = !on;
}

void symbolizer_get_stats(const struct symbolizer *sz, struct symbolizer_stats *st)
{
	struct timeline_stats ts;

	*st = sz->stats;
	timeline_get_stats(sz->tl, &ts);
	st->timeline_procs = ts.procs;
	st->timeline_reused = ts.reused;
	st->timeline_dropped = ts.dropped + (ts.refused ? 1 : 0);
}

struct splice_ctx {
	const uint32_t *old_first;
	uint32_t first;
};

static bool spliced_eq(const void *ctx, uint32_t idx)
{
	const struct splice_ctx *c = ctx;

	return c->old_first[idx] == c->first;
}

/* Put each location's inlined frames before it (stacks are leaf first),
 * once per distinct stack: samples that shared frames still do. */
static void splice_inlines(struct symbolizer *sz, struct profile *p, size_t nlocs)
{
	uint32_t *frames = NULL, *old_first = xcalloc(p->nsamples + 1, sizeof(*old_first));
	struct idxmap done = {};
	size_t n = 0, cap = 0;

	idxmap_free(&p->stack_index);	/* new frames: the index no longer holds */
	for (size_t s = 0; s < p->nsamples; s++) {
		const uint32_t *f = profile_sample_frames(p, s);
		struct splice_ctx c = { old_first, p->samples[s].first };
		uint64_t h = hash_u64(c.first);
		uint32_t first = n;
		int64_t same = -1;

		old_first[s] = p->samples[s].first;
		if (p->samples[s].nframes)
			same = idxmap_find(&done, h, spliced_eq, &c);
		if (same >= 0) {
			p->samples[s].first = p->samples[same].first;
			p->samples[s].nframes = p->samples[same].nframes;
			continue;
		}
		for (uint32_t i = 0; i < p->samples[s].nframes; i++) {
			const struct inline_chain *ch = f[i] < nlocs ? &sz->chains[f[i]] : NULL;

			GROW(frames, cap, n + 1 + (ch ? ch->n : 0));
			for (uint32_t k = 0; ch && k < ch->n; k++)
				frames[n++] = sz->chain_ids[ch->first + k];
			frames[n++] = f[i];
		}
		if (p->samples[s].nframes)
			idxmap_insert(&done, h, s);
		p->samples[s].first = first;
		p->samples[s].nframes = n - first;
	}
	idxmap_free(&done);
	free(old_first);
	free(p->frames);
	p->frames = frames;
	p->nframes = n;
	p->frames_cap = cap;
}

static void name_one(struct symbolizer *sz, struct profile *p, size_t i)
{
	struct location *l = &p->locs[i];

	if (l->name)
		return;
	if (l->kind == FRAME_KERNEL)
		sz_name_kernel(sz, p, l);
	else if (l->kind == FRAME_PYTHON)
		py_names_resolve(sz->py, p, l);
	else
		sz_name_user(sz, p, l);
}

static bool in_file(const struct location *l)
{
	return l->kind == FRAME_USER && !l->name && l->file_id &&
	       l->file_id - 1 != SYMBOLIZER_FILE_VDSO;
}

static int cmp_by_file(const void *a, const void *b, void *arg)
{
	const struct profile *p = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint32_t fx = p->locs[x].file_id, fy = p->locs[y].file_id;

	return fx != fy ? (fx < fy ? -1 : 1) : (x < y ? -1 : x > y);
}

/*
 * Naming by file: the kernel's frames first; the frames of processes;
 * then the locations of each file together.  Not with --lines, whose
 * inlined frames become locations in the order they are named.
 *
 * The run's last naming (release) frees the kernel's symbols after its
 * frames and each file's tables after its locations.  Measured under
 * churn (heaptrack, cpu -a -F 999 -d 120): the kernel's symbols are 10 MiB
 * and the files' symbols and CFI some 30 MiB when all are held at once.
 *
 * Any other naming (a window's: the agent, top) keeps the tables for the
 * next window but gives back the clean pages it read of the kallsyms
 * cache and of each file's string table once done with them, so that
 * one naming holds the pages of one file at a time, not of all it met.
 * The agent's peak was one window's naming: 11-26 MiB of the largest
 * binaries' file pages on ~22 MiB of heap (docs/performance.md).  Both
 * are the symbolizer's own mappings: safe while another session runs.
 */
static void name_by_file(struct symbolizer *sz, struct profile *p, size_t nlocs, bool release)
{
	uint32_t *order = xcalloc(nlocs + 1, sizeof(*order));
	size_t n = 0;

	for (size_t i = 0; i < nlocs; i++)
		if (p->locs[i].kind == FRAME_KERNEL)
			name_one(sz, p, i);
	if (release) {
		sz_preload_join(sz);	/* no kernel frame: it may still be reading */
		ksyms_free(sz->ksyms);
		sz->ksyms = NULL;
		sz->ksyms_tried = sz->ksyms_warned = true;
	} else if (sz->ksyms_warned) {
		ksyms_drop_pages(sz->ksyms);	/* joined: sz->ksyms is this thread's */
	}
	for (size_t i = 0; i < nlocs; i++) {
		if (in_file(&p->locs[i]))
			order[n++] = i;
		else
			name_one(sz, p, i);
	}
	qsort_r(order, n, sizeof(*order), cmp_by_file, p);
	for (size_t k = 0; k < n; k++) {
		uint32_t file = p->locs[order[k]].file_id;

		name_one(sz, p, order[k]);
		if ((k + 1 < n && p->locs[order[k + 1]].file_id == file) || file - 1 >= sz->nfiles)
			continue;
		if (release)
			sz_release_file(&sz->files[file - 1]);
		else
			elf_syms_drop_pages(sz->files[file - 1].es);
	}
	free(order);
}

int symbolizer_resolve(struct symbolizer *sz, struct profile *p)
{
	uint64_t t0 = now_ns();
	size_t nlocs = p->nlocs;

	sz->pass++;

	if (sz->lines) {
		GROW(sz->chains, sz->chains_cap, nlocs + 1);
		memset(sz->chains, 0, sz->chains_cap * sizeof(*sz->chains));
		sz->nchain_ids = 0;
	}
	for (size_t i = 0; i < nlocs && !sz->need_cfi; i++)
		sz->need_cfi = p->locs[i].ra_slot > 0;
	if (!sz->lines)
		name_by_file(sz, p, nlocs, sz->last);
	sz->last = false;
	for (size_t i = 0; i < nlocs; i++)
		name_one(sz, p, i);
	python_merge(p);
	/* said in the profile, not only in frame names: a loss like any other */
	if (sz->gone_new)
		profile_add_loss(p, "processes exited before their mappings were read", sz->gone_new,
				 "their user frames are unnamed: [pid N exited]+0xADDR");
	sz->gone_new = 0;
	profile_check_leaf_candidates(p);
	profile_prune_bogus(p);
	profile_trim_tracing(p);
	if (sz->lines && sz->nchain_ids)
		splice_inlines(sz, p, nlocs);
	sz->stats.ns += now_ns() - t0;
	return 0;
}
