// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbol/kallsyms_file.h"
#include "util/util.h"

/* entries and ranges follow the header: keep them aligned */
_Static_assert(sizeof(struct ksyms_file_hdr) % 8 == 0, "ksyms_file_hdr size");

struct strtab {
	char *s;
	size_t len, cap;
};

static uint32_t strtab_add(struct strtab *t, const char *s)
{
	size_t n = strlen(s) + 1;
	uint32_t off = (uint32_t)t->len;

	GROW(t->s, t->cap, t->len + n);
	memcpy(t->s + t->len, s, n);
	t->len += n;
	return off;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int ksyms_file_write(const char *path, const struct ksyms *ks, const struct ksyms_file_key *key,
		     const struct ksyms_module *mods, size_t nmods)
{
	struct ksyms_file_hdr hdr = { .magic = KSYMS_FILE_MAGIC };
	struct ksym_entry *out = xcalloc(ks->n ? ks->n : 1, sizeof(*out));
	struct ksym_range *ranges = xcalloc(nmods ? nmods : 1, sizeof(*ranges));
	uint32_t *mod_off = xcalloc(nmods ? nmods : 1, sizeof(*mod_off));
	struct strtab t = { 0 };
	char tmp[PATH_MAX + 16];
	uint32_t last_in = KSYM_NO_MODULE, last_out = KSYM_NO_MODULE;
	size_t n = 0;
	int fd, err;

	hdr.core_lo = UINT64_MAX;
	for (size_t i = 0; i < nmods; i++) {
		mod_off[i] = strtab_add(&t, mods[i].name);
		ranges[i] = mods[i].range;
	}
	for (size_t i = 0; i < ks->n; i++) {
		const struct ksym_entry *e = &ks->syms[i];
		uint32_t m = KSYM_NO_MODULE;

		if (e->module != KSYM_NO_MODULE) {
			/* only loaded modules: [bpf] and the like come and go */
			if (e->module != last_in) {
				size_t k;

				for (k = 0; k < nmods && strcmp(mods[k].name, ks->strs + e->module); k++)
					;
				last_in = e->module;
				last_out = k < nmods ? mod_off[k] : KSYM_NO_MODULE;
			}
			if (last_out == KSYM_NO_MODULE)
				continue;
			m = last_out;
		} else {
			if (e->addr < hdr.core_lo)
				hdr.core_lo = e->addr;
			if (!strcmp(ks->strs + e->name, "_etext"))
				hdr.core_hi = e->addr;
		}
		out[n++] = (struct ksym_entry){ e->addr, strtab_add(&t, ks->strs + e->name), m };
	}
	err = -EINVAL;
	/* without _etext the core range is unknown; names past 4 GB cannot be named */
	if (!hdr.core_hi || hdr.core_lo >= hdr.core_hi || t.len > UINT32_MAX)
		goto out;
	hdr.version = KSYMS_FILE_VERSION;
	hdr.hdr_size = sizeof(hdr);
	hdr.entry_size = sizeof(*out);
	hdr.range_size = sizeof(*ranges);
	hdr.nsyms = n;
	hdr.nmods = nmods;
	hdr.strs_size = t.len;
	hdr.file_size = sizeof(hdr) + n * sizeof(*out) + nmods * sizeof(*ranges) + t.len;
	hdr.key = *key;

	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = write_all(fd, &hdr, sizeof(hdr));
	if (!err)
		err = write_all(fd, out, n * sizeof(*out));
	if (!err)
		err = write_all(fd, ranges, nmods * sizeof(*ranges));
	if (!err)
		err = write_all(fd, t.s, t.len);
	if (close(fd) && !err)
		err = -EIO;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
out:
	free(out);
	free(ranges);
	free(mod_off);
	free(t.s);
	return err;
}

/* Everything the header claims, checked against the file's real size. */
static bool header_valid(const struct ksyms_file_hdr *h, size_t size,
			 const struct ksyms_file_key *key)
{
	uint64_t room;

	if (memcmp(h->magic, KSYMS_FILE_MAGIC, sizeof(h->magic)) || h->version != KSYMS_FILE_VERSION ||
	    h->hdr_size != sizeof(*h) || h->entry_size != sizeof(struct ksym_entry) ||
	    h->range_size != sizeof(struct ksym_range) || h->file_size != size)
		return false;
	if (memcmp(&h->key, key, sizeof(*key)))
		return false;
	room = size - sizeof(*h);
	/* each count against what is left, so that no product overflows */
	if (h->nsyms > room / sizeof(struct ksym_entry))
		return false;
	room -= h->nsyms * sizeof(struct ksym_entry);
	if (h->nmods > room / sizeof(struct ksym_range))
		return false;
	room -= h->nmods * sizeof(struct ksym_range);
	return h->strs_size == room && room > 0 && room <= UINT32_MAX &&
	       h->nsyms > 0 && h->core_lo < h->core_hi;
}

/* Order and string offsets of every entry: a lookup then needs no check. */
static bool table_valid(const struct ksyms *ks, size_t strs_size)
{
	if (ks->strs[strs_size - 1])
		return false;
	for (size_t i = 0; i < ks->n; i++) {
		const struct ksym_entry *e = &ks->syms[i];

		if (e->name >= strs_size || (e->module != KSYM_NO_MODULE && e->module >= strs_size) ||
		    (i && e->addr <= ks->syms[i - 1].addr))
			return false;
	}
	for (size_t i = 0; i < ks->nmods; i++)
		if (ks->mods[i].lo > ks->mods[i].hi)
			return false;
	return true;
}

struct ksyms *ksyms_file_from_map(void *map, size_t size, const struct ksyms_file_key *key)
{
	const struct ksyms_file_hdr *h = map;
	struct ksyms *ks;
	const char *p;

	if (size <= sizeof(*h) || !header_valid(h, size, key)) {
		munmap(map, size);
		errno = EINVAL;
		return NULL;
	}
	ks = xcalloc(1, sizeof(*ks));
	ks->map = map;
	ks->map_size = size;
	p = (const char *)map + sizeof(*h);
	ks->syms = (const struct ksym_entry *)p;
	ks->n = h->nsyms;
	p += h->nsyms * sizeof(struct ksym_entry);
	ks->mods = (const struct ksym_range *)p;
	ks->nmods = h->nmods;
	p += h->nmods * sizeof(struct ksym_range);
	ks->strs = p;
	ks->from_cache = true;
	ks->core_lo = h->core_lo;
	ks->core_hi = h->core_hi;
	if (!table_valid(ks, h->strs_size)) {
		ksyms_free(ks);
		errno = EINVAL;
		return NULL;
	}
	return ks;
}

struct ksyms *ksyms_file_map(const char *path, const struct ksyms_file_key *key)
{
	struct stat st;
	void *map;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	/* only a file root wrote and nobody else may change */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022) ||
	    (size_t)st.st_size <= sizeof(struct ksyms_file_hdr)) {
		close(fd);
		errno = EPERM;
		return NULL;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return NULL;
	return ksyms_file_from_map(map, (size_t)st.st_size, key);
}
