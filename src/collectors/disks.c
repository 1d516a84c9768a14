// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/disks.h"
#include "util/util.h"

#define MINORBITS 20	/* the kernel's dev_t, not user space's */

int disk_dev(const char *name, uint32_t *dev)
{
	char path[256], *text;
	unsigned int maj, min;
	int ok;

	if (!strncmp(name, "/dev/", 5))
		name += 5;
	if (!*name || strchr(name, '/') || strlen(name) > 64)
		return -ENOENT;
	snprintf(path, sizeof(path), "/sys/block/%s/dev", name);
	text = read_file(path, NULL);
	if (!text)
		return -ENOENT;
	ok = sscanf(text, "%u:%u", &maj, &min) == 2;
	free(text);
	if (!ok)
		return -ENOENT;
	*dev = maj << MINORBITS | min;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *disk_list(void)
{
	DIR *d = opendir("/sys/block");
	struct dirent *e;
	char **names = NULL, *out;
	size_t n = 0, cap = 0, len = 1;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		GROW(names, cap, n + 1);
		names[n++] = xstrdup(e->d_name);
		len += strlen(e->d_name) + 1;
	}
	if (d)
		closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	out = xcalloc(1, len);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, names[i]);
		free(names[i]);
	}
	free(names);
	return out;
}

const char *disk_name(uint32_t dev, char *buf, size_t size)
{
	unsigned int maj = dev >> MINORBITS, min = dev & ((1U << MINORBITS) - 1);
	char path[64], *text, *p;

	snprintf(buf, size, "%u:%u", maj, min);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", maj, min);
	text = read_file(path, NULL);
	if (!text)
		return buf;
	p = strstr(text, "DEVNAME=");
	if (p) {
		p += 8;
		snprintf(buf, size, "%.*s", (int)strcspn(p, "\n"), p);
	}
	free(text);
	return buf;
}
