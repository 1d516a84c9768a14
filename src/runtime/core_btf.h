/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel types a BPF object's CO-RE relocations need, cut from the
 * kernel's BTF and kept for the boot: libbpf otherwise reads and checks the
 * whole of /sys/kernel/btf/vmlinux (6 MB) on every run, a quarter of what a
 * short profile costs us.
 *
 * For each relocation's root type, every kernel type of that name is kept
 * with what it embeds (members, array elements, typedefs, qualifiers);
 * pointers are kept as pointers to void, since field relocations only ask
 * that a pointer be a pointer.  Relocation kinds that would need more (the
 * target's type ids, type matching) and roots the kernel's own BTF lacks
 * (libbpf would search module BTF) make the object use the full BTF.
 *
 * Cache file: DIR/btf.v1-BOOTID-OBJHASH, the raw BTF then a footer (magic,
 * key, size, checksum); trusted only if root-owned and not group/world
 * writable, else rebuilt.  libbpf gets the checked bytes through a memfd.
 */
#ifndef PROFILER_CORE_BTF_H
#define PROFILER_CORE_BTF_H

#include <stddef.h>
#include <stdint.h>

struct btf;

/*
 * A file descriptor (memfd) holding the minimal BTF for the BPF object
 * elf/size, to pass to libbpf as /proc/self/fd/N (btf_custom_path) and to
 * close after the object is loaded; -1 when the full kernel BTF must do.
 */
int core_btf_fd(const char *cache_dir, const void *elf, size_t size);

/* The BTF of kernel types the object's relocations need, from vmlinux;
 * NULL when the object needs more than that (see above). */
struct btf *core_btf_minimize(const void *elf, size_t size, const struct btf *vmlinux);

#endif /* PROFILER_CORE_BTF_H */
