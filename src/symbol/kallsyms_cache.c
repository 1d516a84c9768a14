// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbol/kallsyms_bpf.h"
#include "symbol/kallsyms_cache.h"
#include "symbol/kallsyms_file.h"
#include "util/util.h"

/* /proc/kallsyms is read this much at a time (its lines are under 600 bytes) */
#define KALLSYMS_CHUNK (64 << 10)

/* /proc/modules: "name size refs deps state address" per line */
static size_t read_modules(struct ksyms_module **out, uint64_t *hash)
{
	char *text = read_file("/proc/modules", NULL), *line, *next;
	struct ksyms_module *m = NULL;
	size_t n = 0, cap = 0;

	*hash = 0;
	for (line = text; line && *line; line = next) {
		unsigned long long size, addr;
		char name[64];

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (sscanf(line, "%63s %llu %*s %*s %*s %llx", name, &size, &addr) != 3)
			continue;
		GROW(m, cap, n + 1);
		snprintf(m[n].name, sizeof(m[n].name), "%s", name);
		m[n].range = (struct ksym_range){ addr, addr + size };
		/* reference counts change all the time: name, address and size only */
		*hash = hash_u64(*hash ^ hash_bytes(name, strlen(name), addr ^ (size << 20)));
		n++;
	}
	free(text);
	*out = m;
	return n;
}

/* Older files of this version belong to another boot or module set.  Other
 * versions' files are left to them: each version keeps its own. */
static void remove_stale(const char *dir, const char *keep)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, KSYMS_FILE_PREFIX, strlen(KSYMS_FILE_PREFIX)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (strcmp(path, keep))
			unlink(path);
	}
	if (d)
		closedir(d);
}

const char *cache_dir(void)
{
	const char *dir = getenv("PROFILER_CACHE_DIR");

	return dir && *dir ? dir : KALLSYMS_CACHE_DIR;
}

struct ksyms *kallsyms_cached(const char *dir, const char *kallsyms_path, bool *cached)
{
	struct ksyms_file_key key = { 0 };
	struct ksyms_module *mods = NULL;
	char path[PATH_MAX];
	struct ksyms *ks;
	size_t nmods;

	*cached = false;
	if (!boot_id(key.boot_id, sizeof(key.boot_id)))
		return ksyms_load(kallsyms_path);
	nmods = read_modules(&mods, &key.modules);
	snprintf(path, sizeof(path), "%s/" KSYMS_FILE_PREFIX "%s-%016llx", dir, key.boot_id,
		 (unsigned long long)key.modules);

	ks = ksyms_file_map(path, &key);
	if (ks) {
		*cached = true;
	} else {
		ks = ksyms_load(kallsyms_path);
		/* hidden addresses (kptr_restrict) are not worth keeping */
		if (ks && ks->n && (!mkdir(dir, 0700) || errno == EEXIST) &&
		    !ksyms_file_write(path, ks, &key, mods, nmods)) {
			struct ksyms *mapped = ksyms_file_map(path, &key);

			remove_stale(dir, path);
			/*
			 * The file just written, mapped, instead of the parse:
			 * 5.2 MiB of text and a 2 MiB array of heap for the
			 * rest of the run (the agent's first session after a
			 * boot, ten minutes) become clean pages given back.
			 */
			if (mapped) {
				ksyms_free(ks);
				ks = mapped;
			}
		}
	}
	free(mods);
	return ks;
}

bool kallsyms_covers(const struct ksyms *ks, uint64_t addr)
{
	if (!ks->from_cache || ks->extra)
		return true;
	if (addr >= ks->core_lo && addr < ks->core_hi)
		return true;
	for (size_t i = 0; i < ks->nmods; i++)
		if (addr >= ks->mods[i].lo && addr < ks->mods[i].hi)
			return true;
	return false;
}

const char *kallsyms_bpf_func(struct ksyms *ks, uint64_t addr)
{
	if (!ks->bpf_tried) {
		ks->bpf_tried = true;
		ks->bpf = ksyms_bpf_load();
		if (ks->bpf)
			pr_debug("kernel: %zu functions of loaded BPF programs listed through bpf()",
				 ks->bpf->n);
		else
			pr_debug("kernel: cannot list BPF programs (%s): /proc/kallsyms names them",
				 strerror(errno));
	}
	return ks->bpf ? ksyms_bpf_lookup(ks->bpf, addr) : NULL;
}

/* A module's line outside the cache's ranges, kept as it is. */
struct kept {
	char *s;
	size_t n, cap;
};

static void keep_uncovered(const struct ksyms *ks, const char *line, const char *end,
			   struct kept *k)
{
	/* "ffffffffa0000000 t bpf_prog_1234_x\t[bpf]": the core kernel's have no tab */
	if (!memchr(line, '\t', end - line) || kallsyms_covers(ks, strtoull(line, NULL, 16)))
		return;
	GROW_RAW(k->s, k->cap, k->n + (size_t)(end - line) + 2);
	memcpy(k->s + k->n, line, end - line);
	k->n += end - line;
	k->s[k->n++] = '\n';
}

/*
 * Measured under churn (cpu -a --cgroup, 20 s, profiled whole): parsing
 * and sorting all of /proc/kallsyms for one such address was 7% of our
 * CPU, its reading 8%.  The core kernel's lines, nine in ten, have no
 * module tag and are passed over at their first tab-free line end; only
 * the module lines the cache does not cover are parsed.  The file is
 * read KALLSYMS_CHUNK at a time, never whole: read whole, its 5.2 MiB of
 * text (and, before, its whole parse) were the agent's "8 MiB chunk" of
 * heap (docs/performance.md).
 */
int kallsyms_add_uncovered(struct ksyms *ks, const char *kallsyms_path)
{
	struct ksyms *old = ks->extra;
	struct kept k = { 0 };
	size_t have = 0;
	bool skip = false;
	char *buf;
	int fd, err = 0;

	fd = open(kallsyms_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ks->extra = NULL;	/* covers() below: the cache's ranges alone */
	buf = xmalloc(KALLSYMS_CHUNK + 1);
	for (;;) {
		ssize_t r = read(fd, buf + have, KALLSYMS_CHUNK - have);
		char *line = buf, *stop, *end;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		stop = buf + have + r;
		*stop = '\0';	/* strtoull stops there on a last line without its newline */
		for (; (end = memchr(line, '\n', stop - line)); line = end + 1) {
			if (!skip)
				keep_uncovered(ks, line, end, &k);
			skip = false;
		}
		if (!r) {	/* the end: a last line without its newline */
			if (line < stop && !skip)
				keep_uncovered(ks, line, stop, &k);
			break;
		}
		have = (size_t)(stop - line);
		if (have == KALLSYMS_CHUNK) {
			/* a line longer than any symbol's: not one, passed over */
			skip = true;
			have = 0;
		}
		memmove(buf, line, have);
	}
	free(buf);
	close(fd);
	if (err) {
		free(k.s);
		ks->extra = old;
		return err;
	}
	GROW_RAW(k.s, k.cap, k.n + 1);
	k.s[k.n] = '\0';
	ksyms_free(old);
	/* its names stay with the table: only what was kept */
	ks->extra = ksyms_parse(k.s);
	return 0;
}
