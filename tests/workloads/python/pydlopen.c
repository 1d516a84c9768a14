// SPDX-License-Identifier: GPL-2.0
/*
 * A program that loads CPython as a plugin host does (vim, gdb, uWSGI):
 * native work first, then dlopen of libpython3.11.so and its main, with
 * the arguments python3.11 would take.  The interpreter is mapped long
 * after the process's first samples.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>

__attribute__((noinline)) static void native_first(double secs)
{
	struct timespec t0, t;
	volatile unsigned long n = 0;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do {
		for (int i = 0; i < 100000; i++)
			n += i;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
}

int main(int argc, char **argv)
{
	int (*py_main)(int, char **);
	void *lib;

	native_first(0.2);
	lib = dlopen("libpython3.11.so.1.0", RTLD_NOW | RTLD_GLOBAL);
	if (!lib || !(py_main = (int (*)(int, char **))dlsym(lib, "Py_BytesMain"))) {
		fprintf(stderr, "pydlopen: %s\n", dlerror());
		return 1;
	}
	return py_main(argc, argv);
}
