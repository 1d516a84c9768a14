// SPDX-License-Identifier: GPL-2.0
/* A saved profile from a file: gzip or raw profile.proto, else folded text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "input/input.h"
#include "util/file_limits.h"
#include "util/util.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		GROW(buf, cap, n + 65536);
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	} else {
		GROW(buf, cap, n + 1);
		buf[n] = '\0';
		*len = n;
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

static uint8_t *gunzip(const uint8_t *data, size_t len, size_t *out_len)
{
	z_stream z = {};
	uint8_t *out = NULL;
	size_t cap = 0;
	int zr;

	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return NULL;
	z.next_in = (uint8_t *)data;
	z.avail_in = len;
	do {
		/* a gzip bomb: stop (zr stays Z_OK, not Z_STREAM_END) */
		if (z.total_out > LIMIT_GUNZIP_BYTES)
			break;
		GROW(out, cap, z.total_out + 65536);
		z.next_out = out + z.total_out;
		z.avail_out = cap - z.total_out;
		zr = inflate(&z, Z_NO_FLUSH);
	} while (zr == Z_OK);
	*out_len = z.total_out;
	inflateEnd(&z);
	if (zr != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

/* Text has no NUL and no control bytes but tabs, CR and newlines. */
static bool is_text(const char *data, size_t len)
{
	for (size_t i = 0; i < len && i < 4096; i++) {
		unsigned char c = data[i];

		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t')
			return false;
	}
	return true;
}

struct profile *profile_parse(const char *data, size_t len, const char *name)
{
	struct profile *p = NULL;
	size_t raw_len;
	uint8_t *raw;

	if (len >= 2 && (uint8_t)data[0] == 0x1f && (uint8_t)data[1] == 0x8b) {
		raw = gunzip((const uint8_t *)data, len, &raw_len);
		if (!raw)
			pr_err("%s: damaged gzip data, or more than %llu GiB uncompressed: was the file cut short?",
			       name, (unsigned long long)(LIMIT_GUNZIP_BYTES >> 30));
		else
			p = read_pprof(raw, raw_len, name);
		free(raw);
	} else if (!len) {
		pr_err("%s is empty: give a profile written with -o (folded or pprof)", name);
	} else if (is_text(data, len)) {
		p = read_folded(data, len, name);
	} else {
		p = read_pprof((const uint8_t *)data, len, name);
	}
	return p;
}

struct profile *profile_read(const char *path)
{
	struct profile *p;
	size_t len = 0;
	char *data = slurp(path, &len);

	if (!data) {
		pr_err("cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	p = profile_parse(data, len, path);
	free(data);
	return p;
}
