// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "runtime/entry_hold.h"
#include "symbol/elf_segs.h"
#include "util/util.h"
#include "entry.skel.h"

struct entry_hold {
	struct entry_bpf *skel;
	pid_t pid;
	bool done;
	bool detaching;		/* detacher runs */
	pthread_t detacher;
	uint64_t armed_ns;
};

/*
 * The uprobe goes while the command runs: its close waits for the
 * kernel's grace periods (some 50-80 ms on 6.18), which the end of the
 * run would otherwise wait for.
 */
static void *detach(void *arg)
{
	struct entry_hold *h = arg;

	bpf_link__destroy(h->skel->links.entry_stop);
	h->skel->links.entry_stop = NULL;
	return NULL;
}

bool elf_entry_offset(const char *file, uint64_t *off)
{
	struct elf_seg *segs = NULL;
	bool ok = false;
	GElf_Ehdr eh;
	Elf *elf;
	int fd;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF && gelf_getehdr(elf, &eh) && eh.e_entry) {
		size_t n = elf_segs_read(elf, &segs);

		ok = elf_segs_addr_to_offset(segs, n, eh.e_entry, off);
	}
	free(segs);
	elf_end(elf);
	close(fd);
	return ok;
}

struct entry_hold *entry_hold_arm(const char *argv0, pid_t pid)
{
	char *file = command_path(argv0);
	struct entry_hold *h;
	uint64_t off;

	if (!file || !elf_entry_offset(file, &off)) {
		pr_debug("-- %s: no ELF entry point to stop at; its first samples use frame "
			 "pointers", argv0);
		free(file);
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->pid = pid;
	h->skel = entry_bpf__open_and_load();
	if (h->skel)
		h->skel->links.entry_stop = bpf_program__attach_uprobe(h->skel->progs.entry_stop,
								       false, pid, file, off);
	if (!h->skel || !h->skel->links.entry_stop) {
		pr_debug("cannot stop '%s' at its entry point (%s): its first samples use "
			 "frame pointers", file, strerror(errno));
		entry_bpf__destroy(h->skel);
		free(h);
		free(file);
		return NULL;
	}
	free(file);
	h->armed_ns = now_ns();
	return h;
}

bool entry_hold_stopped(struct entry_hold *h)
{
	siginfo_t si = { 0 };

	if (!h || h->done)
		return false;
	if (!__atomic_load_n(&h->skel->bss->stopped, __ATOMIC_ACQUIRE))
		return false;
	/* the signal may still be on its way: its SIGCHLD brings us back */
	return !waitid(P_PID, h->pid, &si, WSTOPPED | WNOHANG | WNOWAIT) && si.si_pid == h->pid;
}

void entry_hold_release(struct entry_hold *h)
{
	siginfo_t si = { 0 };

	if (!h || h->done)
		return;
	/* consume the stop, then continue */
	waitid(P_PID, h->pid, &si, WSTOPPED | WNOHANG);
	kill(h->pid, SIGCONT);
	h->done = true;
	h->detaching = !pthread_create(&h->detacher, NULL, detach, h);
	pr_debug("command stopped at its entry point %.1f ms after release; its maps read",
		 (now_ns() - h->armed_ns) / 1e6);
}

void entry_hold_close(struct entry_hold *h)
{
	if (!h)
		return;
	/* stopped by us and not yet let go: it must not stay stopped */
	if (!h->done && __atomic_load_n(&h->skel->bss->stopped, __ATOMIC_ACQUIRE))
		kill(h->pid, SIGCONT);
	if (h->detaching)
		pthread_join(h->detacher, NULL);
	entry_bpf__destroy(h->skel);
	free(h);
}
