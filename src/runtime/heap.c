// SPDX-License-Identifier: GPL-2.0
/*
 * The heap given back after a window.  A window's profiles, its stacks and
 * its writers' buffers are freed when the window is handed on, but glibc
 * returns to the kernel only the top of its heap: what a window freed
 * below memory still in use stays in the process's RSS until the next
 * window reuses it, and a window bigger than the last (a build starting)
 * raises the mark for good.  malloc_trim also gives back the free pages
 * inside the heap (MADV_DONTNEED).
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

void session_trim_heap(void)
{
	struct mallinfo2 mi = mallinfo2();
	long before = rss_kib();
	uint64_t t0 = now_ns();

	malloc_trim(0);
	pr_debug("heap after the window: %.1f MiB in use, %.1f MiB free; RSS %.1f MiB, "
		 "%.1f MiB after malloc_trim (%.1f ms)", mi.uordblks / 1048576.0,
		 mi.fordblks / 1048576.0, before / 1024.0, rss_kib() / 1024.0,
		 (now_ns() - t0) / 1e6);
}
