// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbol/kallsyms_cache.h"
#include "util/util.h"

struct module_info {
	char name[64];
	uint64_t addr, size;
};

/* /proc/modules: "name size refs deps state address" per line */
static size_t read_modules(struct module_info **out, uint64_t *hash)
{
	char *text = read_file("/proc/modules", NULL), *line, *next;
	struct module_info *m = NULL;
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
		m[n].addr = addr;
		m[n].size = size;
		/* reference counts change all the time: name, address and size only */
		*hash = hash_u64(*hash ^ hash_bytes(name, strlen(name), addr ^ (size << 20)));
		n++;
	}
	free(text);
	*out = m;
	return n;
}

static const struct module_info *find_module(const struct module_info *m, size_t n,
					     const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(m[i].name, name))
			return &m[i];
	return NULL;
}

/* Keep only the core kernel and loaded modules: [bpf] and the like come
 * and go, and are looked up in /proc/kallsyms itself. */
static int write_cache(const char *dir, const char *path, const struct ksyms *ks,
		       const struct module_info *mods, size_t nmods)
{
	char tmp[PATH_MAX + 16];
	FILE *f;
	int fd;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ks->n; i++) {
		const struct ksym *k = &ks->syms[i];

		if (k->module && !find_module(mods, nmods, k->module))
			continue;
		if (k->module)
			fprintf(f, "%llx t %s\t[%s]\n", (unsigned long long)k->addr, k->name, k->module);
		else
			fprintf(f, "%llx t %s\n", (unsigned long long)k->addr, k->name);
	}
	if (fclose(f) || rename(tmp, path)) {
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

/* Older files of this cache belong to another boot or module set. */
static void remove_stale(const char *dir, const char *keep)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "kallsyms-", 9))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (strcmp(path, keep))
			unlink(path);
	}
	if (d)
		closedir(d);
}

static void set_ranges(struct ksyms *ks, const struct module_info *mods, size_t nmods)
{
	ks->from_cache = true;
	ks->core_lo = UINT64_MAX;
	for (size_t i = 0; i < ks->n; i++) {
		if (ks->syms[i].module)
			continue;
		if (ks->syms[i].addr < ks->core_lo)
			ks->core_lo = ks->syms[i].addr;
		if (!strcmp(ks->syms[i].name, "_etext"))
			ks->core_hi = ks->syms[i].addr;
	}
	ks->mods = xcalloc(nmods, sizeof(*ks->mods));
	for (size_t i = 0; i < nmods; i++)
		ks->mods[ks->nmods++] = (struct ksym_range){ mods[i].addr, mods[i].addr + mods[i].size };
}

struct ksyms *kallsyms_cached(const char *dir, const char *kallsyms_path, bool *cached)
{
	struct module_info *mods = NULL;
	char path[PATH_MAX], *boot;
	struct ksyms *ks = NULL;
	uint64_t mhash;
	size_t nmods;
	struct stat st;

	*cached = false;
	boot = read_file("/proc/sys/kernel/random/boot_id", NULL);
	if (!boot)
		return ksyms_load(kallsyms_path);
	boot[strcspn(boot, "\n")] = '\0';
	nmods = read_modules(&mods, &mhash);
	snprintf(path, sizeof(path), "%s/kallsyms-%s-%016llx", dir, boot,
		 (unsigned long long)mhash);
	free(boot);

	/* only a file root wrote and nobody else may change */
	if (!stat(path, &st) && st.st_uid == 0 && !(st.st_mode & 022))
		ks = ksyms_load(path);
	if (ks && ks->n) {
		set_ranges(ks, mods, nmods);
		/* without _etext the core range is unknown: do not trust it */
		if (!ks->core_hi) {
			ksyms_free(ks);
			ks = NULL;
		} else {
			*cached = true;
		}
	} else if (ks) {
		ksyms_free(ks);
		ks = NULL;
	}
	if (!ks) {
		ks = ksyms_load(kallsyms_path);
		/* hidden addresses (kptr_restrict) are not worth keeping */
		if (ks && ks->n && !write_cache(dir, path, ks, mods, nmods))
			remove_stale(dir, path);
	}
	free(mods);
	return ks;
}

bool kallsyms_covers(const struct ksyms *ks, uint64_t addr)
{
	if (!ks->from_cache)
		return true;
	if (addr >= ks->core_lo && addr < ks->core_hi)
		return true;
	for (size_t i = 0; i < ks->nmods; i++)
		if (addr >= ks->mods[i].lo && addr < ks->mods[i].hi)
			return true;
	return false;
}
