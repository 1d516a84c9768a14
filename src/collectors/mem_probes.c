// SPDX-License-Identifier: GPL-2.0
/*
 * profiler mem's uprobes: on every allocator function a process's
 * allocator has, per process; and with -- COMMAND its children, each held
 * by BPF (SIGSTOP) at fork and exec until its allocator is probed, and at
 * its program's entry point until its unwind tables are made.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mem.h"
#include "mem.skel.h"
#include "collectors/mem_lib.h"
#include "collectors/mem_state.h"
#include "runtime/entry_hold.h"
#include "runtime/python.h"
#include "runtime/runtime.h"
#include "runtime/unwind.h"
#include "util/util.h"

/* The allocator's entry points; those a library lacks are skipped. */
static const struct {
	const char *name;
	bool ret;		/* also a return probe: the address comes back */
	bool prefixed;		/* named with --prefix (not mmap/munmap) */
} funcs[] = {
	{ "malloc", true, true },
	{ "calloc", true, true },
	{ "realloc", true, true },
	{ "reallocarray", true, true },
	{ "free", false, true },
	{ "posix_memalign", true, true },
	{ "aligned_alloc", true, true },
	{ "memalign", true, true },
	{ "valloc", true, true },
	{ "pvalloc", true, true },
	{ "mmap", true, false },
	{ "munmap", false, false },
};

/* The cookie of name's entry probe (enum mem_entry); free and munmap have
 * programs of their own */
static enum mem_entry entry_kind(const char *name)
{
	if (!strcmp(name, "calloc"))
		return MEM_ENTRY_CALLOC;
	if (!strcmp(name, "realloc"))
		return MEM_ENTRY_REALLOC;
	if (!strcmp(name, "reallocarray"))
		return MEM_ENTRY_REALLOCARRAY;
	if (!strcmp(name, "posix_memalign"))
		return MEM_ENTRY_POSIX_MEMALIGN;
	if (!strcmp(name, "aligned_alloc") || !strcmp(name, "memalign"))
		return MEM_ENTRY_MEMALIGN;
	if (!strcmp(name, "mmap"))
		return MEM_ENTRY_MMAP;
	return MEM_ENTRY_MALLOC;	/* malloc, valloc, pvalloc */
}

static struct bpf_program *entry_prog(struct mem_bpf *skel, const char *name)
{
	if (!strcmp(name, "free"))
		return skel->progs.free_enter;
	if (!strcmp(name, "munmap"))
		return skel->progs.munmap_enter;
	return skel->progs.alloc_enter;
}

static void add_link(struct mem_state *st, struct bpf_link *l)
{
	GROW(st->links, st->links_cap, (size_t)st->nlinks + 1);
	st->links[st->nlinks++] = l;
}

/* Probes on every allocator function lib has, for one process (-1: all). */
static int attach_allocator(struct session *ss, struct mem_state *st, pid_t pid, const char *lib)
{
	const char *prefix = ss->set->mem_prefix ? ss->set->mem_prefix : "";
	int attached = 0;

	for (size_t i = 0; i < ARRAY_SIZE(funcs); i++) {
		char name[128];

		snprintf(name, sizeof(name), "%s%s", funcs[i].prefixed ? prefix : "", funcs[i].name);
		if (!elf_defines(lib, name))
			continue;
		for (int r = 0; r <= funcs[i].ret; r++) {
			LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = name, .retprobe = r,
				    .bpf_cookie = r ? 0 : entry_kind(funcs[i].name));
			struct bpf_program *prog = r ? st->skel->progs.alloc_return
						     : entry_prog(st->skel, funcs[i].name);
			struct bpf_link *l = bpf_program__attach_uprobe_opts(prog, pid, lib, 0, &o);

			if (!l) {
				int err = -errno;

				pr_err("cannot attach a uprobe to %s in %s: %s", name, lib,
				       strerror(-err));
				return err;
			}
			add_link(st, l);
		}
		pr_debug("mem: probes on %s in %s%s", name, lib, funcs[i].ret ? " (+ return)" : "");
		attached += !strcmp(funcs[i].name, "malloc") || !strcmp(funcs[i].name, "free");
	}
	if (attached < 2) {
		pr_err("%s has no %smalloc and %sfree: give the allocator with --lib PATH "
		       "(and --prefix for prefixed names like je_malloc)", lib, prefix, prefix);
		return -ENOENT;
	}
	return 0;
}

/* Probes on lib for pid, unless it has them already: a process keeps its
 * probes through exec, so a new program on the same allocator needs none. */
static int probe_process(struct session *ss, struct mem_state *st, pid_t pid, const char *lib)
{
	struct stat sb;
	int err;

	if (stat(lib, &sb))
		return -errno;
	for (size_t i = 0; i < st->nprobed; i++)
		if (st->probed[i].pid == pid && st->probed[i].dev == sb.st_dev &&
		    st->probed[i].ino == sb.st_ino)
			return 0;
	err = attach_allocator(ss, st, pid, lib);
	if (err)
		return err;
	GROW(st->probed, st->probed_cap, st->nprobed + 1);
	st->probed[st->nprobed++] = (struct probed){ pid, sb.st_dev, sb.st_ino };
	return 0;
}

/*
 * An exec'd target is held again at its program's entry point, where the
 * dynamic loader has mapped its libraries, so that its unwind tables are
 * made before its first allocation (bpf hold_entry, for this pid only).
 */
static void hold_at_entry(struct session *ss, struct mem_state *st, __u32 pid)
{
	int fd = bpf_map__fd(st->skel->maps.entry_wait);
	struct bpf_link *l;
	char exe[64];
	uint64_t off;
	__u8 one = 1;

	snprintf(exe, sizeof(exe), "/proc/%u/exe", pid);
	if (!ss->unw || !elf_entry_offset(exe, &off) ||
	    bpf_map_update_elem(fd, &pid, &one, BPF_ANY))
		return;
	l = bpf_program__attach_uprobe(st->skel->progs.hold_entry, false, pid, exe, off);
	if (!l) {
		bpf_map_delete_elem(fd, &pid);
		pr_debug("mem: cannot stop %u at its entry point (%s): its first stacks use "
			 "frame pointers", pid, strerror(errno));
		return;
	}
	add_link(st, l);
}

/* A process BPF holds stopped: probe its allocator, then let it run. */
static int on_held(void *ctx, void *data, size_t size)
{
	struct session *ss = ctx;
	struct mem_state *st = ss->priv;
	const struct mem_held *e = data;
	const char *prefix = ss->set->mem_prefix;
	char lib[4096], exe[64];
	int err = 0;

	if (size < sizeof(*e))
		return 0;
	if (e->why == MEM_HELD_ENTRY) {
		/* its tables and its Python interpreter before its first allocation */
		if (!st->stopping) {
			unwinder_add(ss->unw, e->pid);
			python_note_process(ss->py, e->pid);
		}
		kill(e->pid, SIGCONT);
		return 0;
	}
	if (!st->stopping) {
		/* after fork: the parent's maps; after exec: the new program, or our libc,
		 * which it will load as the command did (its libraries are not mapped yet) */
		snprintf(exe, sizeof(exe), "/proc/%u/exe", e->pid);
		if (ss->set->mem_lib)
			snprintf(lib, sizeof(lib), "%s", ss->set->mem_lib);
		else
			err = mem_find_allocator(e->why == MEM_HELD_FORK ? (pid_t)e->pid : 0,
						 e->why == MEM_HELD_EXEC ? exe : NULL, prefix, lib,
						 sizeof(lib));
		if (!err)
			err = probe_process(ss, st, e->pid, lib);
		/* its maps while it is sure to live: after exec, the libraries
		 * it maps next come from the mmap records */
		if (!symbolizer_note_process(ss->sym, e->pid) && e->why == MEM_HELD_FORK) {
			/* a forked interpreter (multiprocessing) runs Python at once */
			size_t n;
			const struct proc_map *maps = symbolizer_current_maps(ss->sym, e->pid, &n);

			python_note_maps(ss->py, e->pid, maps, n);
		}
		if (err) {
			if (!st->unfollowed++)
				pr_warn("mem: cannot probe the allocator of child process %u: %s",
					e->pid, strerror(-err));
		} else {
			pr_debug("mem: following %s process %u (%s)",
				 e->why == MEM_HELD_FORK ? "new" : "exec'd", e->pid, lib);
			if (e->why == MEM_HELD_EXEC)
				hold_at_entry(ss, st, e->pid);
		}
	}
	kill(e->pid, SIGCONT);
	return 0;
}

/* -- COMMAND: hold its children and execs for on_held. */
static int follow_children(struct session *ss, struct mem_state *st)
{
	struct mem_bpf *skel = st->skel;
	int err = ring_buffer__add(ss->rb, bpf_map__fd(skel->maps.held), on_held, ss);

	if (err)
		return bpf_explain("opening the ring buffer", err);
	if (st->signal_task) {
		if (!(skel->links.hold_fork_task = bpf_program__attach(skel->progs.hold_fork_task)))
			return bpf_explain("attaching sched_process_fork", -errno);
	} else if (!(skel->links.hold_fork = bpf_program__attach(skel->progs.hold_fork)) ||
		   !(skel->links.hold_sys_exit = bpf_program__attach(skel->progs.hold_sys_exit))) {
		return bpf_explain("attaching sched_process_fork and sys_exit", -errno);
	}
	if (!(skel->links.hold_exec = bpf_program__attach(skel->progs.hold_exec)))
		return bpf_explain("attaching sched_process_exec", -errno);
	pr_debug("mem: children are stopped %s", st->signal_task ? "in their parent's fork" :
		 "at their first syscall exit (a program on every syscall: no bpf_send_signal_task)");
	return 0;
}

int mem_start_user(struct session *ss, struct mem_state *st)
{
	const struct settings *s = ss->set;
	int err;

	if (ss->child || !s->npids) {
		/* -- CMD is not running yet, -a watches everyone: the libc we use */
		char *exe = ss->child ? command_path(s->cmd[0]) : NULL;

		if (s->mem_lib)
			snprintf(st->lib, sizeof(st->lib), "%s", s->mem_lib);
		else if ((err = mem_find_allocator(0, exe, s->mem_prefix, st->lib, sizeof(st->lib)))) {
			free(exe);
			pr_err("cannot find the C library in /proc/self/maps: give the allocator with --lib PATH");
			return err;
		}
		free(exe);
		if (!ss->child)
			return attach_allocator(ss, st, -1, st->lib);
		err = probe_process(ss, st, ss->child, st->lib);
		return err ? err : follow_children(ss, st);
	}
	for (int i = 0; i < s->npids; i++) {
		char lib[4096];

		if (s->mem_lib)
			snprintf(lib, sizeof(lib), "%s", s->mem_lib);
		else if ((err = mem_find_allocator(s->pids[i], NULL, s->mem_prefix, lib, sizeof(lib)))) {
			pr_err("no allocator found in the mappings of PID %d (/proc/%d/maps): "
			       "give it with --lib PATH", s->pids[i], s->pids[i]);
			return err;
		}
		if (!i)
			snprintf(st->lib, sizeof(st->lib), "%s", lib);
		err = attach_allocator(ss, st, s->pids[i], lib);
		if (err)
			return err;
		/* announce it now: the BPF side announces only on a tracked allocation */
		symbolizer_note_process(ss->sym, s->pids[i]);
	}
	return 0;
}
