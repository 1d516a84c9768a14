// SPDX-License-Identifier: GPL-2.0
/*
 * What the rules read from stacks: frames by kind, name and module only.
 * Which frame is the program's own, what system call a kernel stack
 * serves, where a blocked stack waits; and sums by key.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/rules.h"
#include "util/util.h"

int type_index(const struct profile *p, const char *name, const char *unit)
{
	int t = profile_find_type(p, name);

	return t >= 0 && !strcmp(p->types[t].unit, unit) ? t : -1;
}

double profile_secs(const struct profile *p)
{
	return p->duration_ns / 1e9;
}

double share_pct(double v, double total)
{
	return total > 0 ? 100.0 * v / total : 0;
}

const char *frame_label(char *buf, size_t size, const struct location *l)
{
	const char *m = l->module ? l->module : "";
	const char *base = strrchr(m, '/');

	if (!strcmp(m, "[kernel.kallsyms]"))
		m = "kernel";
	else if (base)
		m = base + 1;
	snprintf(buf, size, "%s [%s]", l->name ? l->name : "?", m);
	return buf;
}

static bool starts(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

bool frame_is_system(const struct location *l)
{
	static const char *const dirs[] = { "/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/" };

	if (l->kind != FRAME_USER && l->kind != FRAME_INLINE)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (starts(l->module, dirs[i]))
			return true;
	return starts(l->module, "[vdso]");
}

const struct location *own_frame(const struct profile *p, size_t sample)
{
	const struct sample *s = &p->samples[sample];
	const uint32_t *fr = p->frames + s->first;
	const struct location *first = NULL;

	for (uint32_t i = 0; i < s->nframes; i++) {
		const struct location *l = &p->locs[fr[i]];

		if (l->kind == FRAME_KERNEL || l->kind == FRAME_GROUP || frame_lost(l))
			continue;
		if (!first)
			first = l;
		if (!frame_is_system(l))
			return l;
	}
	return first;
}

const char *own_path(const struct profile *p, size_t sample, char *buf, size_t size)
{
	const struct sample *s = &p->samples[sample];
	const struct location *own = own_frame(p, sample);
	char lb[512];

	buf[0] = '\0';
	if (!own)
		return buf;
	for (uint32_t i = 0; i + 1 < s->nframes; i++) {
		const struct location *up = &p->locs[p->frames[s->first + i + 1]];

		if (&p->locs[p->frames[s->first + i]] != own || up->kind == FRAME_GROUP)
			continue;
		snprintf(buf, size, "%s < %s", own->name, frame_label(lb, sizeof(lb), up));
		return buf;
	}
	return frame_label(buf, size, own);
}

const struct location *leaf_frame(const struct profile *p, size_t sample)
{
	const struct sample *s = &p->samples[sample];

	for (uint32_t i = 0; i < s->nframes; i++) {
		const struct location *l = &p->locs[p->frames[s->first + i]];

		if (l->kind != FRAME_GROUP)
			return l;
	}
	return NULL;
}

bool frame_unnamed(const struct location *l)
{
	if (!l->name || l->kind == FRAME_GROUP)
		return !l->name;
	/* the symbolizer's names for addresses it could not name */
	return starts(l->name, "[unmapped]") || starts(l->name, "[pid ") ||
	       starts(l->name, JIT_UNNAMED_PREFIX) ||
	       starts(l->name, "[kernel]+0x") || (l->name[0] != '[' && strstr(l->name, "+0x"));
}

bool frame_lost(const struct location *l)
{
	return (l->module && !strcmp(l->module, "[lost]")) || starts(l->name, "[frames lost");
}

bool stack_has(const struct profile *p, size_t sample, const char *needle)
{
	const struct sample *s = &p->samples[sample];

	for (uint32_t i = 0; i < s->nframes; i++) {
		const char *n = p->locs[p->frames[s->first + i]].name;

		if (n && strstr(n, needle))
			return true;
	}
	return false;
}

/* "__x64_sys_read" -> "read"; NULL when the name is no system call's. */
static const char *syscall_name(const char *n)
{
	static const char *const prefixes[] = { "__x64_sys_", "__ia32_sys_", "__arm64_sys_",
						"__se_sys_", "__do_sys_", "ksys_" };

	for (size_t i = 0; n && i < ARRAY_SIZE(prefixes); i++)
		if (starts(n, prefixes[i]) && n[strlen(prefixes[i])])
			return n + strlen(prefixes[i]);
	return NULL;
}

const char *kernel_cause(const struct profile *p, size_t sample, char *buf, size_t size)
{
	static const char *const dispatch[] = { "do_syscall_64", "x64_sys_call", "invoke_syscall",
						"do_int80_syscall_32" };
	const struct sample *s = &p->samples[sample];
	const uint32_t *fr = p->frames + s->first;
	bool user = false;
	int nk = 0;

	for (uint32_t i = 0; i < s->nframes; i++) {
		const struct location *l = &p->locs[fr[i]];

		if (l->kind != FRAME_KERNEL) {
			user |= l->kind != FRAME_GROUP;
			continue;
		}
		nk = i + 1;
		/* the leafmost of a fault or an interrupt is what the CPU is doing */
		if (!strcmp(l->name, "exc_page_fault") || !strcmp(l->name, "do_user_addr_fault"))
			return "page faults";
		if (starts(l->name, "asm_sysvec_") || starts(l->name, "asm_common_interrupt") ||
		    !strcmp(l->name, "handle_softirqs") || !strcmp(l->name, "__do_softirq"))
			return "interrupts";
	}
	/* the system call: the rootmost frame named like one, else the frame
	 * the dispatcher called */
	for (int i = nk - 1; i >= 0; i--) {
		const char *n = p->locs[fr[i]].name, *sc = syscall_name(n);

		if (sc) {
			snprintf(buf, size, "%s", sc);
			return buf;
		}
		for (size_t k = 0; k < ARRAY_SIZE(dispatch); k++) {
			if (strcmp(n, dispatch[k]) || i == 0)
				continue;
			n = p->locs[fr[i - 1]].name;
			if (!strcmp(n, "x64_sys_call") && i >= 2)
				n = p->locs[fr[i - 2]].name;
			sc = syscall_name(n);
			/* entry or exit work: the wrapper that made the call names it */
			if (!sc && nk < (int)s->nframes && p->locs[fr[nk]].kind == FRAME_USER &&
			    frame_is_system(&p->locs[fr[nk]]))
				sc = p->locs[fr[nk]].name;
			snprintf(buf, size, "%s", sc ? sc : "system call entry/exit");
			return buf;
		}
	}
	return user ? "other kernel work" : "kernel threads";
}

const char *syscall_wrapper(const struct profile *p, size_t sample)
{
	const struct sample *s = &p->samples[sample];
	const uint32_t *fr = p->frames + s->first;
	uint32_t i = 0;

	while (i < s->nframes && p->locs[fr[i]].kind == FRAME_KERNEL)
		i++;
	if (!i || i == s->nframes || p->locs[fr[i]].kind != FRAME_USER ||
	    !frame_is_system(&p->locs[fr[i]]))
		return NULL;
	return p->locs[fr[i]].name;
}

const struct location *wait_frame(const struct profile *p, size_t sample)
{
	const struct sample *s = &p->samples[sample];
	const uint32_t *fr = p->frames + s->first;

	for (uint32_t i = 0; i < s->nframes; i++) {
		const struct location *l = &p->locs[fr[i]];

		if (l->kind != FRAME_KERNEL)
			break;
		/* schedule, __schedule, schedule_timeout, io_schedule, ... */
		if (strstr(l->name, "schedule") || starts(l->name, "__switch_to") ||
		    !strcmp(l->name, "finish_task_switch") || !strcmp(l->name, "wait_woken"))
			continue;
		/* the tracepoint's own frames, where a stack keeps them */
		if (profile_tracing_frame(l))
			continue;
		return l;
	}
	return leaf_frame(p, sample);
}

/* ---- sums by key ---- */

struct tally_key {
	const struct tally *t;
	const void *k1, *k2;
};

static bool tally_eq(const void *ctx, uint32_t idx)
{
	const struct tally_key *k = ctx;

	return k->t->rows[idx].k1 == k->k1 && k->t->rows[idx].k2 == k->k2;
}

struct tally_row *tally_add(struct tally *t, const void *k1, const void *k2, size_t sample,
			    const int64_t *vals)
{
	uint64_t h = hash_u64((uintptr_t)k1 ^ hash_u64((uintptr_t)k2));
	int64_t i = idxmap_find(&t->index, h, tally_eq, &(struct tally_key){ t, k1, k2 });
	struct tally_row *r;

	if (i < 0) {
		GROW(t->rows, t->cap, t->n + 1);
		t->rows[t->n] = (struct tally_row){ .k1 = k1, .k2 = k2, .best = INT64_MIN,
						    .sample = sample };
		idxmap_insert(&t->index, h, t->n);
		i = t->n++;
	}
	r = &t->rows[i];
	for (int k = 0; k < 4 && vals; k++)
		r->v[k] += vals[k];
	if (vals && vals[0] > r->best) {
		r->best = vals[0];
		r->sample = sample;
	}
	return r;
}

static int cmp_row(const void *a, const void *b, void *arg)
{
	const struct tally_row *x = a, *y = b;
	int c = *(const int *)arg;

	if (x->v[c] != y->v[c])
		return x->v[c] < y->v[c] ? 1 : -1;
	return (x->sample > y->sample) - (x->sample < y->sample);
}

void tally_sort(struct tally *t, int col)
{
	if (t->n)
		qsort_r(t->rows, t->n, sizeof(*t->rows), cmp_row, &col);
}

void tally_free(struct tally *t)
{
	free(t->rows);
	idxmap_free(&t->index);
	*t = (struct tally){};
}
