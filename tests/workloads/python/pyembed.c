// SPDX-License-Identifier: GPL-2.0
/*
 * python3.11 as Fedora and pyenv build it: the interpreter in a shared
 * library (Debian's libpython3.11.so), which ld.so maps after the exec,
 * and the program a two-line main.  Arguments as python3.11's.
 */
#include <Python.h>

int main(int argc, char **argv)
{
	return Py_BytesMain(argc, argv);
}
