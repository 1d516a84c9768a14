// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbol/perf_map.h"
#include "util/file_limits.h"
#include "util/root_open.h"
#include "util/util.h"

struct elf_syms *perf_map_parse(const char *text, size_t max_lines)
{
	struct elf_syms *es = elf_syms_new();
	const char *line = text;

	es->max_syms = max_lines;
	while (line && *line && !es->truncated) {
		const char *next = strchr(line, '\n');
		size_t len = next ? (size_t)(next - line) : strlen(line);
		unsigned long long start, size;
		int pos = 0;

		if (sscanf(line, "%llx %llx %n", &start, &size, &pos) == 2 && pos > 0 &&
		    (size_t)pos < len && size) {
			/* the name runs to the end of the line, spaces and all */
			char name[1024];
			size_t nlen = len - pos;

			if (nlen >= sizeof(name))
				nlen = sizeof(name) - 1;
			memcpy(name, line + pos, nlen);
			name[nlen] = '\0';
			if (nlen && name[nlen - 1] == '\r')
				name[nlen - 1] = '\0';
			if (name[0] && !elf_syms_add(es, start, size, name))
				break;
		}
		line = next ? next + 1 : NULL;
	}
	elf_syms_finish(es);
	return es;
}

/* The pid a process has in its own, innermost pid namespace (NSpid). */
static uint32_t ns_pid(uint32_t pid)
{
	char path[64], *text, *line;
	uint32_t ns = pid;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	text = read_file(path, NULL);
	line = text ? strstr(text, "\nNSpid:") : NULL;
	if (line) {
		char *end = strchr(line + 1, '\n'), *last;

		if (end)
			*end = '\0';
		last = strrchr(line, '\t');
		if (last)
			ns = strtoul(last + 1, NULL, 10);
	}
	free(text);
	return ns ? ns : pid;
}

struct elf_syms *perf_map_read(uint32_t pid, uid_t uid)
{
	char path[96], root[64], *text, *end;
	struct elf_syms *es;
	struct stat st;
	bool cut;
	int fd;

	snprintf(path, sizeof(path), "/tmp/perf-%u.map", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		/* in a container: its own /tmp, under the pid it knows itself by,
		 * resolved in its root (its /tmp may be a symlink: not out of it) */
		snprintf(root, sizeof(root), "/proc/%u/root", pid);
		snprintf(path, sizeof(path), "/tmp/perf-%u.map", ns_pid(pid));
		fd = root_open(root, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
		snprintf(path, sizeof(path), "%s/tmp/perf-%u.map", root, ns_pid(pid));
	}
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (st.st_uid != uid && st.st_uid != 0)) {
		pr_warn("%s: not owned by the process's user (uid %u) or root: ignored",
			path, (unsigned int)uid);
		close(fd);
		return NULL;
	}
	/* the very file checked; a JIT that never stops writing is read up
	 * to the limit, to the last whole line */
	text = read_fd(fd, LIMIT_PERF_MAP_BYTES, NULL, &cut);
	close(fd);
	if (!text)
		return NULL;
	if (cut) {
		pr_warn("%s: larger than the limit of %u MiB for a perf map: only its start is read",
			path, LIMIT_PERF_MAP_BYTES >> 20);
		end = strrchr(text, '\n');
		if (end)
			end[1] = '\0';
	}
	es = perf_map_parse(text, LIMIT_PERF_MAP_LINES);
	if (es->truncated)
		pr_warn("%s: more than the limit of %u symbols for a perf map: the rest are unnamed",
			path, LIMIT_PERF_MAP_LINES);
	free(text);
	return es;
}
