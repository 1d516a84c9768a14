// SPDX-License-Identifier: GPL-2.0
/*
 * Which processes run CPython, and where: each announced process's mapped
 * files named python* or libpython* are looked at once per (device,
 * inode) for _PyRuntime; the offsets come from the file's DWARF (its
 * separate debug file) where it has one, else from the table, and only
 * for a version the walker knows (3.11).  Anything else gets native stacks
 * and one warning.  What a file's DWARF said is kept on disk by its
 * build-id (unwind_cache.h's records): reading it inflated 18.6 MiB of a
 * pyenv libpython's debug sections, a third of our CPU in a short run
 * and a burst of RSS in each agent session.
 */
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "python.h"
#include "runtime/python.h"
#include "runtime/runtime.h"
#include "symbol/debuginfo.h"
#include "symbol/elf_segs.h"
#include "symbol/elf_syms.h"
#include "symbol/proc_maps.h"
#include "symbol/python_layout.h"
#include "symbol/python_names.h"
#include "symbol/symbolizer.h"
#include "symbol/unwind_cache.h"
#include "util/util.h"

/* A file looked at: an interpreter we can read, or not. */
struct py_bin {
	uint64_t dev, ino;
	bool ok;
	uint64_t runtime;	/* ELF address of _PyRuntime */
	uint64_t code_type;	/* of PyCode_Type, 0 if none */
	struct elf_seg *segs;
	size_t nsegs;
	struct py_layout l;
};

/* What a debug file's DWARF gave, kept by the interpreter's build-id */
struct py_rec {
	uint64_t runtime;
	uint64_t code_type;
	uint32_t version;
	uint32_t from_dwarf;	/* 1: its DWARF's offsets; 0: it lacked a type, the table's */
	struct py_layout l;
};

struct pyrt {
	int procs_fd, codes_fd;
	struct unwind_cache *cache;
	bool cache_tried;
	struct py_names *names;
	struct py_bin *bins;
	size_t nbins, cap;
	bool warned;
	bool followed;		/* some process was put in py_procs */
	uint32_t *mapped;	/* processes that mapped a python* file since the last look */
	size_t nmapped, mapped_cap;
};

static bool python_named(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	return !strncmp(b, "python", 6) || !strncmp(b, "libpython", 9);
}

/*
 * python_layout_dwarf() in a child process.  libdw inflates the debug
 * file's whole .debug_info to read a dozen offsets: 27 MiB for Debian's
 * python3.11-dbg, the agent's highest peak in a 10-minute soak
 * (agentrss2), paid by the first session of each build.  In a child that
 * memory is never ours, and a debug file that crashes libdw costs the
 * child only.  In this process when it cannot fork.
 */
static int layout_dwarf_apart(int dfd, struct py_layout *l)
{
	struct {
		int err;
		struct py_layout l;
	} res = { .err = -EIO };
	size_t got = 0;
	int p[2], status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return python_layout_dwarf(dfd, l);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return python_layout_dwarf(dfd, l);
	}
	if (!pid) {
		close(p[0]);
		res.l = *l;
		res.err = python_layout_dwarf(dfd, &res.l);
		_exit(write(p[1], &res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	close(p[1]);
	while (got < sizeof(res)) {
		ssize_t n = read(p[0], (char *)&res + got, sizeof(res) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got != sizeof(res))
		return -EIO;	/* the child died: the table's offsets, as for a bad file */
	if (!res.err)
		*l = res.l;
	return res.err;
}

/* The offsets for file fd (of pid, at path), version ver: 0 or -ENOTSUP;
 * *dwarf 1 when its debug file's DWARF gave them, 0 when that lacked a
 * type, -1 when there is no debug file. */
static int layout_for(int fd, uint32_t pid, const char *path, uint32_t ver, struct py_layout *l,
		      int *dwarf)
{
	struct elf_syms *es;
	char root[32];
	int dfd, err;

	*dwarf = -1;
	if (python_layout_table(ver, l))
		return -ENOTSUP;	/* a version the walker does not know */
	es = elf_syms_from_fd(fd);
	snprintf(root, sizeof(root), "/proc/%u/root", pid);
	dfd = es ? debuginfo_open(NULL, root, path, es) : -1;
	elf_syms_free(es);
	if (dfd < 0) {
		pr_debug("python: %s: no debug file, offsets from the table", path);
		return 0;
	}
	err = layout_dwarf_apart(dfd, l);
	close(dfd);
	*dwarf = !err;
	if (!err)
		pr_debug("python: %s: offsets from its debug file's DWARF", path);
	if (err) {
		pr_debug("python: %s: its debug file lacks a type the walker reads: the table's offsets",
			 path);
		return python_layout_table(ver, l);
	}
	return 0;
}

/* Its runtime, version and offsets from what an earlier run kept: 0, or
 * -ENOENT; else found, and kept when a debug file was read for them. */
static int bin_layout(struct pyrt *r, int fd, uint32_t pid, const struct proc_map *m,
		      struct py_bin *b, uint32_t *ver)
{
	struct py_rec rec = {};
	int dwarf, err;

	if (!r->cache_tried)
		r->cache = unwind_cache_open();
	r->cache_tried = true;
	if (!unwind_cache_get(r->cache, "python", fd, &rec, sizeof(rec)) &&
	    !python_layout_table(rec.version, &b->l)) {
		b->runtime = rec.runtime;
		b->code_type = rec.code_type;
		*ver = rec.version;
		b->l = rec.l;
		pr_debug("python: %s: offsets kept from its debug file's %s", m->path,
			 rec.from_dwarf ? "DWARF" : "lack of them: the table's");
		return 0;
	}
	if (python_elf_probe(fd, &b->runtime, &b->code_type, ver))
		return -ENOENT;	/* not an interpreter: python3-config, a venv's tool */
	err = layout_for(fd, pid, m->path, *ver, &b->l, &dwarf);
	/* no debug file: looked for again next run (one may be installed) */
	if (!err && dwarf >= 0) {
		rec.runtime = b->runtime;
		rec.code_type = b->code_type;
		rec.version = *ver;
		rec.from_dwarf = dwarf;
		rec.l = b->l;
		unwind_cache_put(r->cache, "python", fd, &rec, sizeof(rec));
	}
	return err ? -ENOTSUP : 0;
}

static struct py_bin *bin_for(struct pyrt *r, uint32_t pid, const struct proc_map *m)
{
	struct py_bin *b;
	uint32_t ver = 0;
	Elf *elf;
	int fd, err;

	for (size_t i = 0; i < r->nbins; i++)
		if (r->bins[i].dev == m->dev && r->bins[i].ino == m->ino)
			return &r->bins[i];
	fd = proc_map_open(pid, m);
	if (fd < 0)
		return NULL;	/* gone: try again at its next announcement */
	GROW(r->bins, r->cap, r->nbins + 1);
	b = &r->bins[r->nbins++];
	*b = (struct py_bin){ .dev = m->dev, .ino = m->ino };
	err = bin_layout(r, fd, pid, m, b, &ver);
	if (err == -ENOENT)
		goto out;
	if (err) {
		if (!r->warned)
			pr_warn("%s is Python %u.%u, whose frames this profiler cannot read yet "
				"(CPython 3.11 only): its stacks are native only",
				m->path, ver >> 24, (ver >> 16) & 0xff);
		r->warned = true;
		goto out;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf) {
		b->nsegs = elf_segs_read(elf, &b->segs);
		elf_end(elf);
	}
	b->ok = b->nsegs > 0;
	pr_debug("python: %s is CPython %x, _PyRuntime at %#llx", m->path, ver,
		 (unsigned long long)b->runtime);
out:
	close(fd);
	return b;
}

/* pid in py_procs if one of its mappings is a CPython it can read: whether so */
static bool follow(struct pyrt *r, uint32_t pid, const struct proc_map *maps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct proc_map *m = &maps[i];
		struct py_proc pp = {};
		struct py_bin *b;
		uint64_t bias;

		if (m->kind != MAP_FILE || !python_named(m->path) || !(b = bin_for(r, pid, m)) ||
		    !b->ok || !elf_segs_map_bias(b->segs, b->nsegs, m->start, m->offset, &bias))
			continue;
		pp.runtime = b->runtime + bias;
		pp.code_type = b->code_type ? b->code_type + bias : 0;
		pp.l = b->l;
		if (bpf_map_update_elem(r->procs_fd, &pid, &pp, BPF_ANY)) {
			pr_debug("python: pid %u not followed: %s", pid, strerror(errno));
			return false;
		}
		r->followed = true;
		return true;
	}
	return false;
}

void python_note_maps(struct pyrt *r, uint32_t pid, const struct proc_map *maps, size_t n)
{
	/* after an exec into something else (none followed: nothing to drop,
	 * and no syscall for each of a build's processes) */
	if (r && !follow(r, pid, maps, n) && r->followed)
		bpf_map_delete_elem(r->procs_fd, &pid);
}

void python_note_mapping(struct pyrt *r, uint32_t pid, const char *path)
{
	if (r && path && python_named(path))
		pids_add_once(&r->mapped, &r->nmapped, &r->mapped_cap, pid);
}

void python_catch_up(struct pyrt *r, const struct symbolizer *sym)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nmapped; i++) {
		size_t n;
		const struct proc_map *maps = symbolizer_current_maps(sym, r->mapped[i], &n);

		follow(r, r->mapped[i], maps, n);
	}
	r->nmapped = 0;
}

/* a -p or -t target: its maps read from /proc */
static void python_note_process(struct pyrt *r, uint32_t pid)
{
	struct proc_map *maps = NULL;
	size_t n = 0;

	if (!r || proc_maps_read(pid, &maps, &n))
		return;
	python_note_maps(r, pid, maps, n);
	proc_maps_free(maps, n);
}

static int on_code(void *ctx, void *data, size_t size)
{
	py_names_add(ctx, data, size);
	return 0;
}

/*
 * The code-object ring's size.  Its records come with samples (a code
 * object's first), so its fill follows the rate: 2 MiB from 128 Hz,
 * less below (512 KiB at the agent's 19 Hz).  A ring buffer's every page
 * is resident from its mmap, its data mapped twice: 2 MiB cost the agent
 * 4 MiB of RSS per session, 8 MiB while a renewal runs two.
 */
static uint32_t codes_ring_size(int freq)
{
	uint32_t size = 256 << 10;

	if (freq <= 0 || freq >= 128)
		return 2 << 20;
	while (size < (uint32_t)freq * (16 << 10))
		size <<= 1;
	return size;
}

static struct pyrt *pyrt_new(struct session *ss)
{
	struct pyrt *r = xcalloc(1, sizeof(*r));
	int err;

	r->procs_fd = r->codes_fd = -1;

	r->names = symbolizer_python_names(ss->sym);
	r->procs_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "py_procs", sizeof(__u32),
				     sizeof(struct py_proc), ss->set->system_wide ? 8192 : 1024,
				     &(struct bpf_map_create_opts){ .sz = sizeof(struct bpf_map_create_opts),
								   .map_flags = BPF_F_NO_PREALLOC });
	r->codes_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "py_codes", 0, 0,
				     codes_ring_size(ss->set->freq), NULL);
	if (r->procs_fd < 0 || r->codes_fd < 0)
		goto fail;
	/* the proc_events ring buffer joins this manager later (session_watch_procs) */
	err = ss->rb ? ring_buffer__add(ss->rb, r->codes_fd, on_code, r->names) : 0;
	if (!ss->rb)
		ss->rb = ring_buffer__new(r->codes_fd, on_code, r->names, NULL);
	if (err || !ss->rb)
		goto fail;
	for (int i = 0; i < ss->set->npids; i++)
		python_note_process(r, ss->set->pids[i]);
	for (int i = 0; i < ss->set->ntids; i++)
		python_note_process(r, proc_tgid(ss->set->tids[i]));
	return r;
fail:
	pr_warn("cannot make the maps for Python frames (%s): stacks are native only",
		strerror(errno));
	pyrt_free(r);
	return NULL;
}

bool session_python_prepare(struct session *ss, struct bpf_object *obj)
{
	struct bpf_map *procs = bpf_object__find_map_by_name(obj, "py_procs"),
		       *codes = bpf_object__find_map_by_name(obj, "py_codes"),
		       *threads = bpf_object__find_map_by_name(obj, "py_threads"),
		       *seen = bpf_object__find_map_by_name(obj, "py_seen");

	/* one for the run: every collector's objects share its maps */
	struct session *rt = ss->rt;

	if (!rt->python) {
		bool ok = !rt->set->no_python &&
			  libbpf_probe_bpf_helper(BPF_PROG_TYPE_PERF_EVENT, BPF_FUNC_loop, NULL) > 0;

		rt->python = ok && (rt->py = pyrt_new(rt)) ? 1 : -1;
	}
	ss->python = rt->python;
	ss->py = rt->py;
	if (ss->python < 0 || !procs || !codes || !threads || !seen)
		return false;
	if (bpf_map__reuse_fd(procs, ss->py->procs_fd) || bpf_map__reuse_fd(codes, ss->py->codes_fd) ||
	    bpf_map__set_max_entries(threads, PY_THREADS_MAX) ||
	    bpf_map__set_max_entries(seen, lru_entries(PY_SEEN_MIN))) {
		pr_debug("cannot give the Python maps to a BPF object: %s", strerror(errno));
		return false;
	}
	return true;
}

void pyrt_free(struct pyrt *r)
{
	if (!r)
		return;
	if (r->procs_fd >= 0)
		close(r->procs_fd);
	if (r->codes_fd >= 0)
		close(r->codes_fd);
	for (size_t i = 0; i < r->nbins; i++)
		free(r->bins[i].segs);
	free(r->bins);
	free(r->mapped);
	unwind_cache_close(r->cache);
	free(r);
}
