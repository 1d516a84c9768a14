// SPDX-License-Identifier: GPL-2.0
/*
 * profiler mem's uprobes: on every allocator function a process's
 * allocator has, per process; and with -- COMMAND its children, each held
 * by BPF (SIGSTOP) at fork and exec until its allocator is probed, and at
 * its program's entry point until its unwind tables are made.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
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
#include "runtime/uprobe_multi.h"
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

/* A multi link, the process's own (to) or the run's */
static void add_link_fd(struct mem_state *st, struct probed *to, int fd)
{
	if (to && to->nfds < (int)ARRAY_SIZE(to->fds)) {
		to->fds[to->nfds++] = fd;
		return;
	}
	GROW(st->link_fds, st->link_fds_cap, st->nlink_fds + 1);
	st->link_fds[st->nlink_fds++] = fd;
}

/* One perf-event uprobe (and uretprobe) on funcs[i] at file offset off,
 * where the kernel has no multi-uprobe links */
static int attach_each(struct mem_state *st, pid_t pid, const char *lib, uint64_t off, size_t i)
{
	for (int r = 0; r <= funcs[i].ret; r++) {
		LIBBPF_OPTS(bpf_uprobe_opts, o, .retprobe = r,
			    .bpf_cookie = r ? 0 : entry_kind(funcs[i].name));
		struct bpf_program *prog = r ? st->skel->progs.alloc_return
					     : entry_prog(st->skel, funcs[i].name);
		struct bpf_link *l = bpf_program__attach_uprobe_opts(prog, pid, lib, off, &o);

		if (!l)
			return -errno;
		add_link(st, l);
	}
	return 0;
}

/*
 * The same as multi-uprobe links: the programs' functions found[] at
 * offs[], a link a program (the entries, free, munmap, the returns).
 */
static int attach_multi(struct mem_state *st, struct probed *to, pid_t pid, const char *lib,
			unsigned found, const uint64_t *offs)
{
	struct mem_bpf *skel = st->skel;
	const struct bpf_program *progs[] = { skel->progs.alloc_enter, skel->progs.free_enter,
					      skel->progs.munmap_enter, skel->progs.alloc_return };

	for (size_t p = 0; p < ARRAY_SIZE(progs); p++) {
		uint64_t at[ARRAY_SIZE(funcs)], cookies[ARRAY_SIZE(funcs)];
		bool ret = progs[p] == skel->progs.alloc_return;
		size_t n = 0;
		int fd;

		for (size_t i = 0; i < ARRAY_SIZE(funcs); i++) {
			if (!(found & (1u << i)) ||
			    (ret ? !funcs[i].ret : entry_prog(skel, funcs[i].name) != progs[p]))
				continue;
			at[n] = offs[i];
			cookies[n++] = ret ? 0 : entry_kind(funcs[i].name);
		}
		if (!n)
			continue;
		fd = uprobe_multi_attach(progs[p], pid, lib, at, cookies, n, ret);
		if (fd < 0)
			return fd;
		add_link_fd(st, to, fd);
	}
	return 0;
}

/* funcs[]' names, those of the allocator's own with --prefix */
static void func_names(const char *prefix, char names[ARRAY_SIZE(funcs)][128])
{
	for (size_t i = 0; i < ARRAY_SIZE(funcs); i++)
		snprintf(names[i], sizeof(names[i]), "%s%s", funcs[i].prefixed ? prefix : "",
			 funcs[i].name);
}

/* Probes on every allocator function lib has, for one process (-1: all),
 * its multi links kept in to (NULL: the run's). */
static int attach_allocator(struct session *ss, struct mem_state *st, struct probed *to, pid_t pid,
			    const char *lib)
{
	const char *prefix = ss->set->mem_prefix ? ss->set->mem_prefix : "";
	char names[ARRAY_SIZE(funcs)][128];
	uint64_t offs[ARRAY_SIZE(funcs)];
	unsigned found;
	int err = 0;

	func_names(prefix, names);
	found = alloc_files_find(st->files, lib, offs);
	/* malloc and free (funcs[0], funcs[4]), or it is not an allocator */
	if ((found & (1u << 0 | 1u << 4)) != (1u << 0 | 1u << 4)) {
		pr_err("%s has no %smalloc and %sfree: give the allocator with --lib PATH "
		       "(and --prefix for prefixed names like je_malloc)", lib, prefix, prefix);
		return -ENOENT;
	}
	if (st->multi) {
		err = attach_multi(st, to, pid, lib, found, offs);
		if (err) {
			pr_err("cannot attach uprobes to the allocator in %s: %s", lib,
			       strerror(-err));
			return err;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(funcs); i++) {
		if (!(found & (1u << i)))
			continue;
		if (!st->multi && (err = attach_each(st, pid, lib, offs[i], i))) {
			pr_err("cannot attach a uprobe to %s in %s: %s", names[i], lib,
			       strerror(-err));
			return err;
		}
		pr_debug("mem: probes on %s in %s%s%s", names[i], lib,
			 funcs[i].ret ? " (+ return)" : "", st->multi ? " (multi-uprobe links)" : "");
	}
	return 0;
}

/* Probes on lib for pid, unless it has them already: a process keeps its
 * probes through exec, so a new program on the same allocator needs none. */
static int probe_process(struct session *ss, struct mem_state *st, pid_t pid, const char *lib)
{
	struct probed *e;
	struct stat sb;
	int err;

	if (stat(lib, &sb))
		return -errno;
	for (size_t i = 0; i < st->nprobed; i++)
		if (st->probed[i].pid == pid && st->probed[i].dev == sb.st_dev &&
		    st->probed[i].ino == sb.st_ino)
			return 0;
	GROW(st->probed, st->probed_cap, st->nprobed + 1);
	e = &st->probed[st->nprobed];
	*e = (struct probed){ pid, sb.st_dev, sb.st_ino, .pidfd = -1 };
	err = attach_allocator(ss, st, e, pid, lib);
	if (err) {
		/* what did attach goes with the run's */
		for (int i = 0; i < e->nfds; i++)
			add_link_fd(st, NULL, e->fds[i]);
		return err;
	}
	/* its probes go when it exits (mem_reap_exited) */
	if (st->multi)
		e->pidfd = syscall(__NR_pidfd_open, pid, 0);
	st->nprobed++;
	return 0;
}

void mem_reap_exited(struct mem_state *st)
{
	struct pollfd *pf;
	size_t n = 0;

	for (size_t i = 0; i < st->nprobed; i++)
		n += st->probed[i].pidfd >= 0;
	if (!n)
		return;
	pf = xmalloc(n * sizeof(*pf));
	n = 0;
	for (size_t i = 0; i < st->nprobed; i++)
		if (st->probed[i].pidfd >= 0)
			pf[n++] = (struct pollfd){ .fd = st->probed[i].pidfd, .events = POLLIN };
	if (poll(pf, n, 0) > 0) {
		size_t was = st->reaped;

		for (size_t k = 0; k < n; k++) {
			if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			for (size_t i = 0; i < st->nprobed; i++) {
				struct probed *e = &st->probed[i];

				if (e->pidfd != pf[k].fd)
					continue;
				if (!st->closer)
					st->closer = link_closer_new();
				link_closer_add(st->closer, e->fds, e->nfds);
				close(e->pidfd);
				*e = st->probed[--st->nprobed];
				st->reaped++;
				break;
			}
		}
		pr_debug("mem: the probes of %zu exited processes go (%zu so far)",
			 st->reaped - was, st->reaped);
	}
	free(pf);
}

void mem_close_links(struct mem_state *st)
{
	for (size_t i = 0; i < st->nprobed; i++) {
		struct probed *e = &st->probed[i];

		for (int k = 0; k < e->nfds; k++)
			add_link_fd(st, NULL, e->fds[k]);
		e->nfds = 0;
		if (e->pidfd >= 0)
			close(e->pidfd);
		e->pidfd = -1;
	}
	links_close_all(st->link_fds, st->nlink_fds);
	st->nlink_fds = 0;
	/* and those of exited processes still waiting */
	link_closer_free(st->closer);
	st->closer = NULL;
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
	if (!ss->unw || !alloc_files_entry(st->files, exe, &off) ||
	    bpf_map_update_elem(fd, &pid, &one, BPF_ANY))
		return;
	if (st->multi) {
		int lfd = uprobe_multi_attach(st->skel->progs.hold_entry, pid, exe, &off, NULL, 1,
					      false);

		if (lfd >= 0) {
			struct probed *to = NULL;

			/* gone with the process's other probes */
			for (size_t i = st->nprobed; i-- > 0 && !to;)
				if (st->probed[i].pid == (pid_t)pid)
					to = &st->probed[i];
			add_link_fd(st, to, lfd);
			return;
		}
		errno = -lfd;
		l = NULL;
	} else {
		l = bpf_program__attach_uprobe(st->skel->progs.hold_entry, false, pid, exe, off);
	}
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
	char lib[4096], exe[64];
	int err = 0;

	if (size < sizeof(*e))
		return 0;
	if (e->why == MEM_HELD_ENTRY) {
		/* its tables and its Python interpreter before its first allocation */
		if (!st->stopping)
			session_note_held(ss, e->pid);
		kill(e->pid, SIGCONT);
		return 0;
	}
	if (!st->stopping) {
		/* after fork: the parent's maps; after exec: the new program, or our libc,
		 * which it will load as the command did (its libraries are not mapped yet) */
		bool fork = e->why == MEM_HELD_FORK;
		const struct proc_map *maps = NULL;
		size_t n = 0;

		/* its maps while it is sure to live: after exec, the libraries
		 * it maps next come from the mmap records; after fork, the
		 * parent's, which name its allocator too */
		if (!symbolizer_note_process(ss->sym, e->pid) && fork)
			maps = symbolizer_current_maps(ss->sym, e->pid, &n);
		if (!n)
			maps = NULL;	/* none known: mem_find_allocator reads them */
		snprintf(exe, sizeof(exe), "/proc/%u/exe", e->pid);
		if (ss->set->mem_lib)
			snprintf(lib, sizeof(lib), "%s", ss->set->mem_lib);
		else
			err = mem_find_allocator(st->files, fork ? (pid_t)e->pid : 0,
						 fork ? NULL : exe, maps, n, lib, sizeof(lib));
		if (!err)
			err = probe_process(ss, st, e->pid, lib);
		/* a forked interpreter (multiprocessing) runs Python at once */
		if (maps)
			python_note_maps(ss->py, e->pid, maps, n);
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
	char names[ARRAY_SIZE(funcs)][128];
	const char *want[ARRAY_SIZE(funcs)];
	int err;

	func_names(s->mem_prefix ? s->mem_prefix : "", names);
	for (size_t i = 0; i < ARRAY_SIZE(funcs); i++)
		want[i] = names[i];
	st->files = alloc_files_new(want, ARRAY_SIZE(funcs));
	if (ss->child || !s->npids) {
		/* -- CMD is not running yet, -a watches everyone: the libc we use */
		char *exe = ss->child ? command_path(s->cmd[0]) : NULL;

		if (s->mem_lib)
			snprintf(st->lib, sizeof(st->lib), "%s", s->mem_lib);
		else if ((err = mem_find_allocator(st->files, 0, exe, NULL, 0, st->lib, sizeof(st->lib)))) {
			free(exe);
			pr_err("cannot find the C library in /proc/self/maps: give the allocator with --lib PATH");
			return err;
		}
		free(exe);
		if (!ss->child)
			return attach_allocator(ss, st, NULL, -1, st->lib);
		err = probe_process(ss, st, ss->child, st->lib);
		return err ? err : follow_children(ss, st);
	}
	for (int i = 0; i < s->npids; i++) {
		char lib[4096];

		if (s->mem_lib)
			snprintf(lib, sizeof(lib), "%s", s->mem_lib);
		else if ((err = mem_find_allocator(st->files, s->pids[i], NULL, NULL, 0, lib, sizeof(lib)))) {
			pr_err("no allocator found in the mappings of PID %d (/proc/%d/maps): "
			       "give it with --lib PATH", s->pids[i], s->pids[i]);
			return err;
		}
		if (!i)
			snprintf(st->lib, sizeof(st->lib), "%s", lib);
		err = attach_allocator(ss, st, NULL, s->pids[i], lib);
		if (err)
			return err;
		/* announce it now: the BPF side announces only on a tracked allocation */
		symbolizer_note_process(ss->sym, s->pids[i]);
	}
	return 0;
}
