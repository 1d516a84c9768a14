// SPDX-License-Identifier: GPL-2.0
/* The profile model: location dedup, interning, pruning of bogus frames. */
#include "testutil.h"
#include "model/profile.h"

static void test_locations_dedup(void **state)
{
	struct profile *p = profile_new();
	uint32_t a = profile_location(p, FRAME_USER, 7, 0x1000, true);
	uint32_t b = profile_location(p, FRAME_USER, 7, 0x1000, true);
	uint32_t c = profile_location(p, FRAME_USER, 8, 0x1000, true);
	uint32_t k1 = profile_location(p, FRAME_KERNEL, 7, 0xffff1000, true);
	uint32_t k2 = profile_location(p, FRAME_KERNEL, 8, 0xffff1000, true);

	assert_int_equal(a, b);
	assert_int_not_equal(a, c);	/* another address space */
	assert_int_equal(k1, k2);	/* kernel addresses are shared */
	assert_ptr_equal(profile_intern(p, "x"), profile_intern(p, "x"));
	profile_free(p);
}

/* Two processes map one file at different addresses (ASLR); a third has
 * no known mapping there. */
static bool fake_file_of(void *ctx, uint32_t pid, uint32_t life, uint64_t addr, uint32_t *file,
			 uint64_t *offset)
{
	uint64_t base = pid == 1 ? 0x400000 : pid == 2 ? 0x7f0000 : 0;

	(void)ctx;
	(void)life;
	if (!base || addr < base || addr >= base + 0x1000)
		return false;
	*file = 5;
	*offset = addr - base;
	return true;
}

static void test_locations_by_file(void **state)
{
	struct profile *p = profile_new();
	uint32_t a, b, c, d, k;

	(void)state;
	p->file_of = fake_file_of;
	a = profile_location(p, FRAME_USER, 1, 0x400123, true);
	b = profile_location(p, FRAME_USER, 2, 0x7f0123, true);
	c = profile_location(p, FRAME_USER, 3, 0x400123, true);
	d = profile_location(p, FRAME_USER, 1, 0x400123, false);
	k = profile_location(p, FRAME_KERNEL, 1, 0x400123, true);
	/* one location for both processes of the file, at its offset */
	assert_int_equal(a, b);
	assert_int_equal(p->locs[a].file_id, 6);
	assert_int_equal(p->locs[a].addr, 0x123);
	assert_int_equal(p->locs[a].pid, 0);
	/* unknown mapping: per process, as before; return or not still differs */
	assert_int_not_equal(a, c);
	assert_int_equal(p->locs[c].pid, 3);
	assert_int_equal(p->locs[c].file_id, 0);
	assert_int_not_equal(a, d);
	/* kernel frames never go by file */
	assert_int_equal(p->locs[k].file_id, 0);
	assert_int_equal(p->nlocs, 4);
	profile_free(p);
}

static void test_stack_first_is_ip(void **state)
{
	struct profile *p = profile_new();
	uint64_t ips[] = { 0x10, 0x20, 0x30, 0 };
	uint32_t ids[8], n = 0;

	profile_stack(p, ids, &n, 8, FRAME_USER, 1, ips, 4, true);
	assert_int_equal(n, 3);	/* stops at the zero */
	assert_false(p->locs[ids[0]].is_return);
	assert_true(p->locs[ids[1]].is_return);
	profile_free(p);
}

static void test_prune_bogus(void **state)
{
	struct profile *p = profile_new();
	uint32_t ids[4];

	profile_add_type(p, "samples", "count");
	for (int i = 0; i < 4; i++)
		ids[i] = profile_location(p, FRAME_USER, 1, 0x100 * (i + 1), i > 0);
	p->locs[ids[2]].bogus = true;
	profile_add_sample(p, ids, 4, 1, 0, "x", (int64_t[]){ 1 });
	profile_add_sample(p, ids, 2, 1, 0, "x", (int64_t[]){ 1 });
	profile_prune_bogus(p);
	assert_int_equal(p->samples[0].nframes, 3);
	assert_string_equal(p->locs[profile_sample_frames(p, 0)[2]].name,
			    "[frames lost: no frame pointer]");
	assert_int_equal(p->samples[1].nframes, 2);	/* untouched */
	profile_free(p);
}

/* The tracing's frames at a traced stack's leaf go; elsewhere, or in a
 * profile of samples (cpu), they stay. */
static void test_trim_tracing(void **state)
{
	static const char *const names[] = { "__traceiter_sched_switch", "__bpf_trace_sched_switch",
					     "__schedule", "schedule", "bpf_trace_run2" };
	struct profile *p = profile_new();
	uint32_t ids[5];

	(void)state;
	profile_add_type(p, "offcpu", "nanoseconds");
	for (int i = 0; i < 5; i++) {
		ids[i] = profile_location(p, FRAME_KERNEL, 0, 0xffff0000 + 0x100 * i, true);
		p->locs[ids[i]].name = profile_intern(p, names[i]);
	}
	profile_add_sample(p, ids, 5, 1, 0, "x", (int64_t[]){ 1 });
	profile_add_sample(p, ids, 2, 2, 0, "y", (int64_t[]){ 1 });	/* nothing else */
	profile_trim_tracing(p);
	assert_int_equal(p->samples[0].nframes, 5);	/* not traced_stacks */
	p->traced_stacks = true;
	profile_trim_tracing(p);
	assert_int_equal(p->samples[0].nframes, 3);
	assert_string_equal(p->locs[profile_sample_frames(p, 0)[0]].name, "__schedule");
	/* further up, a frame of that name is the kernel's own doing */
	assert_string_equal(p->locs[profile_sample_frames(p, 0)[2]].name, "bpf_trace_run2");
	assert_int_equal(p->samples[1].nframes, 2);
	profile_free(p);
}

/* Samples of one stack (two processes of one file) share one copy of it. */
static void test_stacks_shared(void **state)
{
	struct profile *p = profile_new();
	uint32_t a[2] = { 3, 4 }, b[2] = { 3, 5 };

	profile_add_type(p, "samples", "count");
	profile_add_sample(p, a, 2, 1, 0, "x", (int64_t[]){ 1 });
	profile_add_sample(p, a, 2, 2, 0, "y", (int64_t[]){ 2 });
	profile_add_sample(p, b, 2, 1, 0, "x", (int64_t[]){ 3 });
	profile_add_sample(p, a, 1, 1, 0, "x", (int64_t[]){ 4 });	/* a prefix: its own */
	assert_ptr_equal(profile_sample_frames(p, 0), profile_sample_frames(p, 1));
	assert_int_equal(p->nframes, 5);
	assert_int_equal(profile_sample_frames(p, 2)[1], 5);
	assert_int_equal(p->samples[3].nframes, 1);
	assert_int_equal(p->samples[1].pid, 2);
	assert_int_equal(profile_value(p, 1, 0), 2);
	profile_free(p);
}

/* A shared stack is edited once: a return-address candidate the CFI does
 * not confirm is dropped from both samples, and nothing else with it. */
static void test_shared_stack_edited_once(void **state)
{
	struct profile *p = profile_new();
	uint32_t ids[4];

	profile_add_type(p, "samples", "count");
	ids[0] = profile_location(p, FRAME_USER, 1, 0x100, false);
	ids[1] = profile_location_slot(p, FRAME_USER, 1, 0x200, true, 1);
	ids[2] = profile_location(p, FRAME_USER, 1, 0x300, true);
	ids[3] = profile_location(p, FRAME_USER, 1, 0x400, true);
	p->locs[ids[0]].cfa_sp = 16;	/* its return address is not in word 0 */
	profile_add_sample(p, ids, 4, 1, 0, "x", (int64_t[]){ 1 });
	profile_add_sample(p, ids, 4, 1, 0, "x", (int64_t[]){ 1 });
	profile_check_leaf_candidates(p);
	for (int s = 0; s < 2; s++) {
		const uint32_t *fr = profile_sample_frames(p, s);

		assert_int_equal(p->samples[s].nframes, 3);
		assert_int_equal(fr[0], ids[0]);
		assert_int_equal(fr[1], ids[2]);
		assert_int_equal(fr[2], ids[3]);
	}
	/* added after an edit: not wrongly shared with the edited copy */
	profile_add_sample(p, ids, 4, 1, 0, "x", (int64_t[]){ 1 });
	assert_int_equal(p->samples[2].nframes, 4);
	assert_int_equal(profile_sample_frames(p, 2)[1], ids[1]);
	profile_free(p);
}

/* Samples point at one label per distinct (tid, comm, cgroup); a cgroup set
 * on one sample changes no other, and labels alternate without mixing up. */
static void test_sample_labels(void **state)
{
	struct profile *p = profile_new();
	int64_t v = 1;

	(void)state;
	profile_add_type(p, "samples", "count");
	assert_int_equal(sizeof(struct sample), 16);
	for (uint32_t i = 0; i < 3000; i++)
		profile_add_sample(p, NULL, 0, 100 + i, i % 3, i % 2 ? "odd" : "even", &v);
	/* 6 distinct (tid, comm) pairs, whatever the order they came in */
	assert_int_equal(p->nlabels, 6);
	for (uint32_t i = 0; i < 3000; i++) {
		const struct sample_label *l = sample_label(p, &p->samples[i]);

		assert_int_equal(p->samples[i].pid, 100 + i);
		assert_int_equal(l->tid, i % 3);
		assert_string_equal(l->comm, i % 2 ? "odd" : "even");
		assert_null(l->cgroup);
	}
	profile_set_cgroup(p, 7, "/a.slice");
	profile_set_cgroup(p, 13, "/a.slice");
	profile_set_cgroup(p, 8, "/b.slice");
	assert_int_equal(p->nlabels, 8);	/* (1, odd, /a) once, (2, even, /b) */
	assert_int_equal(p->samples[7].label, p->samples[13].label);
	assert_string_equal(sample_label(p, &p->samples[7])->cgroup, "/a.slice");
	assert_string_equal(sample_label(p, &p->samples[7])->comm, "odd");
	assert_int_equal(sample_label(p, &p->samples[7])->tid, 1);
	assert_string_equal(sample_label(p, &p->samples[8])->cgroup, "/b.slice");
	assert_string_equal(sample_label(p, &p->samples[8])->comm, "even");
	/* the others keep theirs: sample 1 has the label 7 had */
	assert_int_equal(p->samples[1].label, p->samples[19].label);
	assert_null(sample_label(p, &p->samples[1])->cgroup);
	assert_null(sample_label(p, &p->samples[19])->cgroup);
	profile_free(p);
}

/* A scaled type is not stored, and reads as its base type times the scale;
 * the stored types keep their own values around it. */
static void test_scaled_type(void **state)
{
	struct profile *p = profile_new();

	(void)state;
	assert_int_equal(profile_add_type(p, "samples", "count"), 0);
	assert_int_equal(profile_add_scaled_type(p, "cpu", "nanoseconds", 0, 1001001), 1);
	assert_int_equal(profile_add_scaled_type(p, "x", "count", 1, 2), -1);	/* of a scaled one */
	assert_int_equal(profile_add_type(p, "other", "bytes"), 2);
	assert_int_equal(p->nstored, 2);
	for (int64_t i = 0; i < 100; i++)
		profile_add_sample(p, NULL, 0, 1, 0, "a", (int64_t[]){ i + 1, -1, 7 * i });
	for (int64_t i = 0; i < 100; i++) {
		assert_int_equal(profile_value(p, i, 0), i + 1);
		assert_int_equal(profile_value(p, i, 1), (i + 1) * 1001001);
		assert_int_equal(profile_value(p, i, 2), 7 * i);
	}
	assert_int_equal(profile_total(p, 1), 5050 * 1001001LL);
	assert_int_equal(profile_add_type(p, "late", "count"), -1);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_locations_dedup),
		cmocka_unit_test(test_locations_by_file),
		cmocka_unit_test(test_stack_first_is_ip),
		cmocka_unit_test(test_prune_bogus),
		cmocka_unit_test(test_trim_tracing),
		cmocka_unit_test(test_stacks_shared),
		cmocka_unit_test(test_shared_stack_edited_once),
		cmocka_unit_test(test_sample_labels),
		cmocka_unit_test(test_scaled_type),
	};

	return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
