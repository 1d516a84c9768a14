/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /proc/kallsyms costs the kernel some 45 ms of CPU to print, every run:
 * half of what a short profile costs.  Its function symbols are kept under
 * /run/profiler for the life of the boot, keyed by the boot id and the
 * loaded modules (name, address, size), and trusted only for addresses in
 * the core kernel's text or a module's range; anything else (BPF programs,
 * trampolines) sends the symbolizer to /proc/kallsyms itself.
 */
#ifndef PROFILER_KALLSYMS_CACHE_H
#define PROFILER_KALLSYMS_CACHE_H

#include <stdbool.h>

#include "symbol/kallsyms.h"

#define KALLSYMS_CACHE_DIR "/run/profiler"

/* The cache directory: PROFILER_CACHE_DIR, else KALLSYMS_CACHE_DIR. */
const char *cache_dir(void);
/* From the cache when it matches this boot and these modules, else from
 * kallsyms_path (written to the cache for next time, and then mapped from
 * it as a hit would be).  *cached says which. */
struct ksyms *kallsyms_cached(const char *cache_dir, const char *kallsyms_path, bool *cached);
/* Whether a table read from the cache can answer for addr. */
bool kallsyms_covers(const struct ksyms *ks, uint64_t addr);
/*
 * For an address the cache does not cover: the BPF program function
 * holding it, named as /proc/kallsyms names it (module "bpf"), from the
 * bpf() system call (kallsyms_bpf.h); NULL when it is none of them (a
 * trampoline, an ftrace or kprobe page): then only /proc/kallsyms knows.
 */
const char *kallsyms_bpf_func(struct ksyms *ks, uint64_t addr);
/*
 * Read kallsyms_path for what the cache left out: the lines of modules it
 * does not cover ([bpf], [__builtin__ftrace], [__builtin__kprobes]) go to
 * ks->extra, and ks then answers for every address as the whole file,
 * parsed, would.  0, or -errno when the file cannot be read.
 */
int kallsyms_add_uncovered(struct ksyms *ks, const char *kallsyms_path);

#endif /* PROFILER_KALLSYMS_CACHE_H */
