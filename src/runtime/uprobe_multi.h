/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Uprobes as the kernel's multi-uprobe links (6.6, used from 6.10): one
 * link for several functions of one file, and one wait when it goes.
 *
 * Why: a uprobe made as a perf event waits for the kernel's grace periods
 * (RCU tasks trace and the uretprobes' SRCU, 6.12 and later) when it is
 * closed, about 80 ms on 6.18, one probe after the other under the
 * kernel's event_mutex.  profiler mem's 22 probes a process made `mem --
 * sh -c 'ls; ls; ls'` wait 7.6 s after the command had exited.  A multi
 * link unregisters all its uprobes and then waits once, and closes from
 * several threads share their grace periods.
 *
 * libbpf 1.1 has no API for these links, hence the system call here.
 */
#ifndef PROFILER_UPROBE_MULTI_H
#define PROFILER_UPROBE_MULTI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bpf_program;

/* Whether this kernel makes multi-uprobe links that filter by process
 * (6.10 and later): a two-instruction program loaded and offered a link
 * on a file that is not one (libbpf's probe).  PROFILER_TEST_NO_UPROBE_MULTI=1
 * says no, for the tests. */
bool uprobe_multi_supported(void);

/* Before load: prog will only be attached by uprobe_multi_attach (a
 * program of that kind cannot be a perf event's, nor the other way). */
void uprobe_multi_prepare(struct bpf_program *prog);

/*
 * A link of prog on the file offsets offs[n] of path (the functions'
 * entries, or their returns if ret), each with its cookie (NULL: 0), for
 * process pid (-1: every process).  The link's fd, or -errno.
 */
int uprobe_multi_attach(const struct bpf_program *prog, pid_t pid, const char *path,
			const uint64_t *offs, const uint64_t *cookies, size_t n, bool ret);

/*
 * Close the link fds[n] (those < 0 are skipped) and set them to -1: from
 * several threads at once, whose waits for the kernel's grace periods then
 * overlap.  Returns when all are closed.
 */
void links_close_all(int *fds, size_t n);

/*
 * Links closed in the background while the run goes on: those of processes
 * that exited, whose uprobes would otherwise stay on their files, each
 * one more consumer that every hit of the probe walks past (300 exited
 * children took a malloc+free pair of the next from 26 to 58 us).
 */
struct link_closer;

struct link_closer *link_closer_new(void);
/* Hand fds[n] over (each >= 0) to be closed soon. */
void link_closer_add(struct link_closer *c, const int *fds, size_t n);
/* Close what is still waiting and stop; NULL is fine. */
void link_closer_free(struct link_closer *c);

#endif /* PROFILER_UPROBE_MULTI_H */
