// SPDX-License-Identifier: GPL-2.0
/* The agent's --dir and --keep: see files.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/files.h"
#include "output/atomic_file.h"
#include "util/util.h"

#define SUFFIX ".pb.gz"

int keep_parse(struct keep *k, const char *arg)
{
	const char *p = arg;

	while (*p) {
		size_t len = strcspn(p, ",");
		char tok[32], *end;
		unsigned long long v;

		if (!len || len >= sizeof(tok))
			goto bad;
		memcpy(tok, p, len);
		tok[len] = '\0';
		errno = 0;
		v = strtoull(tok, &end, 10);
		if (errno || end == tok || !v || tok[0] == '-')
			goto bad;
		if (!*end)
			k->count = v > 1000000 ? 1000000 : (unsigned int)v;
		else if (!strcmp(end, "s") || !strcmp(end, "m") || !strcmp(end, "h") || !strcmp(end, "d"))
			k->age_s = v * (*end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : 86400);
		else if (!strcmp(end, "K") || !strcmp(end, "M") || !strcmp(end, "G"))
			k->bytes = v << (*end == 'K' ? 10 : *end == 'M' ? 20 : 30);
		else
			goto bad;
		p += len;
		p += *p == ',';
	}
	return 0;
bad:
	pr_err("invalid --keep '%s': give a number of windows (100), an age (30m, 24h, 7d), a total "
	       "size (500M, 2G), or several separated by commas", arg);
	return -EINVAL;
}

int dir_open(const char *dir)
{
	if (mkdir(dir, 0777) && errno != EEXIST) {
		pr_err("cannot make --dir %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (access(dir, W_OK | X_OK)) {
		pr_err("cannot write into --dir %s: %s (give a directory you can write)", dir,
		       strerror(errno));
		return -errno;
	}
	return 0;
}

int dir_write(const char *dir, const char *type, uint64_t start_ns, const void *data, size_t len)
{
	time_t t = (time_t)(start_ns / 1000000000ULL);
	struct atomic_file af;
	char path[4200], stamp[32];
	struct tm tm;
	int err;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(path, sizeof(path), "%s/%s-%s.%03lluZ" SUFFIX, dir, type, stamp,
		 (unsigned long long)(start_ns / 1000000ULL % 1000));
	err = afile_open(&af, path);
	if (!err) {
		if (fwrite(data, 1, len, af.f) != len)
			err = -EIO;
		if (!err)
			err = afile_publish(&af, true);
		afile_close(&af);
	}
	if (err)
		pr_warn("cannot write %s: %s", path, afile_strerror(err));
	return err;
}

struct entry {
	char *name;
	size_t type_len;	/* the TYPE part */
	uint64_t time_s;
	uint64_t size;
};

/* TYPE-YYYYMMDDTHHMMSS.mmmZ.pb.gz: the type's length and the time, or false. */
static bool ours(const char *name, size_t *type_len, uint64_t *time_s)
{
	size_t n = strlen(name), sl = strlen(SUFFIX);
	const char *dash = strrchr(name, '-');
	struct tm tm = {};
	char *end;

	if (n <= sl || strcmp(name + n - sl, SUFFIX) || !dash || dash == name)
		return false;
	end = strptime(dash + 1, "%Y%m%dT%H%M%S", &tm);
	if (!end || end[0] != '.' || strspn(end + 1, "0123456789") != 3 || strcmp(end + 4, "Z" SUFFIX))
		return false;
	*type_len = dash - name;
	*time_s = (uint64_t)timegm(&tm);
	return true;
}

static int by_time(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;

	/* newest first; the name (with its milliseconds) breaks ties */
	if (a->time_s != b->time_s)
		return a->time_s < b->time_s ? 1 : -1;
	return -strcmp(a->name, b->name);
}

/* By type, then newest first: a type's files are consecutive. */
static int by_type_time(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;
	int c = strncmp(a->name, b->name, MIN(a->type_len, b->type_len));

	if (c || a->type_len != b->type_len)
		return c ? c : a->type_len < b->type_len ? -1 : 1;
	return by_time(x, y);
}

static void drop(const char *dir, struct entry *e)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", dir, e->name);
	if (unlink(path) && errno != ENOENT)
		pr_warn("--keep: cannot remove %s: %s", path, strerror(errno));
	e->size = UINT64_MAX;	/* gone */
}

void dir_prune(const char *dir, const struct keep *k, uint64_t now_s)
{
	struct entry *e = NULL;
	size_t n = 0, cap = 0;
	uint64_t bytes = 0;
	DIR *d;
	struct dirent *de;

	if (!k->count && !k->age_s && !k->bytes)
		return;
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		size_t tl;
		uint64_t ts;

		if (!ours(de->d_name, &tl, &ts) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		GROW(e, cap, n + 1);
		e[n++] = (struct entry){ xstrdup(de->d_name), tl, ts, (uint64_t)st.st_size };
	}
	closedir(d);
	if (k->count) {
		unsigned int seen = 0;

		qsort(e, n, sizeof(*e), by_type_time);
		for (size_t i = 0; i < n; i++) {
			if (i && (e[i].type_len != e[i - 1].type_len ||
				  strncmp(e[i].name, e[i - 1].name, e[i].type_len)))
				seen = 0;
			if (++seen > k->count)
				drop(dir, &e[i]);
		}
	}
	qsort(e, n, sizeof(*e), by_time);
	for (size_t i = 0; i < n; i++) {
		if (e[i].size == UINT64_MAX)
			continue;
		bytes += e[i].size;
		if ((k->age_s && e[i].time_s + k->age_s < now_s) || (k->bytes && bytes > k->bytes)) {
			bytes -= e[i].size;
			drop(dir, &e[i]);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(e[i].name);
	free(e);
}
