// SPDX-License-Identifier: GPL-2.0
/*
 * Known truths for profiler mem's mmap/munmap accounting (P = page size):
 *   map_partial  mmap 16 P, munmap 4 P in the middle and the last 4 P:
 *                16 P mapped, 8 P outstanding
 *   map_front    mmap 8 P, munmap the first 2 P: 6 P outstanding
 *   map_span_a,  two adjacent 4 P regions, one munmap over both:
 *   map_span_b   0 outstanding each
 *   map_whole    mmap 4 P, munmap all of it: 0 outstanding
 * The span regions are placed side by side (MAP_FIXED) in 8 P reserved by
 * a raw system call, which the probes on libc's mmap do not see.
 */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static long P;

static char *map(void *at, long pages, int flags)
{
	char *p = mmap(at, pages * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

__attribute__((noinline)) char *map_partial(void)
{
	return map(NULL, 16, 0);
}

__attribute__((noinline)) char *map_front(void)
{
	return map(NULL, 8, 0);
}

__attribute__((noinline)) char *map_span_a(char *at)
{
	return map(at, 4, MAP_FIXED);
}

__attribute__((noinline)) char *map_span_b(char *at)
{
	return map(at, 4, MAP_FIXED);
}

__attribute__((noinline)) char *map_whole(void)
{
	return map(NULL, 4, 0);
}

int main(void)
{
	char *a, *f, *r, *w;

	P = sysconf(_SC_PAGESIZE);
	r = (char *)syscall(SYS_mmap, NULL, 8 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		return 1;
	a = map_partial();
	f = map_front();
	w = map_whole();
	if (!a || !f || !w || map_span_a(r) != r || map_span_b(r + 4 * P) != r + 4 * P)
		return 1;
	munmap(a + 4 * P, 4 * P);	/* the middle */
	munmap(a + 12 * P, 4 * P);	/* the end */
	munmap(f, 2 * P);		/* the front */
	munmap(r, 8 * P);		/* both span regions */
	munmap(w, 4 * P);		/* all of it */
	return 0;
}
