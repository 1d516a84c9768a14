// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "symbol/debuginfo.h"
#include "util/file_limits.h"
#include "util/root_open.h"
#include "util/util.h"

/* .gnu_debuglink's CRC is the common CRC32 (zlib's) of the whole file. */
static bool crc_matches(int fd, uint32_t want)
{
	struct stat st;
	uint32_t crc;
	void *map;

	if (fstat(fd, &st) || !st.st_size)
		return false;
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return false;
	crc = crc32(0, map, st.st_size);
	munmap(map, st.st_size);
	return crc == want;
}

static int open_build_id(const char *root, const struct elf_syms *es)
{
	char path[PATH_MAX], *p;
	int n;

	if (es->build_id_len < 2)
		return -1;
	n = snprintf(path, sizeof(path), "%s/.build-id/%02x/", root, es->build_id[0]);
	p = path + n;
	for (size_t i = 1; i < es->build_id_len; i++, p += 2)
		sprintf(p, "%02x", es->build_id[i]);
	strcpy(p, ".debug");
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* gdb's order: next to the binary, in its .debug/ (both in the target's
 * root: a container's symlinks stay inside it), under the debug root. */
static int open_debuglink(const char *root, const char *target_root, const char *bin,
			  const struct elf_syms *es)
{
	char dir[PATH_MAX], path[PATH_MAX + NAME_MAX + 16];
	size_t len;

	if (!es->debuglink || strchr(es->debuglink, '/'))
		return -1;
	snprintf(dir, sizeof(dir), "%s", bin);
	len = strlen(dir);
	if (len > 10 && !strcmp(dir + len - 10, " (deleted)"))
		dir[len - 10] = '\0';
	if (!strrchr(dir, '/'))
		return -1;
	*strrchr(dir, '/') = '\0';
	for (int i = 0; i < 3; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s%s%s/%s", i == 2 ? root : "", dir,
			 i == 1 ? "/.debug" : "", es->debuglink);
		if (!strcmp(path, bin))
			continue;	/* the binary names itself */
		fd = i == 2 || !target_root ? open(path, O_RDONLY | O_CLOEXEC) :
					      root_open(target_root, path, O_RDONLY);
		if (fd < 0)
			continue;
		if (crc_matches(fd, es->debuglink_crc))
			return fd;
		pr_debug("%s: CRC does not match %s's .gnu_debuglink; ignored", path, bin);
		close(fd);
	}
	return -1;
}

int debuginfo_open(const char *root, const char *target_root, const char *path,
		   const struct elf_syms *es)
{
	int fd;

	if (!root)
		root = DEBUGINFO_ROOT;
	fd = open_build_id(root, es);
	if (fd < 0)
		fd = open_debuglink(root, target_root, path, es);
	return fd;
}

/* Decompress an xz stream whole; NULL on failure. */
static void *xz_decode(const void *in, size_t in_len, size_t *out_len)
{
	lzma_stream s = LZMA_STREAM_INIT;
	size_t cap = in_len * 4 + 4096;
	uint8_t *out = xmalloc(cap);
	lzma_ret r;

	if (lzma_stream_decoder(&s, 256 << 20, 0) != LZMA_OK) {
		free(out);
		return NULL;
	}
	s.next_in = in;
	s.avail_in = in_len;
	s.next_out = out;
	s.avail_out = cap;
	while ((r = lzma_code(&s, LZMA_FINISH)) == LZMA_OK) {
		size_t done = s.next_out - out;

		if (cap >= LIMIT_XZ_BYTES)
			break;	/* an xz bomb: r is not LZMA_STREAM_END */
		cap *= 2;
		out = xrealloc(out, cap);
		s.next_out = out + done;
		s.avail_out = cap - done;
	}
	*out_len = s.next_out - out;
	lzma_end(&s);
	if (r != LZMA_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

size_t debuginfo_add_symbols(const char *root, const char *target_root, const char *path,
			     struct elf_syms *es)
{
	struct elf_syms *dbg = NULL;
	size_t before = es->n;

	if (es->has_symtab)
		return 0;
	/* a whole debug file says more than MiniDebugInfo's few symbols */
	int fd = debuginfo_open(root, target_root, path, es);

	if (fd >= 0) {
		dbg = elf_syms_from_fd(fd);
		close(fd);
	}
	if (!dbg && es->debugdata) {
		size_t len;
		void *img = xz_decode(es->debugdata, es->debugdata_len, &len);

		if (img) {
			dbg = elf_syms_from_mem(img, len);
			free(img);
		}
		if (!dbg)
			pr_debug("%s: cannot read its MiniDebugInfo (damaged, or more than %u MiB)",
				 path, LIMIT_XZ_BYTES >> 20);
	}
	if (!dbg)
		return 0;
	elf_syms_merge(es, dbg);
	elf_syms_free(dbg);
	return es->n > before ? es->n - before : 0;
}
