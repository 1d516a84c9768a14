// SPDX-License-Identifier: GPL-2.0
/*
 * The shared maps' sizes (runtime/map_sizes.c): powers of two within their
 * bounds, LRUs with room for the kernel's per-CPU batches, and the sizes
 * given to a real object before load.
 */
#include <bpf/libbpf.h>

#include "testutil.h"
#include "cpu.skel.h"
#include "runtime/runtime.h"

static void test_map_size_bounds(void **state)
{
	assert_int_equal(map_size(0, 256, 1024), 256);
	assert_int_equal(map_size(256, 256, 1024), 256);
	assert_int_equal(map_size(257, 256, 1024), 512);
	assert_int_equal(map_size(1000, 256, 1024), 1024);
	assert_int_equal(map_size(1ULL << 40, 256, 1024), 1024);
}

static void test_lru_room_per_cpu(void **state)
{
	int ncpu = libbpf_num_possible_cpus();
	uint32_t n = lru_entries(8192);

	assert_true(ncpu > 0);
	assert_true(n >= 8192);
	assert_int_equal(n & (n - 1), 0);
	/* 256 a CPU, unless past the cap */
	assert_true(n >= 256U * (uint32_t)ncpu || n == 1U << 17);
	/* no larger than the per-CPU room or the minimum asks */
	assert_true(n / 2 < 8192 || n / 2 < 256U * (uint32_t)ncpu);
}

static void test_object_sized(void **state)
{
	struct cpu_bpf *skel = cpu_bpf__open();
	int ncpu = libbpf_num_possible_cpus();
	uint32_t spill;

	assert_non_null(skel);
	/* sizes the BPF side would never declare: what follows is ours */
	bpf_map__set_max_entries(skel->maps.procs_seen, 3);
	bpf_map__set_max_entries(skel->maps.stacks_spill, 5);
	session_size_maps(skel->obj);
	assert_int_equal(bpf_map__max_entries(skel->maps.procs_seen), lru_entries(8192));
	spill = bpf_map__max_entries(skel->maps.stacks_spill);
	assert_int_equal(spill, map_size(128ULL * (uint64_t)ncpu, 256, 1024));
	assert_true(spill >= 256 && spill <= 1024);
	/* an object with none of them, or none at all: nothing happens */
	session_size_maps(NULL);
	cpu_bpf__destroy(skel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_size_bounds),
		cmocka_unit_test(test_lru_room_per_cpu),
		cmocka_unit_test(test_object_sized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
