/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of Python code objects, as BPF read them while their process ran
 * (struct py_code_event), keyed by (process, code key): a frame becomes
 * "function (file.py:line)" with the line from its instruction offset.
 */
#ifndef PROFILER_PYTHON_NAMES_H
#define PROFILER_PYTHON_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "model/profile.h"
#include "python.h"

struct py_names;

struct py_names *py_names_new(void);
void py_names_free(struct py_names *pn);

/* Keep what BPF sent about a code object (size: the record's). */
void py_names_add(struct py_names *pn, const void *event, size_t size);

/* Name a FRAME_PYTHON location: name, file, line, module "[python]". */
void py_names_resolve(const struct py_names *pn, struct profile *p, struct location *l);

/*
 * The line of the instruction at code unit instr, from a CPython 3.11
 * location table (Objects/locations.md); first is co_firstlineno.
 * 0 when the table does not reach instr or says "no line".
 */
uint32_t py_line(const uint8_t *table, size_t n, uint32_t first, uint32_t instr);

/* Text of a str as BPF copied it (kind PY_STR_*), as UTF-8 into out. */
void py_text(const void *data, size_t len, int kind, char *out, size_t size);

#endif /* PROFILER_PYTHON_NAMES_H */
