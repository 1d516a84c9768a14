// SPDX-License-Identifier: GPL-2.0
/*
 * -v: the heap after a window is handed on, beside the process's RSS.
 * Measured under churn (the agent, 10 s windows): 18 MiB of heap in use
 * and 1.6-3.2 MiB free in a 75 MiB RSS, malloc_trim giving back 1.3-2.1
 * MiB in 200-770 ms on a loaded machine; so the heap is not trimmed, and
 * what RSS holds beyond it is not malloc's (docs/performance.md).
 */
#include <malloc.h>
#include <stdio.h>
#include <unistd.h>

#include "runtime/runtime.h"
#include "util/util.h"

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, rss = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

void session_heap_report(void)
{
	struct mallinfo2 mi;

	if (!verbose_level())
		return;	/* mallinfo2 walks every free chunk */
	mi = mallinfo2();
	pr_debug("heap after the window: %.1f MiB in use, %.1f MiB free, %.1f MiB mapped "
		 "alone; RSS %.1f MiB", mi.uordblks / 1048576.0, mi.fordblks / 1048576.0,
		 mi.hblkhd / 1048576.0, rss_kib() / 1024.0);
}
