/* SPDX-License-Identifier: GPL-2.0 */
/* A collector's own per-CPU loss counters, read into a profile. */
#ifndef PROFILER_DROP_COUNTS_H
#define PROFILER_DROP_COUNTS_H

#include <stdbool.h>
#include <stdint.h>

struct bpf_map;
struct profile;

/*
 * Each counter r < n of the per-CPU array map, summed over CPUs, as the
 * loss what[r][0] with the hint what[r][1], less before[r]: with -i each
 * report has what was lost since the last.  before[r] is updated.
 */
void drop_counts_read(struct bpf_map *map, uint32_t n, const char *const (*what)[2],
		      uint64_t *before, bool whole, struct profile *p);

#endif /* PROFILER_DROP_COUNTS_H */
