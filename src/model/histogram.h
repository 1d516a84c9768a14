/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Log2 histograms of a value with a unit (latencies, sizes), and the
 * arithmetic on them: which bucket a value falls in, a bucket's bounds,
 * and percentiles estimated by interpolating within a bucket.
 *
 * Bucket 0 holds [0, scale); bucket k > 0 holds [scale * 2^(k-1),
 * scale * 2^k).  With nanosecond values and scale 1000, the buckets are
 * <1 us, 1-2 us, 2-4 us, ... as biolatency prints them.
 */
#ifndef PROFILER_HISTOGRAM_H
#define PROFILER_HISTOGRAM_H

#include <stdint.h>

#define HIST_BUCKETS 64

struct histogram {
	const char *name;	/* "vda write", interned */
	const char *unit;	/* of the values: "nanoseconds", "bytes" */
	int64_t scale;		/* the upper bound of bucket 0, in unit */
	uint64_t buckets[HIST_BUCKETS];
	uint64_t count;
	int64_t sum;
	int64_t max;
};

int hist_bucket(int64_t scale, int64_t v);
/* Bounds of bucket k: [lo, hi). */
int64_t hist_bucket_lo(int64_t scale, int k);
int64_t hist_bucket_hi(int64_t scale, int k);
void hist_add(struct histogram *h, int64_t v);
/*
 * The value below which a fraction q (0..1) of the values lie, assuming
 * values spread evenly within a bucket: an estimate, never above max.
 * 0 for an empty histogram.
 */
double hist_percentile(const struct histogram *h, double q);

#endif /* PROFILER_HISTOGRAM_H */
