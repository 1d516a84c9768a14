/* SPDX-License-Identifier: GPL-2.0 */
/* A process's line of /proc/PID/stat, and a process's descendants from them. */
#ifndef PROFILER_PROC_STAT_H
#define PROFILER_PROC_STAT_H

#include <stdint.h>

struct proc_stat {
	int pid, ppid;
	char state;		/* R, S, D, Z, T ... */
	char comm[17];		/* TASK_COMM_LEN and a NUL */
	uint64_t cpu_ticks;	/* utime + stime, in clock ticks */
};

/* Parse one /proc/PID/stat line: 0, or -EINVAL when it is not one. */
int proc_stat_parse(const char *text, struct proc_stat *st);
/* Read and parse /proc/PID/stat: 0 or -errno. */
int proc_stat_read(int pid, struct proc_stat *st);
/*
 * The live descendants of pid (children, theirs, ...; not zombies), most
 * CPU used first: at most max into out; returns how many, or -errno.
 * Reads all of /proc: for a message at the end of a run, not a hot path.
 */
int proc_descendants(int pid, struct proc_stat *out, int max);

#endif /* PROFILER_PROC_STAT_H */
