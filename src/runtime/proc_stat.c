// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/proc_stat.h"
#include "util/util.h"

int proc_stat_parse(const char *text, struct proc_stat *st)
{
	const char *open = strchr(text, '('), *close = strrchr(text, ')');
	unsigned long long utime, stime;
	size_t len;
	char *end;
	long pid;

	/* "pid (comm) S ppid ...": comm may hold spaces and parentheses,
	 * so it ends at the last ')' of the line */
	if (!open || !close || close < open)
		return -EINVAL;
	errno = 0;
	pid = strtol(text, &end, 10);
	if (errno || end == text || pid <= 0 || pid > INT32_MAX || *end != ' ')
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->pid = (int)pid;
	len = (size_t)(close - open - 1);
	if (len >= sizeof(st->comm))
		len = sizeof(st->comm) - 1;
	memcpy(st->comm, open + 1, len);
	/* state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
	 * cmajflt utime stime: fields 3 to 15 of proc(5) */
	if (sscanf(close + 1, " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &st->state, &st->ppid, &utime, &stime) != 4 || !isalpha((unsigned char)st->state))
		return -EINVAL;
	st->cpu_ticks = utime + stime;
	return 0;
}

int proc_stat_read(int pid, struct proc_stat *st)
{
	char path[64], *text;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	text = read_file(path, NULL);
	if (!text)
		return -errno;
	err = proc_stat_parse(text, st);
	free(text);
	return err;
}

static int busiest_first(const void *a, const void *b)
{
	const struct proc_stat *x = a, *y = b;

	return (x->cpu_ticks < y->cpu_ticks) - (x->cpu_ticks > y->cpu_ticks);
}

/* Move the processes of all[at, n) whose parent is ppid to all[at...]; the new at. */
static size_t take_children(struct proc_stat *all, size_t n, size_t at, int ppid)
{
	for (size_t k = at; k < n; k++) {
		if (all[k].ppid == ppid) {
			struct proc_stat t = all[at];

			all[at++] = all[k];
			all[k] = t;
		}
	}
	return at;
}

int proc_descendants(int pid, struct proc_stat *out, int max)
{
	struct proc_stat *all = NULL, st;
	size_t n = 0, cap = 0, mine = 0;
	struct dirent *de;
	DIR *d;

	/* no /proc/PID/task/TID/children without CONFIG_PROC_CHILDREN
	 * (this machine's kernel has none): every process's ppid instead */
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]) || proc_stat_read(atoi(de->d_name), &st) ||
		    st.state == 'Z' || st.state == 'X')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			all = xrealloc(all, cap * sizeof(*all));
		}
		all[n++] = st;
	}
	closedir(d);
	/* pid's children to the front, then theirs: all[0, mine) are the
	 * descendants found so far, each moved there once */
	mine = take_children(all, n, 0, pid);
	for (size_t i = 0; i < mine; i++)
		mine = take_children(all, n, mine, all[i].pid);
	if (mine)
		qsort(all, mine, sizeof(*all), busiest_first);
	if (mine > (size_t)max)
		mine = (size_t)max;
	if (mine)
		memcpy(out, all, mine * sizeof(*out));
	free(all);
	return (int)mine;
}
