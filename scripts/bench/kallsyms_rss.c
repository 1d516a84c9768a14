// SPDX-License-Identifier: GPL-2.0
/*
 * What kernel naming's kallsyms paths cost in memory (scripts/bench/
 * kallsyms_rss.sh builds it against the build's objects):
 *   fallback: the cache mapped as a session has it, then one
 *     kallsyms_add_uncovered(/proc/kallsyms): VmHWM, VmRSS and RssAnon
 *     added (KiB), its CPU, the symbols kept;
 *   miss DIR: kallsyms_cached() into an empty DIR: what the table holds
 *     afterwards, and after the agent's drop of clean pages.
 */
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "symbol/kallsyms_cache.h"

static void status(long v[3])
{
	FILE *f = fopen("/proc/self/status", "r");
	char l[256];

	while (f && fgets(l, sizeof(l), f)) {
		sscanf(l, "VmHWM: %ld", &v[0]);
		sscanf(l, "VmRSS: %ld", &v[1]);
		sscanf(l, "RssAnon: %ld", &v[2]);
	}
	if (f)
		fclose(f);
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	long a[3] = { 0 }, b[3] = { 0 }, c[3] = { 0 };
	struct ksyms *ks;
	struct ksym s;
	bool cached;
	double t;

	mallopt(M_MMAP_THRESHOLD, 256 << 10);	/* as the agent */
	if (argc == 3 && !strcmp(argv[1], "miss")) {
		status(a);
		ks = kallsyms_cached(argv[2], "/proc/kallsyms", &cached);
		if (!ks || cached)
			return 1;
		ksyms_lookup(ks, 0xffffffff81100000ULL, &s);
		status(b);
		if (ks->map)
			madvise(ks->map, ks->map_size, MADV_DONTNEED);
		status(c);
		printf("miss: held RSS +%ld KiB (heap +%ld), after the drop +%ld KiB (heap +%ld); "
		       "VmHWM +%ld KiB\n", b[1] - a[1], b[2] - a[2], c[1] - a[1], c[2] - a[2], c[0] - a[0]);
	} else if (argc == 2 && !strcmp(argv[1], "fallback")) {
		ks = kallsyms_cached(cache_dir(), "/proc/kallsyms", &cached);
		if (!ks || !cached)
			return 1;
		status(a);
		t = cpu_ms();
		kallsyms_add_uncovered(ks, "/proc/kallsyms");
		t = cpu_ms() - t;
		status(b);
		printf("fallback: VmHWM +%ld KiB, RSS +%ld KiB (heap +%ld), %.1f ms CPU, %zu symbols kept\n",
		       b[0] - a[0], b[1] - a[1], b[2] - a[2], t, ks->extra ? ks->extra->n : 0);
	} else {
		fprintf(stderr, "usage: %s fallback | miss EMPTY-DIR\n", argv[0]);
		return 2;
	}
	ksyms_free(ks);
	return 0;
}
