// SPDX-License-Identifier: GPL-2.0
/*
 * The unwinder's per-process bookkeeping on real BPF maps: what it keeps
 * for processes that exited goes (their unw_procs entries and their
 * slots), a live one's stays, and a pid used again starts afresh.
 */
#include <errno.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "testutil.h"
#include "runtime/unwind.h"
#include "symbol/proc_maps.h"

#define FAKE_PID 3000000u	/* above pid_max's 2^22: no process has it */
#define NFAKE 3000
#define NLIVE 10

static void test_exited_leave(void **state)
{
	struct unwinder *u = unwinder_new(2 * NFAKE);
	struct unwinder_stats st;
	struct proc_map *maps = NULL;
	size_t nmaps = 0;

	(void)state;
	if (!u)
		skip();	/* not root, or no BPF here */
	/* this test's own mappings (its own pid the unwinder leaves out): the
	 * tables of its files are made once, at the first process */
	assert_int_equal(proc_maps_read((uint32_t)getpid(), &maps, &nmaps), 0);
	/* as many processes of the same binaries come, and all but a few exit */
	for (uint32_t i = 0; i < NFAKE; i++)
		assert_int_equal(unwinder_add_maps(u, FAKE_PID + i, maps, nmaps), 0);
	assert_int_equal(map_count_keys(unwinder_procs_fd(u), sizeof(uint32_t)), NFAKE);
	unwinder_get_stats(u, &st);
	assert_int_equal(st.procs, NFAKE);
	assert_int_equal(st.slots, 2 * NFAKE);	/* met, and written */
	for (uint32_t i = NLIVE; i < NFAKE; i++)
		unwinder_exited(u, FAKE_PID + i);
	unwinder_flush_exited(u);
	/* the live ones' entries stay; the lists of slots are made again
	 * without the exited once those are half of them and a thousand
	 * (unwind.c's COMPACT_MIN), so fewer than that many stay */
	assert_int_equal(map_count_keys(unwinder_procs_fd(u), sizeof(uint32_t)), NLIVE);
	unwinder_get_stats(u, &st);
	assert_int_equal(st.exit_deletes, NFAKE - NLIVE);
	assert_true(st.slots < 2 * (NLIVE + 1024));
	/* a live one is still known: the same mappings are not written again */
	assert_int_equal(unwinder_add_maps(u, FAKE_PID, maps, nmaps), 0);
	unwinder_get_stats(u, &st);
	assert_int_equal(st.procs, NFAKE);
	assert_int_equal(st.writes, NFAKE);
	/* an exited pid used again is a new process: met and written anew */
	assert_int_equal(unwinder_add_maps(u, FAKE_PID + NFAKE - 1, maps, nmaps), 0);
	unwinder_get_stats(u, &st);
	assert_int_equal(st.procs, NFAKE + 1);
	assert_int_equal(st.writes, NFAKE + 1);
	assert_int_equal(map_count_keys(unwinder_procs_fd(u), sizeof(uint32_t)), NLIVE + 1);
	/* exited once more: its entry goes at the next flush */
	unwinder_exited(u, FAKE_PID + NFAKE - 1);
	assert_int_equal(unwinder_flush_exited(u), 1);
	assert_int_equal(map_count_keys(unwinder_procs_fd(u), sizeof(uint32_t)), NLIVE);
	proc_maps_free(maps, nmaps);
	unwinder_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exited_leave),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
