// SPDX-License-Identifier: GPL-2.0
/* Cgroups (v2) of a run: see cgroups.h. */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "runtime/cgroups.h"
#include "runtime/runtime.h"
#include "util/idxmap.h"
#include "util/util.h"

#define FILEID_KERNFS	0xfe	/* include/linux/exportfs.h: a kernfs node id */

struct cgroups {
	char *mount;		/* the cgroup v2 hierarchy, or NULL */
	int mount_fd;
	uint64_t *targets;	/* --cgroup ids */
	int ntargets;
	int filter_fd;		/* the BPF map of targets, made on first use */

	/* every cgroup seen: id -> path (interned here, kept for the run) */
	uint64_t *ids;
	char **paths;
	size_t nids, ids_cap;
	struct idxmap id_index;

	/* every process announced: pid -> index in ids */
	uint32_t *pids;
	uint32_t *pid_cg;
	size_t npids, pids_cap;
	struct idxmap pid_index;
	uint64_t sought;
};

/* The first cgroup2 mount; *v1 says whether a cgroup v1 hierarchy is. */
static char *find_mount(bool *v1)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	char *path = NULL;

	*v1 = false;
	if (!f)
		return NULL;
	while (!path && (m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2"))
			path = xstrdup(m->mnt_dir);
		else if (!strcmp(m->mnt_type, "cgroup"))
			*v1 = true;
	}
	endmntent(f);
	return path;
}

const char *cgroup_rel_path(const char *path, const char *mount)
{
	size_t n = strlen(mount);

	while (n > 1 && mount[n - 1] == '/')
		n--;
	if (n == 1 && mount[0] == '/')
		return path[0] == '/' ? path : NULL;
	if (strncmp(path, mount, n) || (path[n] && path[n] != '/'))
		return NULL;
	return path[n] ? path + n : "/";
}

/* The cgroup id of a cgroup v2 directory: its kernfs node id. */
static int dir_cgroup_id(const char *path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	struct stat st;
	int mnt;

	if (!name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt, 0) &&
	    h.fh.handle_type == FILEID_KERNFS) {
		memcpy(id, h.fh.f_handle, sizeof(*id));
		return 0;
	}
	/* without export support: on 64-bit kernels the id is the inode */
	if (stat(path, &st))
		return -errno;
	*id = st.st_ino;
	return 0;
}

/* One --cgroup: a directory of the v2 hierarchy, absolute or below it. */
static int resolve_target(struct cgroups *cg, const char *arg, uint64_t *id)
{
	char path[4096];
	struct statfs sf;
	struct stat st;

	/* a directory of the hierarchy as given; else "system.slice/x", or
	 * "/system.slice/x" as /proc/PID/cgroup says, below its root; else
	 * whatever else the path is, to say what it is not */
	if (arg[0] == '/' && cgroup_rel_path(arg, cg->mount))
		snprintf(path, sizeof(path), "%s", arg);
	else
		snprintf(path, sizeof(path), "%s/%s", cg->mount, arg + (arg[0] == '/'));
	if (stat(path, &st) && arg[0] == '/' && !stat(arg, &st))
		snprintf(path, sizeof(path), "%s", arg);
	if (stat(path, &st)) {
		pr_err("--cgroup '%s': no such cgroup (%s: %s): give a directory of the cgroup v2 "
		       "hierarchy at %s, or a path below it such as system.slice/ssh.service",
		       arg, path, strerror(errno), cg->mount);
		return -ENOENT;
	}
	if (S_ISDIR(st.st_mode) && !statfs(path, &sf) && sf.f_type == CGROUP_SUPER_MAGIC) {
		pr_err("--cgroup '%s': %s is a cgroup v1 directory: only cgroup v2 is supported; "
		       "give a directory of the v2 hierarchy at %s", arg, path, cg->mount);
		return -EINVAL;
	}
	if (!S_ISDIR(st.st_mode) || statfs(path, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC) {
		pr_err("--cgroup '%s': %s is not a cgroup v2 directory: give one of the hierarchy "
		       "mounted at %s (cgroup v1 hierarchies are not supported)",
		       arg, path, cg->mount);
		return -EINVAL;
	}
	return dir_cgroup_id(path, id);
}

int cgroups_open(const struct settings *s, struct cgroups **out)
{
	struct cgroups *cg = xcalloc(1, sizeof(*cg));
	bool v1;
	int err = 0;

	cg->mount_fd = -1;
	cg->filter_fd = -1;
	cg->mount = find_mount(&v1);
	if (!cg->mount && s->ncgroups) {
		if (v1)
			pr_err("--cgroup: this host has cgroup v1 hierarchies only; profiler needs "
			       "cgroup v2: boot with systemd.unified_cgroup_hierarchy=1, or mount "
			       "it: mount -t cgroup2 none /sys/fs/cgroup/unified");
		else
			pr_err("--cgroup: no cgroup v2 hierarchy is mounted: mount it with "
			       "'mount -t cgroup2 none /sys/fs/cgroup'");
		cgroups_free(cg);
		return -ENOENT;
	}
	if (cg->mount)
		cg->mount_fd = open(cg->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cg->targets = xcalloc(s->ncgroups + 1, sizeof(*cg->targets));
	for (int i = 0; i < s->ncgroups && !err; i++)
		err = resolve_target(cg, s->cgroups[i], &cg->targets[cg->ntargets++]);
	if (err) {
		cgroups_free(cg);
		return err;
	}
	*out = cg;
	return 0;
}

void cgroups_free(struct cgroups *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->nids; i++)
		free(cg->paths[i]);
	free(cg->paths);
	free(cg->ids);
	idxmap_free(&cg->id_index);
	free(cg->pids);
	free(cg->pid_cg);
	idxmap_free(&cg->pid_index);
	if (cg->mount_fd >= 0)
		close(cg->mount_fd);
	if (cg->filter_fd >= 0)
		close(cg->filter_fd);
	free(cg->targets);
	free(cg->mount);
	free(cg);
}

const uint64_t *cgroups_targets(const struct cgroups *cg, int *n)
{
	*n = cg ? cg->ntargets : 0;
	return cg ? cg->targets : NULL;
}

/*
 * The path of a live cgroup from its id: the directory opened by its file
 * handle (as name_to_handle_at makes it: the id is the handle), named by
 * /proc/self/fd.  NULL when it is gone or cannot be opened.
 */
static char *id_path(struct cgroups *cg, uint64_t id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh.handle_bytes = sizeof(uint64_t), .fh.handle_type = FILEID_KERNFS, .id = id };
	char link[64], buf[4096];
	const char *rel;
	ssize_t n;
	int fd;

	if (cg->mount_fd < 0)
		return NULL;
	fd = open_by_handle_at(cg->mount_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		pr_debug("cgroup %llu: no path (%s)", (unsigned long long)id, strerror(errno));
		return NULL;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	rel = cgroup_rel_path(buf, cg->mount);
	return rel ? xstrdup(rel) : NULL;
}

static bool id_eq(const void *ctx, uint32_t idx)
{
	const struct cgroups *cg = ctx;

	return cg->ids[idx] == cg->sought;
}

static bool pid_eq(const void *ctx, uint32_t idx)
{
	const struct cgroups *cg = ctx;

	return cg->pids[idx] == cg->sought;
}

/* The index of cgroup id, its path looked up on first sight. */
static uint32_t id_index(struct cgroups *cg, uint64_t id)
{
	int64_t i;

	cg->sought = id;
	i = idxmap_find(&cg->id_index, hash_u64(id), id_eq, cg);
	if (i >= 0)
		return i;
	GROW(cg->ids, cg->ids_cap, cg->nids + 1);
	cg->paths = xrealloc(cg->paths, cg->ids_cap * sizeof(*cg->paths));
	i = cg->nids++;
	cg->ids[i] = id;
	cg->paths[i] = id_path(cg, id);
	if (!cg->paths[i]) {
		/* gone before its process was handled: the id is all there is */
		char tmp[48];

		snprintf(tmp, sizeof(tmp), "[cgroup %llu]", (unsigned long long)id);
		cg->paths[i] = xstrdup(tmp);
	}
	idxmap_insert(&cg->id_index, hash_u64(id), i);
	return i;
}

bool cgroups_task_in(const struct cgroups *cg, uint32_t pid, uint32_t tid)
{
	char path[4096], line[4096];
	bool in = false;
	FILE *f;

	if (!cg || !cg->ntargets)
		return true;
	snprintf(path, sizeof(path), "/proc/%u/task/%u/cgroup", pid, tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	path[0] = 0;
	while (fgets(line, sizeof(line), f))	/* v2's line: "0::/a/b" */
		if (!strncmp(line, "0::/", 4)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(path, sizeof(path), "%s%s", cg->mount, line + 3);
			break;
		}
	fclose(f);
	/* the cgroup, then each parent up to the hierarchy's root */
	while (path[0] && !in) {
		uint64_t id;
		char *slash;

		if (!dir_cgroup_id(path, &id))
			for (int i = 0; i < cg->ntargets && !in; i++)
				in = cg->targets[i] == id;
		slash = strrchr(path, '/');
		if (!slash || !cgroup_rel_path(path, cg->mount) || !strcmp(cgroup_rel_path(path, cg->mount), "/"))
			break;
		*slash = 0;
	}
	return in;
}

void cgroups_note(struct cgroups *cg, uint32_t pid, uint64_t id)
{
	int64_t i;

	if (!cg || !id || cg->mount_fd < 0)
		return;
	cg->sought = pid;
	i = idxmap_find(&cg->pid_index, hash_u64(pid), pid_eq, cg);
	if (i < 0) {
		GROW(cg->pids, cg->pids_cap, cg->npids + 1);
		cg->pid_cg = xrealloc(cg->pid_cg, cg->pids_cap * sizeof(*cg->pid_cg));
		i = cg->npids++;
		cg->pids[i] = pid;
		idxmap_insert(&cg->pid_index, hash_u64(pid), i);
	}
	/* after exec, or a move: the latest note wins */
	cg->pid_cg[i] = id_index(cg, id);
}

void cgroups_label(struct cgroups *cg, struct profile *p)
{
	const char *last = NULL;
	uint32_t last_pid = 0;

	if (!cg || !cg->npids)
		return;
	for (size_t s = 0; s < p->nsamples; s++) {
		struct sample *smp = &p->samples[s];
		int64_t i;

		if (!smp->pid)
			continue;
		if (last && smp->pid == last_pid) {
			profile_set_cgroup(p, s, last);
			continue;
		}
		cg->sought = smp->pid;
		i = idxmap_find(&cg->pid_index, hash_u64(smp->pid), pid_eq, cg);
		if (i < 0)
			continue;
		last = profile_intern(p, cg->paths[cg->pid_cg[i]]);
		profile_set_cgroup(p, s, last);
		last_pid = smp->pid;
	}
}

bool session_cgroup_prepare(struct session *ss, struct bpf_map *map)
{
	struct cgroups *cg = ss->rt->cg;
	__u8 one = 1;

	if (!cg || !cg->ntargets)
		return false;
	if (cg->filter_fd < 0) {
		cg->filter_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "cgroup_targets", sizeof(uint64_t),
					       sizeof(one), bpf_map__max_entries(map), NULL);
		for (int i = 0; i < cg->ntargets && cg->filter_fd >= 0; i++)
			bpf_map_update_elem(cg->filter_fd, &cg->targets[i], &one, BPF_ANY);
	}
	/* on failure the filter stays on over an empty map: nothing is
	 * profiled rather than everything */
	if (cg->filter_fd < 0 || bpf_map__reuse_fd(map, cg->filter_fd))
		pr_err("cannot give the --cgroup targets to a BPF object: %s", strerror(errno));
	return true;
}
