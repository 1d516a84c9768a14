/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a CPython build keeps what the BPF frame walker reads: the
 * interpreter found in an ELF file by its _PyRuntime symbol, its version
 * by Py_Version, the offsets from its DWARF (the -dbg package's debug
 * file) or, without one, from a table of the versions checked against it.
 */
#ifndef PROFILER_PYTHON_LAYOUT_H
#define PROFILER_PYTHON_LAYOUT_H

#include <stdint.h>
#include <linux/types.h>

#include "python.h"

/*
 * Whether the ELF file fd holds a CPython interpreter: 0 with the ELF
 * addresses of _PyRuntime and PyCode_Type (0 if none) and the version
 * (PY_VERSION_HEX, 0 when the file has no Py_Version: before 3.11);
 * -ENOENT when it is no interpreter.
 */
int python_elf_probe(int fd, uint64_t *runtime, uint64_t *code_type, uint32_t *version);

/* The offsets from a DWARF file's types: 0, or -ENOENT when one is missing. */
int python_layout_dwarf(int fd, struct py_layout *l);

/* The offsets of a version from the table: 0, or -ENOTSUP for a version not in it. */
int python_layout_table(uint32_t version, struct py_layout *l);

#endif /* PROFILER_PYTHON_LAYOUT_H */
