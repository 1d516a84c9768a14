// SPDX-License-Identifier: GPL-2.0
#include "model/histogram.h"

int hist_bucket(int64_t scale, int64_t v)
{
	int k = 0;

	if (scale <= 0)
		scale = 1;
	if (v < scale)
		return 0;
	for (uint64_t q = (uint64_t)(v / scale); q && k < HIST_BUCKETS - 1; q >>= 1)
		k++;
	return k;
}

int64_t hist_bucket_lo(int64_t scale, int k)
{
	return k <= 0 ? 0 : scale << (k - 1);
}

int64_t hist_bucket_hi(int64_t scale, int k)
{
	return k >= HIST_BUCKETS - 1 ? INT64_MAX : scale << k;
}

void hist_add(struct histogram *h, int64_t v)
{
	h->buckets[hist_bucket(h->scale, v)]++;
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

double hist_percentile(const struct histogram *h, double q)
{
	double want = q * (double)h->count, seen = 0;

	if (!h->count)
		return 0;
	for (int k = 0; k < HIST_BUCKETS; k++) {
		double lo, hi, v;

		if (!h->buckets[k] || seen + (double)h->buckets[k] < want) {
			seen += (double)h->buckets[k];
			continue;
		}
		lo = (double)hist_bucket_lo(h->scale, k);
		hi = (double)hist_bucket_hi(h->scale, k);
		/* The top occupied bucket ends at the largest value seen. */
		if (h->max > 0 && hi > (double)h->max + 1)
			hi = (double)h->max + 1;
		if (hi < lo)
			hi = lo;
		v = lo + (hi - lo) * (want - seen) / (double)h->buckets[k];
		return h->max > 0 && v > (double)h->max ? (double)h->max : v;
	}
	return (double)h->max;
}
