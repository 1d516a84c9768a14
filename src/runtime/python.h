/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Python frames on the user side of the runtime: which processes run
 * CPython and where its state lies in each (the py_procs map of
 * bpf/python.bpf.h), and the code objects BPF sends (py_codes) handed to
 * the symbolizer's store.
 */
#ifndef PROFILER_RUNTIME_PYTHON_H
#define PROFILER_RUNTIME_PYTHON_H

#include <stdbool.h>
#include <stdint.h>

struct session;
struct bpf_object;
struct pyrt;

/*
 * Before load: whether the object's stacks may carry Python frames, for
 * its rodata python_frames: not with --no-python, nor without bpf_loop
 * (5.17).  Points the object's py_procs and py_codes at the session's
 * maps, made on the first call with the -p targets in them (processes get
 * theirs when announced: python_note_maps), and sizes its own.
 */
bool session_python_prepare(struct session *ss, struct bpf_object *obj);

/* A process announced (new, or after exec), from its mappings known
 * already: in py_procs if it runs CPython. */
struct proc_map;
void python_note_maps(struct pyrt *r, uint32_t pid, const struct proc_map *maps, size_t n);
/*
 * A mapping record: pid mapped path.  An interpreter in a shared library
 * (libpython3.11.so: pyenv's, Fedora's, an embedding program's, or one
 * dlopen'ed later) is mapped after the exec, often after the sample that
 * announced the process; such a process is looked at again, at the next
 * python_catch_up, from the mappings its records gave the symbolizer.
 */
void python_note_mapping(struct pyrt *r, uint32_t pid, const char *path);
struct symbolizer;
void python_catch_up(struct pyrt *r, const struct symbolizer *sym);

void pyrt_free(struct pyrt *r);

#endif /* PROFILER_RUNTIME_PYTHON_H */
