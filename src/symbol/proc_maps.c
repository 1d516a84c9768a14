// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbol/proc_maps.h"
#include "util/root_open.h"
#include "util/util.h"

int proc_maps_parse(const char *text, struct proc_map **out, size_t *n)
{
	struct proc_map *maps = NULL;
	size_t cnt = 0, cap = 0;
	const char *line = text;

	while (line && *line) {
		const char *next = strchr(line, '\n');
		size_t len = next ? (size_t)(next - line) : strlen(line);
		unsigned long long start, end, off, ino;
		unsigned int major, minor;
		char perms[5] = "";
		int pos = 0;

		if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu%n", &start, &end, perms,
			   &off, &major, &minor, &ino, &pos) >= 7 && pos > 0 && (size_t)pos <= len &&
		    perms[2] == 'x') {
			/* (sscanf skips newlines as blanks: a field missing from
			 * this line would be taken from the next) */
			const char *path = line + pos;
			size_t plen;
			struct proc_map *m;

			/* the path, if any, follows blanks; it may itself hold spaces */
			while (*path == ' ' || *path == '\t')
				path++;
			plen = next ? (size_t)(next - path) : strlen(path);
			GROW(maps, cap, cnt + 1);
			m = &maps[cnt++];
			m->start = start;
			m->end = end;
			m->offset = off;
			m->dev = ((uint64_t)major << 32) | minor;
			m->ino = ino;
			m->file = -1;
			m->path = xmalloc(plen + 1);
			memcpy(m->path, path, plen);
			m->path[plen] = '\0';
			if (!strcmp(m->path, "[vdso]"))
				m->kind = MAP_VDSO;
			else if (m->path[0] == '[')
				m->kind = MAP_OTHER;
			else if (!ino || !m->path[0])
				m->kind = MAP_ANON;
			else
				m->kind = MAP_FILE;
		}
		line = next ? next + 1 : NULL;
	}
	*out = maps;
	*n = cnt;
	return 0;
}

int proc_maps_read(uint32_t pid, struct proc_map **out, size_t *n)
{
	char path[64], *text;
	int err;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	text = read_file(path, NULL);
	if (!text)
		return errno == ENOENT ? -ESRCH : -errno;
	err = proc_maps_parse(text, out, n);
	free(text);
	/* a zombie has no mappings left: as good as gone */
	if (!err && *n == 0)
		return -ESRCH;
	return err;
}

const struct proc_map *proc_maps_find(const struct proc_map *maps, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < maps[mid].start)
			hi = mid;
		else if (addr >= maps[mid].end)
			lo = mid + 1;
		else
			return &maps[mid];
	}
	return NULL;
}

/*
 * Open the file behind a mapping of a live process.  map_files reaches the
 * very inode mapped, even when deleted, replaced or inside another mount
 * namespace; PATH inside /proc/PID/root covers containers where map_files
 * is not readable, resolved in that root (a container's symlink cannot
 * lead out of it); the plain path is the last resort, only once the
 * process is gone.
 */
int proc_map_open(uint32_t pid, const struct proc_map *m)
{
	char path[PATH_MAX + 64], clean[PATH_MAX], root[64];
	size_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/map_files/%llx-%llx", pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	snprintf(clean, sizeof(clean), "%s", m->path);
	len = strlen(clean);
	if (len > 10 && !strcmp(clean + len - 10, " (deleted)"))
		clean[len - 10] = '\0';
	snprintf(root, sizeof(root), "/proc/%u/root", pid);
	fd = root_open(root, clean, O_RDONLY);
	if (fd >= 0 || access(root, F_OK) == 0)
		return fd;
	return open(clean, O_RDONLY | O_CLOEXEC);
}

void proc_maps_free(struct proc_map *maps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(maps[i].path);
	free(maps);
}
