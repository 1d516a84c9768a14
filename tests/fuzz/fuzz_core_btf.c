// SPDX-License-Identifier: GPL-2.0
/* The kernel-BTF cut (src/core/core_btf.c): the input is a BPF object
 * file whose CO-RE relocations name the kernel types to keep. */
#include <bpf/btf.h>
#include <stdlib.h>

#include "fuzz.h"
#include "runtime/core_btf.h"

static struct btf *vmlinux;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		abort();	/* /sys/kernel/btf/vmlinux: a kernel with BTF */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	btf__free(core_btf_minimize(data, size, vmlinux));
	return 0;
}
