/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Synthetic profiles for the recommendation rules' tests, built as
 * collectors build them (types by name and unit, frames by kind and
 * module), and the checks the tests share.
 */
#ifndef PROFILER_ADVICE_HELPER_H
#define PROFILER_ADVICE_HELPER_H

#include <errno.h>

#include "testutil.h"
#include "analysis/advice.h"
#include "analysis/rules.h"
#include "model/profile.h"

#define MS 1000000LL
#define SEC 1000000000LL

#define K(name) { FRAME_KERNEL, name, "[kernel.kallsyms]" }
#define U(name) { FRAME_USER, name, "/srv/app" }
#define LIBC(name) { FRAME_USER, name, "/usr/lib/x86_64-linux-gnu/libc.so.6" }
#define END { 0, NULL, NULL }

struct fr {
	enum frame_kind kind;
	const char *name, *module;
};

/* A sample of frames (leaf first, END-terminated) with values. */
static inline void add(struct profile *p, uint32_t tid, const char *comm,
		       const struct fr *f, const int64_t *vals)
{
	uint32_t ids[64], n = 0;

	for (; f->name && n < 64; f++) {
		/* one location per (kind, name): the address is the name's interned pointer */
		const char *name = profile_intern(p, f->name);
		uint32_t id = f->kind == FRAME_GROUP
			? profile_group_frame(p, f->module, name)
			: profile_location(p, f->kind, f->kind == FRAME_KERNEL ? 0 : 7,
					   (uintptr_t)name, n > 0);

		p->locs[id].name = name;
		p->locs[id].module = profile_intern(p, f->module);
		ids[n++] = id;
	}
	profile_add_sample(p, ids, n, 7, tid, comm, vals);
}

static inline struct advice run_rules(struct profile *p)
{
	struct advice a;

	assert_true(advice_run(&p, 1, &a) >= 0);
	return a;
}

/* The finding of a rule, or NULL. */
static inline const struct finding *find(const struct advice *a, const char *rule)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].rule, rule))
			return &a->v[i];
	return NULL;
}

static inline bool says(const struct finding *f, const char *text)
{
	return f && (strstr(f->title, text) || strstr(f->evidence, text) || strstr(f->next, text));
}

/* Whether rule fires on p (then saying text, if given); frees p. */
static inline bool fires(struct profile *p, const char *rule, const char *text)
{
	struct advice a = run_rules(p);
	const struct finding *f = find(&a, rule);

	if (f && text)
		assert_true(says(f, text));
	advice_free(&a);
	profile_free(p);
	return f != NULL;
}

/* ---- a CPU profile: samples and cpu time, 10 ms a sample ---- */

static inline struct profile *cpu_profile(void)
{
	struct profile *p = profile_new();

	profile_add_type(p, "samples", "count");
	profile_add_type(p, "cpu", "nanoseconds");
	p->period_type = (struct sample_type){ profile_intern(p, "cpu"),
					       profile_intern(p, "nanoseconds") };
	p->period = 10 * MS;
	p->duration_ns = 10 * SEC;
	return p;
}

static inline void cpu_add(struct profile *p, const struct fr *f, int64_t n)
{
	add(p, 0, "app", f, (int64_t[]){ n, n * 10 * MS });
}

/* hot runs `hot` of 1000 samples; the rest spread over 8 functions, 10% at most each */
static inline struct profile *cpu_self(int64_t hot)
{
	struct profile *p = cpu_profile();
	static const char *const others[] = { "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8" };
	int64_t left = 1000 - hot;

	cpu_add(p, (struct fr[]){ U("hot"), U("main"), END }, hot);
	for (int i = 0; i < 8; i++)
		cpu_add(p, (struct fr[]){ U(others[i]), U("main"), END }, left / 8 + (i < left % 8));
	return p;
}

#endif /* PROFILER_ADVICE_HELPER_H */
