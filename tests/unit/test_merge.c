// SPDX-License-Identifier: GPL-2.0
/*
 * Profiles added up by name (model/merge.h): the agent's pieces into
 * windows, a folded one-shot run's windows into the run.
 */
#include "testutil.h"
#include "model/merge.h"

/* A window: "spin <- main" n_spin times and "main" n_main times, by pid. */
static struct profile *piece(uint64_t start_s, uint32_t pid, int64_t n_main, int64_t n_spin)
{
	struct profile *p = profile_new();
	uint32_t main_id, spin_id, st[2];
	int64_t v;

	profile_add_type(p, "samples", "count");
	p->start_time_ns = start_s * 1000000000ULL;
	p->duration_ns = 1000000000ULL;
	/* addresses differ from piece to piece: names make them one */
	main_id = profile_location(p, FRAME_USER, pid, 0x1000 + start_s, false);
	spin_id = profile_location(p, FRAME_USER, pid, 0x2000 + start_s, false);
	p->locs[main_id].name = profile_intern(p, "main");
	p->locs[spin_id].name = profile_intern(p, "spin");
	st[0] = spin_id;
	st[1] = main_id;
	v = n_spin;
	profile_add_sample(p, st, 2, pid, 0, "burn", &v);
	v = n_main;
	profile_add_sample(p, &main_id, 1, pid, 0, "burn", &v);
	profile_add_loss(p, "stacks lost", 1, NULL);
	return p;
}

static void test_merge_adds_pieces(void **state)
{
	struct merged m = {};
	struct profile *a = piece(100, 1, 1, 3), *b = piece(101, 1, 2, 5), *w;

	merged_add(&m, a);
	merged_add(&m, b);
	w = merged_take(&m);
	assert_null(m.p);
	/* one set of locations for both pieces, values and losses summed */
	assert_int_equal(w->nlocs, 2);
	assert_int_equal(profile_total(w, 0), 11);
	assert_int_equal(w->nlosses, 1);
	assert_int_equal(w->losses[0].count, 2);
	assert_int_equal(w->start_time_ns, 100000000000ULL);
	assert_int_equal(w->duration_ns, 2000000000ULL);
	profile_free(w);
	profile_free(a);
	profile_free(b);
	merged_free(&m);
}

static int64_t value_of(const struct profile *p, uint32_t pid, uint32_t nframes, int type)
{
	for (size_t s = 0; s < p->nsamples; s++)
		if (p->samples[s].pid == pid && p->samples[s].nframes == nframes)
			return profile_value(p, s, type);
	return -1;
}

/* A process's stack seen in several windows is one sample; another process's is its own. */
static void test_merge_folds_samples(void **state)
{
	struct merged m = {};
	struct profile *ps[4] = { piece(1, 7, 1, 3), piece(2, 7, 2, 5), piece(3, 8, 10, 20),
				  piece(4, 7, 4, 0) };
	struct profile *w;

	for (int i = 0; i < 4; i++)
		merged_add(&m, ps[i]);
	w = merged_take(&m);
	assert_int_equal(w->nsamples, 4);
	assert_int_equal(value_of(w, 7, 2, 0), 8);
	assert_int_equal(value_of(w, 7, 1, 0), 7);
	assert_int_equal(value_of(w, 8, 2, 0), 20);
	assert_int_equal(value_of(w, 8, 1, 0), 10);
	assert_int_equal(profile_total(w, 0), 45);
	/* the two processes share the stacks' frames */
	assert_int_equal(w->nframes, 3);
	profile_free(w);
	for (int i = 0; i < 4; i++)
		profile_free(ps[i]);
}

/* A maximum stays one; a scaled type stays scaled; the cgroup label is kept. */
static void test_merge_keeps_types_and_labels(void **state)
{
	struct merged m = {};
	struct profile *ps[2], *w;

	for (int i = 0; i < 2; i++) {
		struct profile *p = profile_new();
		uint32_t id;
		int64_t v[3] = { 1, 0, 10 * (i + 1) };
		size_t s;

		profile_add_type(p, "count", "count");
		profile_add_scaled_type(p, "time", "nanoseconds", 0, 1000);
		profile_add_type(p, "longest", "nanoseconds");
		p->combine[2] = COMBINE_MAX;
		id = profile_location(p, FRAME_USER, 5, 0x10, false);
		p->locs[id].name = profile_intern(p, "wait");
		s = profile_add_sample(p, &id, 1, 5, 6, "waiter", v);
		profile_set_cgroup(p, s, "/system.slice/x.service");
		ps[i] = p;
		merged_add(&m, p);
	}
	w = merged_take(&m);
	assert_int_equal(w->nsamples, 1);
	assert_int_equal(profile_value(w, 0, 0), 2);
	assert_int_equal(profile_value(w, 0, 1), 2000);
	assert_int_equal(profile_value(w, 0, 2), 20);
	assert_int_equal(w->nstored, 2);
	assert_int_equal(sample_label(w, &w->samples[0])->tid, 6);
	assert_string_equal(sample_label(w, &w->samples[0])->comm, "waiter");
	assert_string_equal(sample_label(w, &w->samples[0])->cgroup, "/system.slice/x.service");
	profile_free(w);
	profile_free(ps[0]);
	profile_free(ps[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_adds_pieces),
		cmocka_unit_test(test_merge_folds_samples),
		cmocka_unit_test(test_merge_keeps_types_and_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
