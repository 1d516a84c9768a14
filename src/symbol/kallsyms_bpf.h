/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BPF programs' kernel symbols, named as /proc/kallsyms names them
 * ("bpf_prog_<tag>_<function>" in [bpf]), from the bpf() system call
 * instead of the whole of /proc/kallsyms.  A kernel stack that passes
 * through a BPF program (one of ours on a process's exec, another tool's
 * probe) used to cost the kernel's 120,000-line print and its parse: 25%
 * of a churn run's end (docs/performance.md).  Programs are listed once
 * (a few system calls each); a function's name is made when first asked,
 * from its program's BTF.
 */
#ifndef PROFILER_KALLSYMS_BPF_H
#define PROFILER_KALLSYMS_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KSYM_BPF_TAG_SIZE	8

/* One JIT-compiled function of a loaded BPF program. */
struct ksym_bpf_func {
	uint64_t start;
	uint32_t len;
	uint32_t btf_id;	/* its program's BTF, 0 if none */
	uint32_t type_id;	/* its BTF FUNC, 0 if none */
	uint8_t tag[KSYM_BPF_TAG_SIZE];
	char prog_name[16];	/* the program's own (short) name */
	char *name;		/* made on first lookup */
	bool named;		/* tried: name is NULL where it cannot be told */
};

struct ksyms_bpf {
	struct ksym_bpf_func *funcs;	/* sorted by start */
	size_t n;
};

/*
 * Every loaded program's functions.  NULL with errno set when the kernel
 * will not list them (no CAP_SYS_ADMIN, addresses hidden): the caller
 * reads /proc/kallsyms instead.
 */
struct ksyms_bpf *ksyms_bpf_load(void);
/* The name of the function holding addr, as kallsyms has it; NULL if none. */
const char *ksyms_bpf_lookup(struct ksyms_bpf *kb, uint64_t addr);
/* kallsyms' name for a BPF function: "bpf_prog_<tag>[_<name>]" into buf. */
const char *ksyms_bpf_name(const uint8_t tag[KSYM_BPF_TAG_SIZE], const char *name, char *buf,
			   size_t size);
void ksyms_bpf_free(struct ksyms_bpf *kb);

#endif /* PROFILER_KALLSYMS_BPF_H */
