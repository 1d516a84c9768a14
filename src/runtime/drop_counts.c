// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "model/profile.h"
#include "runtime/drop_counts.h"
#include "util/util.h"

void drop_counts_read(struct bpf_map *map, uint32_t n, const char *const (*what)[2],
		      uint64_t *before, bool whole, struct profile *p)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals = xcalloc(ncpu > 0 ? ncpu : 1, sizeof(*vals));

	for (uint32_t r = 0; r < n; r++) {
		uint64_t sum = 0;

		if (bpf_map_lookup_elem(bpf_map__fd(map), &r, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			sum += vals[c];
		/* whole: the run so far, without moving the window */
		profile_add_loss(p, what[r][0], whole ? sum : sum - before[r], what[r][1]);
		if (!whole)
			before[r] = sum;
	}
	free(vals);
}
