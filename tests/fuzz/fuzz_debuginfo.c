// SPDX-License-Identifier: GPL-2.0
/*
 * Separate debug files (src/symbol/debuginfo.c).  The first byte picks the
 * way in: even, the rest is a MiniDebugInfo xz stream; odd, the rest is a
 * debug file named by .gnu_debuglink beside the binary, with its true CRC
 * (bit 1 clear: read as an ELF file) or a wrong one (bit 1 set: refused).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "fuzz.h"
#include "symbol/debuginfo.h"

/* a directory of this process's own for the debug file */
static const char *work_dir(void)
{
	static char dir[] = "/tmp/profiler-fuzz-debuginfo-XXXXXX";
	static bool made;

	if (!made && !mkdtemp(dir))
		abort();
	made = true;
	return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_syms *es;
	char bin[PATH_MAX], dbg[PATH_MAX + 16], root[PATH_MAX + 16];
	int fd;

	if (!size)
		return 0;
	es = elf_syms_new();
	if (!(data[0] & 1)) {
		es->debugdata = xmalloc(size);
		memcpy(es->debugdata, data + 1, size - 1);
		es->debugdata_len = size - 1;
	} else {
		snprintf(bin, sizeof(bin), "%s/bin", work_dir());
		snprintf(dbg, sizeof(dbg), "%s.debug", bin);
		fd = open(dbg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
			abort();
		close(fd);
		es->debuglink = xstrdup("bin.debug");
		es->debuglink_crc = crc32(0, data + 1, size - 1) ^ (data[0] & 2 ? 1 : 0);
	}
	snprintf(root, sizeof(root), "%s/debug-root", work_dir());
	debuginfo_add_symbols(root, NULL, data[0] & 1 ? bin : "/nonexistent/bin", es);
	for (size_t i = 0; i < es->n; i++)
		elf_syms_name(es, &es->syms[i]);
	elf_syms_free(es);
	return 0;
}
