/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cgroups (v2) of a run: the --cgroup targets, checked and turned into
 * ids for the BPF filter (bpf/targets.bpf.h), and the cgroup of every
 * announced process, whose path labels its samples.
 */
#ifndef PROFILER_CGROUPS_H
#define PROFILER_CGROUPS_H

#include <stdint.h>

#include "cli/settings.h"
#include "model/profile.h"

struct cgroups;

/*
 * Find the cgroup v2 hierarchy and resolve s->cgroups in it.  A bad
 * --cgroup, or one given on a host without cgroup v2, is said in one line
 * and fails; without --cgroup a host without v2 just gets no labels.
 */
int cgroups_open(const struct settings *s, struct cgroups **out);
void cgroups_free(struct cgroups *cg);

/* The --cgroup targets' ids; n is 0 without --cgroup. */
const uint64_t *cgroups_targets(const struct cgroups *cg, int *n);

/*
 * pid was announced in cgroup id: its samples are labelled with that
 * cgroup's path, looked up now, while the process (so the cgroup) is
 * alive, and kept for the run.
 */
void cgroups_note(struct cgroups *cg, uint32_t pid, uint64_t id);

/*
 * Whether thread tid of pid is in a --cgroup target or below one, as the
 * BPF filter decides (its cgroup and its ancestors against the targets),
 * read from /proc/PID/task/TID/cgroup: for the paths that see tasks
 * without BPF.  True without --cgroup; false for a thread gone.
 */
bool cgroups_task_in(const struct cgroups *cg, uint32_t pid, uint32_t tid);

/* Label each sample of p with the path of its process's cgroup. */
void cgroups_label(struct cgroups *cg, struct profile *p);

/*
 * The path of a cgroup v2 directory relative to the hierarchy's root, as
 * /proc/PID/cgroup writes it ("/", "/system.slice/ssh.service"), for a
 * path under mount; NULL when not under it.
 */
const char *cgroup_rel_path(const char *path, const char *mount);

#endif /* PROFILER_CGROUPS_H */
