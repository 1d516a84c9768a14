/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cpu collector's sample counts, drained from the kernel as they come:
 * BPF counts into one of two hash maps (bpf/cpu.bpf.c, counts_sel picks
 * which); user space swaps them when the one being filled is half full and
 * folds the other into a table of its own, so a long run never fills the
 * kernel's map.  Each take hands over what came since the last one.
 */
#ifndef PROFILER_CPU_COUNTS_H
#define PROFILER_CPU_COUNTS_H

#include <stdint.h>

#include "cpu.h"

struct cpu_counts;

/*
 * sel_fd: the ARRAY_OF_MAPS with one slot; fds: the two counts maps of
 * max_entries each; added: BPF's count of keys it inserted (its .bss).
 * Points the slot at the first map.  NULL with errno set on failure.
 */
struct cpu_counts *cpu_counts_new(int sel_fd, const int fds[2], uint32_t max_entries,
				  const volatile __u64 *added);
/* Drain when the map being filled is half full; cheap otherwise. */
void cpu_counts_tick(struct cpu_counts *c);
/*
 * Everything counted since the last take, one entry per key: *keys and
 * *counts stay owned by c until the next take.  Returns how many.
 */
size_t cpu_counts_take(struct cpu_counts *c, const struct cpu_key **keys,
		       const uint64_t **counts);
/* The last take's keys and counts freed (copied into the profile): they
 * are not kept through naming and writing (12.6 MiB after 2 min of churn). */
void cpu_counts_release(struct cpu_counts *c);
/* Only the last take's first n entries are still needed: the rest freed
 * (the keys are copied into the profile from the last one down); *keys and
 * *counts are where the first n are now. */
void cpu_counts_trim(struct cpu_counts *c, size_t n, const struct cpu_key **keys,
		     const uint64_t **counts);
/* How often the maps were swapped, and the entries moved, for -v. */
void cpu_counts_stats(const struct cpu_counts *c, uint64_t *swaps, uint64_t *moved);
void cpu_counts_free(struct cpu_counts *c);

#endif /* PROFILER_CPU_COUNTS_H */
