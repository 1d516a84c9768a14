/* SPDX-License-Identifier: GPL-2.0 */
/* What is checked before anything is loaded, each with a message that names the fix. */
#ifndef PROFILER_PREFLIGHT_H
#define PROFILER_PREFLIGHT_H

#include <stdbool.h>
#include <stdint.h>

int check_privileges(void);
int check_btf(void);
/* 0, or -ENOTSUP (said) where perf events' programs cannot use maps that
 * allocate as they fill (before 6.1) */
int check_kernel_maps(void);
/* The online CPUs, from /sys/devices/system/cpu/online. */
int online_cpus(int **cpus, int *n);
/* A process or thread that exists and is not a zombie. */
bool proc_alive(int pid);
/* Whether the kernel's BTF has the kfunc name (its strings read in chunks: ~3 ms). */
bool kernel_has_kfunc(const char *name);
/* Whether it has every one of the n kfuncs names (one read of the BTF). */
bool kernel_has_kfuncs(const char *const *names, int n);
/*
 * Whether the kernel has the tracepoint name, by its btf_trace_NAME
 * typedef (the same read; libbpf_find_vmlinux_btf_id parses the whole
 * BTF for it, ~50 ms of faults here).
 */
bool kernel_has_tracepoint(const char *name);
/* Raise the open-file limit: the symbolizer keeps one file open per binary. */
void raise_fd_limit(void);

#endif /* PROFILER_PREFLIGHT_H */
