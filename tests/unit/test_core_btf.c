// SPDX-License-Identifier: GPL-2.0
/* The cut kernel BTF: CO-RE relocations against it give the very same
 * programs as against the whole kernel BTF, and its cache file is checked. */
#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "testutil.h"
#include "cpu.skel.h"
#include "runtime/core_btf.h"

static struct btf *vmlinux_or_skip(void)
{
	struct btf *vm = btf__load_vmlinux_btf();

	if (!vm)
		skip();	/* no kernel BTF here: nothing to cut */
	return vm;
}

/* The program's instructions as the kernel keeps them, map references masked. */
static struct bpf_insn *xlated(int prog_fd, __u32 *n)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct bpf_insn *insns;

	assert_int_equal(bpf_obj_get_info_by_fd(prog_fd, &info, &len), 0);
	*n = info.xlated_prog_len / sizeof(*insns);
	insns = calloc(*n, sizeof(*insns));
	memset(&info, 0, sizeof(info));
	info.xlated_prog_len = *n * sizeof(*insns);
	info.xlated_prog_insns = (__u64)(unsigned long)insns;
	assert_int_equal(bpf_obj_get_info_by_fd(prog_fd, &info, &len), 0);
	for (__u32 i = 0; i + 1 < *n; i++) {
		if (insns[i].code == (BPF_LD | BPF_DW | BPF_IMM)) {
			if (insns[i].src_reg) {	/* a map: its id differs per load */
				insns[i].imm = 0;
				insns[i + 1].imm = 0;
			}
			i++;
		}
	}
	return insns;
}

static struct cpu_bpf *load(const char *btf_path)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf_path);
	struct cpu_bpf *skel = cpu_bpf__open_opts(&opts);

	assert_non_null(skel);
	bpf_program__set_autoload(skel->progs.follow_fork, true);
	if (cpu_bpf__load(skel)) {
		cpu_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static void test_same_programs(void **state)
{
	struct btf *vm = vmlinux_or_skip(), *min;
	struct cpu_bpf *full, *cut;
	const void *elf, *raw;
	size_t size;
	__u32 raw_size;
	char path[32];
	int fd;

	elf = cpu_bpf__elf_bytes(&size);
	min = core_btf_minimize(elf, size, vm);
	assert_non_null(min);
	raw = btf__raw_data(min, &raw_size);
	assert_true(raw_size < 256 * 1024);
	assert_true(btf__type_cnt(min) < btf__type_cnt(vm) / 10);
	fd = memfd_create("btf", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, raw, raw_size), (ssize_t)raw_size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	full = load(NULL);
	if (!full) {
		close(fd);
		btf__free(min);
		btf__free(vm);
		skip();	/* not root, or no BPF here */
	}
	cut = load(path);
	assert_non_null(cut);
	{
		struct bpf_program *a, *b = NULL;
		int nprogs = 0;

		bpf_object__for_each_program(a, full->obj) {
			struct bpf_insn *x, *y;
			__u32 nx, ny;

			b = bpf_object__next_program(cut->obj, b);
			assert_non_null(b);
			assert_string_equal(bpf_program__name(a), bpf_program__name(b));
			if (bpf_program__fd(a) < 0)
				continue;
			x = xlated(bpf_program__fd(a), &nx);
			y = xlated(bpf_program__fd(b), &ny);
			assert_int_equal(nx, ny);
			assert_memory_equal(x, y, nx * sizeof(*x));
			free(x);
			free(y);
			nprogs++;
		}
		assert_true(nprogs >= 2);
	}
	cpu_bpf__destroy(full);
	cpu_bpf__destroy(cut);
	close(fd);
	btf__free(min);
	btf__free(vm);
}

static void test_cache_file(void **state)
{
	struct btf *vm = vmlinux_or_skip();
	char dir[] = "/tmp/btfcache-XXXXXX", cmd[128];
	const void *elf;
	size_t size;
	struct stat a, b;
	int fd;

	btf__free(vm);
	if (geteuid() != 0)
		skip();	/* the file must be root's */
	elf = cpu_bpf__elf_bytes(&size);
	assert_non_null(mkdtemp(dir));
	fd = core_btf_fd(dir, elf, size);	/* made */
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &a), 0);
	close(fd);
	fd = core_btf_fd(dir, elf, size);	/* read back: the same bytes */
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &b), 0);
	assert_int_equal(a.st_size, b.st_size);
	close(fd);
	/* a corrupt or foreign-writable file is not used, but rebuilt */
	snprintf(cmd, sizeof(cmd), "for f in %s/btf.v1-*; do printf x | dd of=$f bs=1 seek=40 conv=notrunc status=none; done", dir);
	assert_int_equal(system(cmd), 0);
	fd = core_btf_fd(dir, elf, size);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &b), 0);
	assert_int_equal(a.st_size, b.st_size);
	close(fd);
	snprintf(cmd, sizeof(cmd), "chmod 666 %s/btf.v1-*", dir);
	assert_int_equal(system(cmd), 0);
	fd = core_btf_fd(dir, elf, size);
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "test $(stat -c %%a %s/btf.v1-*) = 600", dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_programs),
		cmocka_unit_test(test_cache_file),
	};

	return cmocka_run_group_tests_name("core_btf", tests, NULL, NULL);
}
