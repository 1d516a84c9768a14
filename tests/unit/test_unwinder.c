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
#include "unwind.h"
#include "runtime/unwind.h"
#include "symbol/proc_maps.h"
#include "util/util.h"

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

/* pid's entry as the kernel would have made it: nr maps, made */
static void kernel_made(int fd, uint32_t pid, uint32_t nr, uint32_t made)
{
	struct unwind_proc *up = xcalloc(1, sizeof(*up));

	up->nr = nr;
	up->made = made;
	assert_int_equal(bpf_map_update_elem(fd, &pid, up, BPF_ANY), 0);
	free(up);
}

/* pid's entry: its count of maps in *nr, its made */
static uint32_t entry_made(int fd, uint32_t pid, uint32_t *nr)
{
	struct unwind_proc *up = xcalloc(1, sizeof(*up));
	uint32_t made;

	assert_int_equal(bpf_map_lookup_elem(fd, &pid, up), 0);
	made = up->made;
	*nr = up->nr;
	free(up);
	return made;
}

static void test_at_lock_entries(void **state)
{
	struct unwinder *u = unwinder_new(16), *tw;
	struct proc_map *maps = NULL;
	size_t nmaps = 0;
	uint32_t nr, pid = FAKE_PID;
	int fd;

	(void)state;
	if (!u)
		skip();
	unwinder_kernel_entries(u, true);
	fd = unwinder_procs_fd(u);
	assert_int_equal(proc_maps_read((uint32_t)getpid(), &maps, &nmaps), 0);
	/* none of the kernel's (a process older than the run): ours, marked
	 * for the kernel to make again at its next change of mappings */
	assert_int_equal(unwinder_add_maps(u, pid, maps, nmaps), 0);
	assert_int_equal(entry_made(fd, pid, &nr), UNWIND_MADE_REMAKE);
	assert_true(nr >= 2);	/* this test's binary and its libraries */
	/* a whole one of the kernel's stays as it is */
	kernel_made(fd, pid + 1, 1, 42);
	assert_int_equal(unwinder_add_maps(u, pid + 1, maps, nmaps), 0);
	assert_int_equal(entry_made(fd, pid + 1, &nr), 42);
	assert_int_equal(nr, 1);
	/* one made lacking a table is replaced by ours, the tables made */
	kernel_made(fd, pid + 2, 1, 42 | UNWIND_MADE_LACKING);
	assert_int_equal(unwinder_add_maps(u, pid + 2, maps, nmaps), 0);
	assert_int_equal(entry_made(fd, pid + 2, &nr), UNWIND_MADE_REMAKE);
	assert_true(nr >= 2);
	/* and again after the kernel made it lacking once more: what we
	 * wrote before is no reason to leave it */
	kernel_made(fd, pid + 2, 1, 43 | UNWIND_MADE_LACKING);
	assert_int_equal(unwinder_add_maps(u, pid + 2, maps, nmaps), 0);
	assert_int_equal(entry_made(fd, pid + 2, &nr), UNWIND_MADE_REMAKE);
	/* where the samples make them (task work), we write none */
	tw = unwinder_new(16);
	assert_non_null(tw);
	unwinder_kernel_entries(tw, false);
	assert_int_equal(unwinder_add_maps(tw, pid, maps, nmaps), 0);
	assert_int_equal(map_count_keys(unwinder_procs_fd(tw), sizeof(uint32_t)), 0);
	unwinder_free(tw);
	proc_maps_free(maps, nmaps);
	unwinder_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exited_leave),
		cmocka_unit_test(test_at_lock_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
