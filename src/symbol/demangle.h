/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PROFILER_DEMANGLE_H
#define PROFILER_DEMANGLE_H

/* C++ (Itanium) and Rust (legacy and v0) names through libiberty.
 * Returns a malloc'd string, or NULL when name is not mangled. */
char *demangle(const char *name);

#endif /* PROFILER_DEMANGLE_H */
