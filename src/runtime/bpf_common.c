// SPDX-License-Identifier: GPL-2.0
/* What every BPF collector shares on the user side. */
#include <errno.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "runtime/core_btf.h"
#include "runtime/deltas.h"
#include "runtime/python.h"
#include "runtime/runtime.h"
#include "runtime/unwind.h"
#include "symbol/symbolizer.h"
#include "symbol/kallsyms_cache.h"
#include "util/idxmap.h"
#include "util/util.h"

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && verbose_level() < 2)
		return 0;
	if (!verbose_level())
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void bpf_setup_logging(int verbose)
{
	libbpf_set_print(libbpf_print);
	(void)verbose;
}

bool session_leaf_fix(struct session *ss)
{
	ss = ss->rt;
	if (!ss->leaf_fix) {
		bool ok = libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_find_vma, NULL) > 0 &&
			  libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_task_pt_regs, NULL) > 0;

		if (!ok && !ss->set->no_leaf_fix)
			pr_debug("no bpf_find_vma/bpf_task_pt_regs in this kernel: "
				 "callers of frameless functions are not recovered");
		ss->leaf_fix = ok && !ss->set->no_leaf_fix ? 1 : -1;
	}
	return ss->leaf_fix > 0;
}

/*
 * Whether user stacks are walked by the BPF program's own frame-pointer
 * loop (bpf/fp_walk.bpf.h) rather than by bpf_get_stack(): it needs
 * bpf_loop and bpf_task_pt_regs, as the .eh_frame unwinder does.
 */
bool session_fp_walk(struct session *ss)
{
	const char *env = getenv("PROFILER_NO_BPF_LOOP");

	if (env && *env && strcmp(env, "0"))
		return false;
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_PERF_EVENT, BPF_FUNC_loop, NULL) > 0 &&
	       libbpf_probe_bpf_helper(BPF_PROG_TYPE_PERF_EVENT, BPF_FUNC_task_pt_regs, NULL) > 0;
}

static bool cfi_unwind_possible(struct session *ss)
{
	const char *env = getenv("PROFILER_NO_BPF_LOOP");
	bool forced = env && *env && strcmp(env, "0");

	if (ss->set->unwind_fp)
		return false;
#if !defined(__x86_64__)
	pr_debug("--unwind dwarf is for x86-64 only: user stacks by frame pointers");
	return false;
#endif
	if (forced || libbpf_probe_bpf_helper(BPF_PROG_TYPE_PERF_EVENT, BPF_FUNC_loop, NULL) <= 0 ||
	    libbpf_probe_bpf_helper(BPF_PROG_TYPE_PERF_EVENT, BPF_FUNC_task_pt_regs, NULL) <= 0) {
		pr_debug("no bpf_loop in this kernel%s: user stacks by frame pointers and the leaf "
			 "fix, and callers above code built without frame pointers are lost",
			 forced ? " (PROFILER_NO_BPF_LOOP is set)" : "");
		return false;
	}
	return true;
}

/* The maps, and the tables of the targets named on the command line. */
static struct unwinder *unwind_start(struct session *ss)
{
	const struct settings *s = ss->set;
	bool wide = s->system_wide;
	struct unwinder *u;

	uint64_t procs = wide ? 32768 : 8192;
	const char *env = getenv("PROFILER_UNWIND_PROCS");

	/* a test's way to fill the process table quickly */
	if (env && parse_u64(env, 1, 1 << 20, &procs))
		pr_warn("ignoring PROFILER_UNWIND_PROCS=%s: not a number from 1 to 1048576", env);
	u = unwinder_new(procs);
	if (!u) {
		pr_warn("cannot make the unwind tables' maps (%s): user stacks by frame pointers only",
			strerror(errno));
		return NULL;
	}
	unwinder_time(u, s->stats);
	for (int i = 0; i < s->npids; i++)
		unwinder_add(u, s->pids[i]);
	for (int i = 0; i < s->ntids; i++)
		unwinder_add(u, proc_tgid(s->tids[i]));
	return u;
}

bool session_unwind_prepare(struct session *ss, struct bpf_map *rows, struct bpf_map *procs)
{
	/* one unwinder for the run: every collector's objects read its tables */
	struct session *rt = ss->rt;

	if (!rt->cfi_unwind)
		rt->cfi_unwind = cfi_unwind_possible(rt) && (rt->unw = unwind_start(rt)) ? 1 : -1;
	ss->cfi_unwind = rt->cfi_unwind;
	ss->unw = rt->unw;
	if (rt->cfi_unwind < 0)
		return false;
	/* every object of the session (wall has two) reads the same tables */
	if (bpf_map__reuse_fd(rows, unwinder_rows_fd(ss->unw)) ||
	    bpf_map__reuse_fd(procs, unwinder_procs_fd(ss->unw))) {
		pr_debug("cannot give the unwind tables to a BPF object: %s", strerror(errno));
		return false;
	}
	return true;
}

const char *session_core_btf(struct session *ss, const void *elf, size_t size)
{
	int fd;

	if (ss->nbtf == (int)ARRAY_SIZE(ss->btf_fds))
		return NULL;
	fd = core_btf_fd(cache_dir(), elf, size);
	if (fd < 0)
		return NULL;
	ss->btf_fds[ss->nbtf] = fd;
	snprintf(ss->btf_paths[ss->nbtf], sizeof(ss->btf_paths[0]), "/proc/self/fd/%d", fd);
	return ss->btf_paths[ss->nbtf++];
}

void session_core_btf_close(struct session *ss)
{
	for (int i = 0; i < ss->nbtf; i++)
		close(ss->btf_fds[i]);
	ss->nbtf = 0;
}

/*
 * The inner-map template of a map of maps, made here with one entry: libbpf
 * makes it from the BPF definition (counts_sel's: 16,384 preallocated keys,
 * 7 ms of system time on a quiet machine by strace -T), only to close it
 * once the outer map is made, and the kernel does not compare a hash's
 * size.  (libbpf 1.1 crashes in bpf_map__set_max_entries() on the inner
 * map it keeps, which has no object.)  The caller closes the fd after
 * load; -1 leaves libbpf's template.
 */
int map_in_map_template(struct bpf_map *outer)
{
	struct bpf_map *in = bpf_map__inner_map(outer);
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	int fd;

	if (!in)
		return -1;
	opts.map_flags = bpf_map__map_flags(in);
	fd = bpf_map_create(bpf_map__type(in), "tmpl", bpf_map__key_size(in),
			    bpf_map__value_size(in), 1, &opts);
	if (fd >= 0 && bpf_map__set_inner_map_fd(outer, fd)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Map max_entries to 1 if the object has it and it is not made yet. */
static void map_minimal(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	if (m && bpf_map__fd(m) < 0)
		bpf_map__set_max_entries(m, 1);
}

/*
 * Maps this run never uses, made as small as the kernel allows before
 * load: the targets map is read only with -p, -t or a command (and by the
 * fork program that follows a command's children), the cgroup verdicts
 * only with --cgroup.  Both are preallocated: 8,192 targets and 4,096 LRU
 * verdicts, 8-16 ms of system time at every start of a system-wide run
 * under load (strace -T).
 */
static void trim_unused_maps(struct session *ss, struct bpf_object *obj)
{
	if (!ss->filter_pids && !ss->filter_tids && !ss->follow_forks && !ss->child && !ss->rt->child)
		map_minimal(obj, "targets");
	if (!ss->set->ncgroups)
		map_minimal(obj, "cgroup_verdicts");
}

void session_add_object(struct session *ss, struct bpf_object *obj)
{
	trim_unused_maps(ss, obj);
	ss = ss->rt;
	if (ss->nobjs < (int)ARRAY_SIZE(ss->objs))
		ss->objs[ss->nobjs++] = obj;
}

int bpf_explain(const char *what, int err)
{
	if (err > 0)
		err = -err;
	switch (-err) {
	case EACCES:
		if (geteuid() == 0) {
			/* what the verifier answers when it refuses a program */
			pr_err("%s: the kernel's verifier refused a BPF program: this kernel lacks "
			       "something it needs (rerun with -vv for the verifier's log)", what);
			break;
		}
		/* fall through */
	case EPERM:
		if (geteuid() == 0)
			pr_err("%s: permission denied although root: kernel lockdown or a security module "
			       "refuses BPF (check dmesg and /sys/kernel/security/lockdown)", what);
		else
			pr_err("%s: permission denied: run as root, or with CAP_BPF and CAP_PERFMON", what);
		break;
	case ENOSYS:
		pr_err("%s: this kernel has no BPF support: it needs CONFIG_BPF_SYSCALL=y", what);
		break;
	case E2BIG:
		/* what the verifier answers past its million instructions */
		pr_err("%s: a BPF program too large for the kernel's verifier, or a map past its "
		       "size limit: lower --max-depth or --max-stacks (rerun with -vv for the "
		       "verifier's log)", what);
		break;
	case ENOMEM:
		pr_err("%s: not enough memory for BPF maps: lower --max-stacks or raise the memlock limit", what);
		break;
	default:
		pr_err("%s: %s (rerun with -vv for libbpf's and the verifier's log)", what, strerror(-err));
		break;
	}
	return err;
}

int session_fill_targets(struct session *ss, struct bpf_map *targets)
{
	const struct settings *s = ss->set;
	int fd = bpf_map__fd(targets);
	__u8 one = 1;

	for (int i = 0; i < s->npids; i++) {
		__u32 k = s->pids[i];

		if (bpf_map_update_elem(fd, &k, &one, BPF_ANY))
			return -errno;
	}
	for (int i = 0; i < s->ntids; i++) {
		__u32 k = s->tids[i];

		if (bpf_map_update_elem(fd, &k, &one, BPF_ANY))
			return -errno;
	}
	if (ss->child) {
		__u32 k = ss->child;

		if (bpf_map_update_elem(fd, &k, &one, BPF_ANY))
			return -errno;
	}
	return 0;
}

static const struct {
	const char *what;
	const char *hint;
} drop_text[DROP_MAX] = {
	[DROP_USER_STACK_FAULT] = { "user stacks could not be read",
		"the kernel refused the unwind; such samples appear under [lost user stack]" },
	[DROP_KERN_STACK_FAULT] = { "kernel stacks could not be read",
		"such samples appear under [lost kernel stack]" },
	[DROP_STACKS_FULL] = { "stacks did not fit the stacks map",
		"raise %s; such samples appear under [lost ... stack]" },
	[DROP_COUNTS_FULL] = { "samples did not fit the aggregation map",
		"raise %s, or profile for less time" },
	[DROP_PROC_EVENTS] = { "new processes not announced (ring buffer full)",
		"their frames may be unnamed if they exited early" },
	[DROP_TRUNCATED] = { "stacks deeper than --max-depth frames were truncated",
		"their root frames are missing: raise --max-depth" },
	[DROP_LIVE_FULL] = { "allocations not tracked (live-allocation map full)",
		"their bytes are missing from the totals: raise --max-live" },
	[DROP_PY_CODES] = { "Python code objects not named (ring buffer full)",
		"sent again at their next sample; frames of those never sent show as [python code]" },
	/* the map was not full: its allocator, refilled behind the sampling
	 * interrupt, ran dry in a burst of new stacks */
	[DROP_STACKS_NOMEM] = { "stacks not kept: the kernel had no memory at hand for them",
		"a burst of new stacks outran the stacks map's allocator and its 1,024-entry "
		"spill, emptied at each window; such samples appear under [lost ... stack]" },
	/* the map allocates its keys as they come (bpf/cpu_sample.bpf.h) */
	[DROP_COUNTS_NOMEM] = { "samples lost: the kernel had no memory at hand to count them",
		"a burst of new stacks outran the aggregation map's allocator" },
};

void session_read_drops(struct session *ss, struct bpf_map *drops, struct profile *p,
			const char *map_size_option)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;

	if (ncpu <= 0)
		return;
	vals = xcalloc(ncpu, sizeof(*vals));
	if (!ss->rt->drops)
		ss->rt->drops = deltas_new(2 * sizeof(__u32), 1);
	for (__u32 r = 0; r < DROP_MAX; r++) {
		/* by map and reason: a window counts the losses it saw */
		__u32 key[2] = { (__u32)bpf_map__fd(drops), r };
		__u64 sum = 0;
		char hint[256];

		if (bpf_map_lookup_elem(bpf_map__fd(drops), &r, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			sum += vals[c];
		deltas_take(ss->rt->drops, key, (uint64_t *)&sum, ss->whole_run);
		snprintf(hint, sizeof(hint), drop_text[r].hint, map_size_option);
		profile_add_loss(p, drop_text[r].what, sum, hint);
	}
	free(vals);
}

/*
 * Hand every entry of a hash map to cb, a batch at a time with the
 * kernel's batch operations, else one by one (PROFILER_NO_MAP_BATCH=1
 * forces that, for the tests).
 *
 * A batch is sized in bytes, not entries: the kernel copies whole values
 * (a stack is --max-depth words, 4 KiB by default, however short), and a
 * buffer of 4096 such values (16 MiB) was fresh memory at every read, its
 * pages faulted in and out of cache: 16 us an entry for 3,000 stacks,
 * against 0.9 us with 256 KiB batches reused (docs/performance.md).
 */
#define MAP_BATCH_BYTES (256 << 10)

bool map_batch_refused(void)
{
	const char *env = getenv("PROFILER_NO_MAP_BATCH");

	return env && *env && strcmp(env, "0");
}

size_t map_delete_keys(int fd, const void *keys, uint32_t key_size, size_t n)
{
	const char *k = keys;
	size_t gone = 0, at = 0;

	while (at < n && !map_batch_refused()) {
		__u32 count = (__u32)MIN(n - at, 4096);
		int err = bpf_map_delete_batch(fd, k + at * key_size, &count, NULL);

		/* count: how many went before an error */
		gone += count;
		at += count;
		if (!err)
			continue;
		if (errno == ENOENT) {
			at++;	/* not there (deleted already): skip it */
			continue;
		}
		if (count)
			continue;	/* stopped midway: go on from there */
		break;		/* EINVAL, ENOTSUPP: no batch deletes for this map */
	}
	for (; at < n; at++)
		gone += !bpf_map_delete_elem(fd, k + at * key_size);
	return gone;
}

long map_read_chunks(int fd, uint32_t key_size, uint32_t value_size, map_chunk_fn cb, void *ctx)
{
	__u32 batch = MAX(MAP_BATCH_BYTES / (key_size + value_size), 16u);
	char *k = xmalloc((size_t)batch * key_size), *v = xmalloc((size_t)batch * value_size);
	char *prev = NULL, *next;
	__u64 token = 0;
	bool first = true;
	long total = 0;

	if (map_batch_refused()) {
		errno = EOPNOTSUPP;
		goto one_by_one;
	}
	for (;;) {
		__u32 count = batch;
		int err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, k, v, &count, NULL);

		if (err && errno == ENOSPC && !count && batch < (1u << 20)) {
			/* one bucket holds more than a batch: room for it, and again */
			batch *= 2;
			k = xrealloc(k, (size_t)batch * key_size);
			v = xrealloc(v, (size_t)batch * value_size);
			continue;
		}
		if (err && errno != ENOENT) {
			if (!first)
				goto out;	/* failed midway: what was read stays */
			goto one_by_one;
		}
		first = false;
		if (count)
			cb(ctx, k, v, count);
		total += count;
		if (err)
			goto out;	/* ENOENT: that was the last batch */
	}

one_by_one:
	/* a kernel without batch operations for this map (EINVAL, ENOTSUPP) */
	pr_debug("BPF map read one element at a time: batch lookup refused (%s)", strerror(errno));
	next = xmalloc(key_size);
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(k, next, key_size);
		prev = k;
		if (!bpf_map_lookup_elem(fd, k, v)) {
			cb(ctx, k, v, 1);
			total++;
		}
	}
	free(next);
out:
	free(k);
	free(v);
	return total;
}

struct read_all_ctx {
	char *keys, *vals;
	size_t n, cap;
	uint32_t ksz, vsz;
};

static void read_all_chunk(void *ctx, const void *keys, const void *vals, size_t n)
{
	struct read_all_ctx *c = ctx;

	if (c->n + n > c->cap) {
		c->cap = MAX(2 * c->cap, c->n + n);
		c->keys = xrealloc(c->keys, c->cap * c->ksz);
		c->vals = xrealloc(c->vals, c->cap * c->vsz);
	}
	memcpy(c->keys + c->n * c->ksz, keys, n * c->ksz);
	memcpy(c->vals + c->n * c->vsz, vals, n * c->vsz);
	c->n += n;
}

long map_read_all(int fd, uint32_t key_size, uint32_t value_size, void **keys, void **vals)
{
	struct read_all_ctx c = { .ksz = key_size, .vsz = value_size };

	map_read_chunks(fd, key_size, value_size, read_all_chunk, &c);
	*keys = c.keys;
	*vals = c.vals;
	return c.n;
}

/* Both stacks maps, packed: each stack's frames up to its first zero. */
/* lookups one by one before both stacks maps are read whole */
#define STACK_LOOKUPS_BEFORE_BULK 2048

struct stack_cache {
	uint64_t *ids;
	uint32_t *first;	/* into frames */
	uint16_t *nr;
	uint32_t depth;		/* frames a deep value holds (--max-depth) */
	bool bulk;		/* both maps read whole */
	uint32_t lookups;	/* stacks looked up one by one */
	size_t n, cap;
	uint64_t *frames;
	size_t nframes, frames_cap;
	struct idxmap index;
};

static bool stack_id_eq(const void *ctx, uint32_t idx)
{
	const struct stack_cache *c = ((const void *const *)ctx)[0];
	const uint64_t *id = ((const void *const *)ctx)[1];

	return c->ids[idx] == *id;
}

static void cache_chunk(void *ctx, const uint64_t *ids, const uint64_t *vals, size_t n,
			uint32_t stride)
{
	struct stack_cache *c = ctx;

	for (size_t i = 0; i < n; i++) {
		const uint64_t *ips = vals + i * stride;
		uint32_t nr = 0;

		while (nr < stride && ips[nr])
			nr++;
		if (c->n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 1024;
			c->ids = xrealloc(c->ids, c->cap * sizeof(*c->ids));
			c->first = xrealloc(c->first, c->cap * sizeof(*c->first));
			c->nr = xrealloc(c->nr, c->cap * sizeof(*c->nr));
		}
		GROW(c->frames, c->frames_cap, c->nframes + nr);
		memcpy(c->frames + c->nframes, ips, nr * sizeof(uint64_t));
		c->ids[c->n] = ids[i];
		c->first[c->n] = c->nframes;
		c->nr[c->n] = nr;
		c->nframes += nr;
		idxmap_insert(&c->index, hash_u64(ids[i]), c->n++);
	}
}

unsigned int session_stack_depth(struct session *ss, struct bpf_map *deep, struct bpf_map *spill)
{
	unsigned int depth = ss->set->max_depth ? ss->set->max_depth : DEFAULT_STACK_DEPTH;

	/* a stack costs the depth asked for, not the deepest one can ask */
	bpf_map__set_value_size(deep, depth * sizeof(uint64_t));
	bpf_map__set_value_size(spill, depth * sizeof(uint64_t));
	return depth;
}

void session_stacks_max(struct bpf_map *stacks, struct bpf_map *deep, uint32_t n)
{
	bpf_map__set_max_entries(stacks, n);
	bpf_map__set_max_entries(deep, n);
}

int stack_maps_fd(const struct stack_maps *sm, uint64_t id)
{
	return id & STACK_ID_DEEP_BIT ? sm->deep_fd : sm->fd;
}

int stack_maps_lookup(const struct stack_maps *sm, uint64_t id, uint64_t *ips)
{
	memset(ips, 0, sizeof(struct stack_frames));
	if (!bpf_map_lookup_elem(stack_maps_fd(sm, id), &id, ips) ||
	    !bpf_map_lookup_elem(sm->spill_fd, &id, ips))
		return 0;
	return -errno;
}

struct stacks_read_ctx {
	void (*fn)(void *ctx, const uint64_t *ids, const uint64_t *vals, size_t n, uint32_t stride);
	void *ctx;
	uint32_t stride;
};

static void stacks_read_chunk(void *ctx, const void *keys, const void *vals, size_t n)
{
	struct stacks_read_ctx *c = ctx;

	c->fn(c->ctx, keys, vals, n, c->stride);
}

void stack_maps_read_all(const struct stack_maps *sm,
			 void (*fn)(void *ctx, const uint64_t *ids, const uint64_t *vals, size_t n,
				    uint32_t stride),
			 void *ctx)
{
	uint32_t depth = stack_maps_depth(sm);
	struct stacks_read_ctx c = { fn, ctx, STACK_SHORT_DEPTH };

	map_read_chunks(sm->fd, sizeof(uint64_t), STACK_SHORT_DEPTH * sizeof(uint64_t),
			stacks_read_chunk, &c);
	c.stride = depth;
	map_read_chunks(sm->deep_fd, sizeof(uint64_t), depth * sizeof(uint64_t),
			stacks_read_chunk, &c);
	map_read_chunks(sm->spill_fd, sizeof(uint64_t), depth * sizeof(uint64_t),
			stacks_read_chunk, &c);
}

/*
 * The spill's stacks moved into the main map, whose allocator has refilled
 * its per-CPU caches by the next window (a burst drains them for moments;
 * what it still refuses waits for the window after).  The spill
 * (preallocated, 1,024) then holds what one window's bursts spill, not
 * what a whole run's do: never emptied before, it filled in a 10-minute
 * churn run, and 652 new stacks were then lost with the main map 15% full.
 * Ids are the frames' hash, so the counts that name a moved stack still
 * find it; readers look in both maps.  What the main map cannot take
 * (full) stays.
 */
static void spill_drain(struct stack_maps *sm)
{
	uint64_t key, *keys;
	uint32_t vsize;
	char *vals;
	size_t moved = 0;
	long n;

	if (sm->spill_fd < 0 || bpf_map_get_next_key(sm->spill_fd, NULL, &key))
		return;		/* empty: the usual case, one system call */
	vsize = stack_maps_depth(sm) * sizeof(uint64_t);
	n = map_read_all(sm->spill_fd, sizeof(uint64_t), vsize, (void **)&keys, (void **)&vals);
	for (long i = 0; i < n; i++) {
		/* a short stack's value is the start of its spilled one */
		if (bpf_map_update_elem(stack_maps_fd(sm, keys[i]), &keys[i], vals + i * vsize,
					BPF_NOEXIST) &&
		    errno != EEXIST)
			break;	/* full, or no memory now either: the next window tries */
		bpf_map_delete_elem(sm->spill_fd, &keys[i]);
		moved++;
	}
	pr_debug("%zu of the spill's %ld stacks moved into the stacks maps", moved, n);
	free(vals);
	free(keys);
}

void stack_maps_init(struct stack_maps *sm, struct bpf_map *stacks, struct bpf_map *deep,
		     struct bpf_map *spill)
{
	sm->fd = bpf_map__fd(stacks);
	sm->deep_fd = bpf_map__fd(deep);
	sm->spill_fd = bpf_map__fd(spill);
	sm->cache = NULL;
	spill_drain(sm);
}

uint64_t session_test_mask(const char *var)
{
	const char *env = getenv(var);
	uint64_t mask = 0;

	if (env && parse_u64(env, 0, UINT64_MAX, &mask))
		pr_warn("ignoring %s=%s: not a number", var, env);
	return mask;
}

void stack_maps_release(struct stack_maps *sm)
{
	if (!sm->cache)
		return;
	free(sm->cache->ids);
	free(sm->cache->first);
	free(sm->cache->nr);
	free(sm->cache->frames);
	idxmap_free(&sm->cache->index);
	free(sm->cache);
	sm->cache = NULL;
}

uint32_t stack_maps_depth(const struct stack_maps *sm)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);
	size_t vsize;

	/* the deep values are as deep as --max-depth made them */
	vsize = bpf_obj_get_info_by_fd(sm->deep_fd, &info, &len) ? sizeof(struct stack_frames)
								 : info.value_size;
	return MIN(vsize, sizeof(struct stack_frames)) / sizeof(uint64_t);
}

uint32_t stack_read(const struct stack_maps *sm, uint64_t id, uint64_t *ips)
{
	struct stack_maps *m = (struct stack_maps *)sm;
	const void *ctx[2];
	uint32_t n = 0;
	int64_t i;

	if (!(id & STACK_ID_VALID_BIT))
		return 0;
	if (!m->cache) {
		m->cache = xcalloc(1, sizeof(*m->cache));
		m->cache->depth = stack_maps_depth(m);
	}
	/*
	 * A window of a long run names a few of the many stacks the maps
	 * keep: one lookup each.  When a read wants many (the end of a
	 * one-shot run wants them all), one pass over both maps in batches
	 * beats a lookup per stack.
	 */
	if (!m->cache->bulk && m->cache->lookups == STACK_LOOKUPS_BEFORE_BULK) {
		uint32_t depth = m->cache->depth;

		stack_maps_release(m);
		m->cache = xcalloc(1, sizeof(*m->cache));
		m->cache->depth = depth;
		m->cache->bulk = true;
		stack_maps_read_all(m, cache_chunk, m->cache);
	}
	ctx[0] = m->cache;
	ctx[1] = &id;
	i = idxmap_find(&m->cache->index, hash_u64(id), stack_id_eq, ctx);
	if (i < 0) {
		/*
		 * Not read yet, or stored after the maps were read whole
		 * (the counts that name it are read in chunks after the
		 * first lookup): asked for alone before it is called lost.
		 */
		/* zeroed by the lookup */
		uint64_t buf[sizeof(struct stack_frames) / sizeof(uint64_t)];

		m->cache->lookups++;
		if (stack_maps_lookup(m, id, buf))
			return 0;
		cache_chunk(m->cache, &id, buf, 1, m->cache->depth);
		i = (int64_t)m->cache->n - 1;
	}
	n = m->cache->nr[i];
	memcpy(ips, m->cache->frames + m->cache->first[i], n * sizeof(uint64_t));
	if (n < MAX_STACK_DEPTH)
		ips[n] = 0;
	return n;
}

void session_lost_stack(struct profile *p, enum frame_kind kind, uint32_t pid, uint32_t *ids,
			uint32_t *n)
{
	/* Counted in the drops map; marked here so the sample keeps its place. */
	const char *mark = kind == FRAME_KERNEL ? "[lost kernel stack]" : "[lost user stack]";
	uint32_t loc = profile_location(p, kind, pid, 0, false);

	if (!p->locs[loc].name) {
		p->locs[loc].name = profile_intern(p, mark);
		p->locs[loc].module = profile_intern(p, "[lost]");
	}
	ids[(*n)++] = loc;
}

void session_add_stack(struct profile *p, const struct stack_maps *sm, uint64_t id,
		       enum frame_kind kind, uint32_t pid, uint32_t life, bool first_is_ip,
		       uint32_t *ids, uint32_t *n)
{
	uint64_t ips[MAX_STACK_DEPTH];
	uint32_t nips;

	if (id == STACK_ID_NONE)
		return;
	nips = stack_read(sm, id, ips);
	if (!nips) {
		session_lost_stack(p, kind, pid, ids, n);
		return;
	}
	profile_stack_life(p, ids, n, 2 * MAX_STACK_DEPTH, kind, pid, life, ips, nips, first_is_ip);
}

int session_attach_perf(struct session *ss, struct perf_event_attr *attr,
			struct bpf_program *prog, struct bpf_link **links)
{
	int attached = 0;

	for (int i = 0; i < ss->ncpus; i++) {
		int fd = syscall(SYS_perf_event_open, attr, -1, ss->cpus[i], -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0) {
			int err = -errno;

			if (err == -ENODEV)	/* went offline since we looked */
				continue;
			if (err == -ENOENT || err == -EOPNOTSUPP)
				pr_err("perf events of this kind are not supported by this kernel "
				       "(CONFIG_PERF_EVENTS): %s", strerror(-err));
			else if (err == -EACCES || err == -EPERM)
				pr_err("perf_event_open refused on CPU %d: run as root or with CAP_PERFMON "
				       "(kernel.perf_event_paranoid is %s)", ss->cpus[i], "in force");
			else
				pr_err("perf_event_open on CPU %d: %s", ss->cpus[i], strerror(-err));
			return err;
		}
		links[i] = bpf_program__attach_perf_event(prog, fd);
		if (!links[i]) {
			int err = -errno;

			close(fd);
			return bpf_explain("attaching the sampling program", err);
		}
		attached++;
	}
	if (!attached) {
		pr_err("no CPU to sample on: check -C against /sys/devices/system/cpu/online");
		return -ENODEV;
	}
	return 0;
}

int session_attach_targets(struct session *ss, struct bpf_map *targets,
			   struct bpf_map *proc_events, struct bpf_program *fork,
			   struct bpf_link **fork_link, struct bpf_program *exec,
			   struct bpf_link **exec_link)
{
	int err = session_fill_targets(ss, targets);

	if (err)
		return bpf_explain("filling the target map", err);
	err = session_watch_procs(ss, proc_events);
	if (err)
		return bpf_explain("opening the ring buffer", err);
	if (ss->follow_forks && !(*fork_link = bpf_program__attach(fork)))
		return bpf_explain("attaching sched_process_fork", -errno);
	*exec_link = bpf_program__attach(exec);
	if (!*exec_link)
		return bpf_explain("attaching sched_process_exec", -errno);
	return 0;
}
