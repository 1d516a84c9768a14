// SPDX-License-Identifier: GPL-2.0
/* Each process's mappings over its lifetimes and execs (src/symbol/timeline.c). */
#include <linux/types.h>
#include <stdlib.h>

#include "testutil.h"
#include "common.h"
#include "symbol/timeline.h"
#include "util/util.h"

static struct proc_map *one_map(uint64_t start, uint64_t end, uint64_t ino, const char *path)
{
	struct proc_map *m = xcalloc(1, sizeof(*m));

	m->start = start;
	m->end = end;
	m->dev = 8;
	m->ino = ino;
	m->kind = MAP_FILE;
	m->file = -1;
	m->path = xstrdup(path);
	return m;
}

static void test_fork_exec(void **state)
{
	struct timeline *t = timeline_new(0);
	const struct proc_map *m;
	bool amb;
	size_t n;

	timeline_add(t, 10, one_map(0x1000, 0x2000, 1, "/bin/sh"), 1);
	/* a child starts with its parent's mappings */
	timeline_fork(t, 10, 11, 0);
	m = timeline_find(t, 11, 0, 0x1800, &amb);
	assert_non_null(m);
	assert_false(amb);
	assert_int_equal(m->ino, 1);
	/* after exec, the new program, and the old one still names what was
	 * sampled before the exec */
	timeline_exec(t, 11);
	assert_null(timeline_current(t, 11, &n));
	assert_int_equal(n, 0);
	timeline_add(t, 11, one_map(0x5000, 0x6000, 2, "/bin/true"), 1);
	assert_int_equal(timeline_find(t, 11, 0, 0x5800, &amb)->ino, 2);
	assert_false(amb);
	assert_int_equal(timeline_find(t, 11, 0, 0x1800, &amb)->ino, 1);
	assert_non_null(timeline_current(t, 11, &n));
	assert_int_equal(n, 1);
	/* the parent is untouched */
	assert_null(timeline_find(t, 10, 0, 0x5800, &amb));
	timeline_free(t);
}

static void test_reuse_is_ambiguous(void **state)
{
	struct timeline *t = timeline_new(0);
	struct timeline_stats st;
	const struct proc_map *m;
	bool amb;

	timeline_add(t, 20, one_map(0x1000, 0x3000, 1, "/bin/a"), 1);
	timeline_exit(t, 20);
	/* pid 20 again: another program where the first had its own */
	timeline_fork(t, 1, 20, 0);
	timeline_add(t, 20, one_map(0x2000, 0x4000, 2, "/bin/b"), 1);
	m = timeline_find(t, 20, 0, 0x2800, &amb);
	assert_non_null(m);
	assert_true(amb);		/* a's or b's: nobody's */
	m = timeline_find(t, 20, 0, 0x1800, &amb);
	assert_int_equal(m->ino, 1);	/* only a ever mapped it */
	assert_false(amb);
	m = timeline_find(t, 20, 0, 0x3800, &amb);
	assert_int_equal(m->ino, 2);
	assert_false(amb);
	timeline_get_stats(t, &st);
	assert_int_equal(st.reused, 1);
	timeline_free(t);
}

static void test_same_file_same_place(void **state)
{
	struct timeline *t = timeline_new(0);
	bool amb;

	/* two lifetimes of one binary at one address: no doubt */
	timeline_add(t, 30, one_map(0x1000, 0x2000, 5, "/bin/x"), 1);
	timeline_fork(t, 1, 30, 0);
	timeline_add(t, 30, one_map(0x1000, 0x2000, 5, "/bin/x"), 1);
	assert_non_null(timeline_find(t, 30, 0, 0x1800, &amb));
	assert_false(amb);
	timeline_free(t);
}

static void test_dlclose_keeps_old(void **state)
{
	struct timeline *t = timeline_new(0);
	bool amb;

	timeline_add(t, 40, one_map(0x1000, 0x2000, 1, "/lib/a.so"), 1);
	timeline_add(t, 40, one_map(0x3000, 0x4000, 2, "/lib/b.so"), 1);
	/* a new library where a.so was: it takes the place, b.so stays */
	timeline_add(t, 40, one_map(0x1000, 0x1800, 3, "/lib/c.so"), 1);
	assert_int_equal(timeline_find(t, 40, 0, 0x1100, &amb)->ino, 3);
	assert_null(timeline_find(t, 40, 0, 0x1900, &amb));
	assert_int_equal(timeline_find(t, 40, 0, 0x3100, &amb)->ino, 2);
	timeline_free(t);
}

static void test_lifetimes_by_start_time(void **state)
{
	struct timeline *t = timeline_new(0);
	bool amb;

	/* a process from before the run, then two lifetimes forked at 5000
	 * and 900000 (tags), all with their code at 0x2000 */
	timeline_add(t, 50, one_map(0x2000, 0x3000, 1, "/bin/old"), 1);
	timeline_fork(t, 1, 50, 5000);
	timeline_exec(t, 50);
	timeline_add(t, 50, one_map(0x2000, 0x3000, 2, "/bin/a"), 1);
	timeline_fork(t, 1, 50, 900000);
	timeline_exec(t, 50);
	timeline_add(t, 50, one_map(0x2000, 0x3000, 3, "/bin/b"), 1);
	/* started just before each fork record: that lifetime, no doubt */
	assert_int_equal(timeline_find(t, 50, 4990, 0x2800, &amb)->ino, 2);
	assert_false(amb);
	assert_int_equal(timeline_find(t, 50, 899000, 0x2800, &amb)->ino, 3);
	assert_false(amb);
	/* started long before the first fork: the first tenant */
	assert_int_equal(timeline_find(t, 50, 4000000000U, 0x2800, &amb)->ino, 1);
	assert_false(amb);
	/* unknown: any of the three, so nobody's */
	timeline_find(t, 50, 0, 0x2800, &amb);
	assert_true(amb);
	timeline_free(t);
}

/* Go's os/exec: a vfork child of a non-PIE program execs another at the
 * same addresses; the sample's exec count says which one it was in. */
static void test_vfork_exec_same_addresses(void **state)
{
	uint64_t fork_ns = 5000ULL << 10, start = fork_ns - 3000;
	struct timeline *t = timeline_new(0);
	bool amb;

	timeline_track(t);	/* records flow: an exec's generation is known whole */
	timeline_add(t, 60, one_map(0x400000, 0x900000, 1, "/usr/bin/go"), 1);
	timeline_fork(t, 60, 61, LIFE_TAG(fork_ns));
	timeline_exec(t, 61);
	timeline_add(t, 61, one_map(0x400000, 0x800000, 2, "/usr/lib/go/pkg/tool/link"), 1);
	assert_int_equal(timeline_find(t, 61, LIFE_TAG_EXECS(start, 1), 0x401000, &amb)->ino, 2);
	assert_false(amb);
	assert_int_equal(timeline_find(t, 61, LIFE_TAG_EXECS(start, 0), 0x401000, &amb)->ino, 1);
	assert_false(amb);
	/* past what link mapped (all of it: its exec record began it): only
	 * go maps it, but the sample was in link */
	assert_int_equal(timeline_find(t, 61, LIFE_TAG_EXECS(start, 0), 0x880000, &amb)->ino, 1);
	assert_null(timeline_find(t, 61, LIFE_TAG_EXECS(start, 1), 0x880000, &amb));
	/* not known (7 or more, an old kernel), none taken, or more execs than
	 * records seen (one lost): both are searched, and they disagree */
	timeline_find(t, 61, LIFE_TAG_EXECS(start, 9), 0x401000, &amb);
	assert_true(amb);
	timeline_find(t, 61, 0, 0x401000, &amb);
	assert_true(amb);
	timeline_find(t, 61, LIFE_TAG_EXECS(start, 3), 0x401000, &amb);
	assert_true(amb);
	/* the parent, untouched: its own lifetime from before the run */
	assert_int_equal(timeline_find(t, 60, LIFE_TAG_EXECS(start - 1000000000, 1), 0x401000,
				       &amb)->ino, 1);
	assert_false(amb);
	timeline_free(t);
}

static void test_bound(void **state)
{
	struct timeline *t = timeline_new(3);
	struct timeline_stats st;
	bool amb;

	timeline_add(t, 1, one_map(0x1000, 0x2000, 1, "/a"), 1);
	timeline_add(t, 2, one_map(0x1000, 0x2000, 2, "/b"), 1);
	timeline_add(t, 3, one_map(0x1000, 0x2000, 3, "/c"), 1);
	/* full, and nobody exited: refused */
	timeline_add(t, 4, one_map(0x1000, 0x2000, 4, "/d"), 1);
	assert_null(timeline_find(t, 4, 0, 0x1000, &amb));
	/* 2 exited: it goes to make room */
	timeline_exit(t, 2);
	timeline_add(t, 4, one_map(0x1000, 0x2000, 4, "/d"), 1);
	assert_non_null(timeline_find(t, 4, 0, 0x1000, &amb));
	assert_null(timeline_find(t, 2, 0, 0x1000, &amb));
	assert_non_null(timeline_find(t, 1, 0, 0x1000, &amb));
	timeline_get_stats(t, &st);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.maps, 3);
	timeline_free(t);
}

/*
 * Known whole from records: after an exec, after a fork of a process known
 * whole, after a /proc read; never untracked, after a loss, or after exit.
 */
static void test_complete(void **state)
{
	struct timeline *t = timeline_new(0);

	timeline_add(t, 10, one_map(0x1000, 0x2000, 1, "/bin/sh"), 1);
	timeline_mark_read(t, 10);
	/* no records flow: a /proc read is the only truth */
	assert_false(timeline_complete(t, 10));
	timeline_track(t);
	assert_true(timeline_complete(t, 10));
	/* started before the run (no exec, no fork seen): unknown */
	timeline_add(t, 20, one_map(0x1000, 0x2000, 1, "/bin/sh"), 1);
	assert_false(timeline_complete(t, 20));
	/* a fork of a known one is known; of an unknown one, not */
	timeline_fork(t, 10, 11, 0);
	assert_true(timeline_complete(t, 11));
	timeline_fork(t, 20, 21, 0);
	assert_false(timeline_complete(t, 21));
	timeline_exec(t, 21);
	assert_true(timeline_complete(t, 21));
	timeline_add(t, 21, one_map(0x5000, 0x6000, 2, "/bin/true"), 1);
	assert_true(timeline_complete(t, 21));
	/* records lost: whoever they belonged to is unknown again */
	timeline_lost(t);
	assert_false(timeline_complete(t, 10));
	assert_false(timeline_complete(t, 21));
	timeline_exec(t, 21);
	assert_true(timeline_complete(t, 21));
	timeline_exit(t, 21);
	assert_false(timeline_complete(t, 21));
	assert_false(timeline_complete(t, 99));
	timeline_free(t);
	(void)state;
}

/* Gone: its exit the last record, none lost since; a fork of the pid, or a
 * loss, and /proc is worth a look again. */
static void test_gone(void **state)
{
	struct timeline *t = timeline_new(0);

	timeline_add(t, 20, one_map(0x1000, 0x2000, 1, "/bin/sh"), 1);
	timeline_fork(t, 20, 21, 0);
	timeline_exit(t, 21);
	/* records do not flow yet: an exit seen is no proof */
	assert_false(timeline_gone(t, 21));
	timeline_track(t);
	timeline_fork(t, 20, 22, 0);
	assert_false(timeline_gone(t, 22));
	/* a child of a process older than the run, never exec'd: not
	 * complete, and gone at its exit */
	assert_false(timeline_complete(t, 22));
	timeline_exit(t, 22);
	assert_true(timeline_gone(t, 22));
	/* the pid again */
	timeline_fork(t, 20, 22, 1);
	assert_false(timeline_gone(t, 22));
	timeline_exit(t, 22);
	assert_true(timeline_gone(t, 22));
	/* a record lost since: it may have been the pid's new fork */
	timeline_lost(t);
	assert_false(timeline_gone(t, 22));
	assert_false(timeline_gone(t, 20));
	assert_false(timeline_gone(t, 99));
	timeline_free(t);
	(void)state;
}

static void count_gone(void *ctx, uint32_t pid)
{
	(*(int *)ctx)++;
}

/* Exited processes go once the samples read before the mark no longer need
 * them; one whose pid began again, or that exited after the mark, stays. */
static void test_forget_exited(void **state)
{
	struct timeline *t = timeline_new(0);
	struct timeline_stats st;
	uint64_t mark;
	bool amb;
	int gone = 0;

	for (uint32_t pid = 100; pid < 3100; pid++) {
		timeline_fork(t, 1, pid, 0);
		timeline_add(t, pid, one_map(0x1000, 0x2000, pid, "/bin/x"), 1);
	}
	for (uint32_t pid = 100; pid < 3000; pid++)
		timeline_exit(t, pid);
	/* 300 starts again before the forget: its new lifetime is live */
	timeline_fork(t, 1, 300, 0);
	mark = timeline_exit_mark(t);
	timeline_exit(t, 3000);	/* after the mark: not yet */
	assert_int_equal(timeline_forget(t, mark, count_gone, &gone), 2899);
	assert_int_equal(gone, 2899);
	assert_null(timeline_find(t, 100, 0, 0x1800, &amb));
	assert_null(timeline_find(t, 200, 0, 0x1800, &amb));
	assert_non_null(timeline_find(t, 300, 0, 0x1800, &amb));
	assert_non_null(timeline_find(t, 3000, 0, 0x1800, &amb));
	assert_non_null(timeline_find(t, 3050, 0, 0x1800, &amb));
	assert_int_equal(timeline_forget(t, timeline_exit_mark(t), NULL, NULL), 1);
	assert_null(timeline_find(t, 3000, 0, 0x1800, &amb));
	assert_non_null(timeline_find(t, 300, 0, 0x1800, &amb));
	timeline_get_stats(t, &st);
	assert_int_equal(st.forgotten, 2900);
	/* what is left: 3001-3099, live, and 300's first lifetime */
	assert_int_equal(st.maps, 99 + 1);
	timeline_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_exec),
		cmocka_unit_test(test_reuse_is_ambiguous),
		cmocka_unit_test(test_same_file_same_place),
		cmocka_unit_test(test_dlclose_keeps_old),
		cmocka_unit_test(test_lifetimes_by_start_time),
		cmocka_unit_test(test_vfork_exec_same_addresses),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_gone),
		cmocka_unit_test(test_forget_exited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
