// SPDX-License-Identifier: GPL-2.0
/*
 * Known truth for JIT symbolization: code generated at run time in
 * anonymous executable memory, announced the way JITs tell perf about it,
 * one "START SIZE name" line in /tmp/perf-PID.map.  Nearly all its time is
 * in jit_spin_loop; run_jit calls it.  The map file is left behind for the
 * profiler to read at the end, as perf report does; the caller removes it.
 * Usage: jit SECONDS   (x86-64 only: exits 77 elsewhere)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

typedef void (*spin_fn)(unsigned long);

__attribute__((noinline)) void run_jit(spin_fn f)
{
	f(20000000);
	asm volatile("" ::: "memory");	/* not a tail call: keep this frame */
}

int main(int argc, char **argv)
{
#ifdef __x86_64__
	/* push rbp; mov rbp,rsp; mov rax,rdi; 1: dec rax; jnz 1b; pop rbp; ret */
	static const unsigned char code[] = {
		0x55, 0x48, 0x89, 0xe5, 0x48, 0x89, 0xf8,
		0x48, 0xff, 0xc8, 0x75, 0xfb, 0x5d, 0xc3,
	};
	double secs = argc > 1 ? atof(argv[1]) : 3;
	struct timespec ts, start;
	char path[64];
	void *mem;
	FILE *f;

	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/* somewhere inside the page, as a JIT would place it */
	memcpy((char *)mem + 256, code, sizeof(code));
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", getpid());
	/* a map left by an earlier process of this PID keeps its owner: start anew */
	unlink(path);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return 1;
	}
	fprintf(f, "%lx %zx jit_spin_loop\n", (unsigned long)mem + 256, sizeof(code));
	fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		run_jit((spin_fn)((char *)mem + 256));
		clock_gettime(CLOCK_MONOTONIC, &ts);
	} while (ts.tv_sec - start.tv_sec + (ts.tv_nsec - start.tv_nsec) / 1e9 < secs);
	return 0;
#else
	return 77;
#endif
}
