// SPDX-License-Identifier: GPL-2.0
/*
 * Python frames merged into native stacks.  In CPython 3.11 one call of
 * _PyEval_EvalFrameDefault runs a Python function and every Python
 * function that one calls, without a native frame of their own, until one
 * is called from C: the frame it started with is an entry frame.  So the
 * frames, leaf first, split at entry frames into groups, one per native
 * interpreter frame, and the groups and those frames pair up from the
 * root: the outermost call runs the outermost group.
 *
 * From the root, because the leaf end is where the two can differ for a
 * moment: a native call entered that has not yet made its frame current,
 * or one whose frame is already gone.  An interpreter frame with no group
 * keeps its place alone; groups beyond the native frames (an unwind that
 * lost some) go with the innermost one, still in their order.  A stack
 * with no interpreter frame at all keeps its Python frames above its
 * native ones.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "python.h"
#include "symbol/python_merge.h"
#include "util/util.h"

static bool is_eval_frame(const struct location *l)
{
	static const char eval[] = "_PyEval_EvalFrameDefault";

	/* GCC splits it: the .cold part holds calls out too */
	return l->kind == FRAME_USER && l->name && !strncmp(l->name, eval, sizeof(eval) - 1) &&
	       (!l->name[sizeof(eval) - 1] || l->name[sizeof(eval) - 1] == '.');
}

static void merge_sample(struct profile *p, uint32_t *fr, uint32_t n, uint32_t *out,
			 uint32_t *evals, uint32_t *group_end)
{
	uint32_t a = n, b = n, ne = 0, ng = 0, k = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (p->locs[fr[i]].kind != FRAME_PYTHON)
			continue;
		if (a == n)
			a = i;
		b = i + 1;
	}
	if (a == n)
		return;
	for (uint32_t i = 0; i < a; i++)
		if (is_eval_frame(&p->locs[fr[i]]))
			evals[ne++] = i;
	if (!ne)
		return;
	/* groups, leaf first: each ends after an entry frame (or at the end) */
	for (uint32_t i = a; i < b; i++)
		if ((p->locs[fr[i]].addr & PY_FRAME_ENTRY) || i + 1 == b)
			group_end[ng++] = i + 1;

	for (uint32_t i = 0, g = 0, e = 0, from = a; i < n; i++) {
		if (i >= a && i < b)
			continue;
		if (e < ne && evals[e] == i) {
			/* eval frame e (leaf first) pairs with group e - (ne - ng) */
			int64_t want = (int64_t)e - ((int64_t)ne - ng);
			/* up to and with its own: the innermost takes the surplus too */
			uint32_t upto = want < 0 ? 0 : (uint32_t)want + 1;

			for (; g < upto && g < ng; g++) {
				for (uint32_t j = from; j < group_end[g]; j++)
					out[k++] = fr[j];
				from = group_end[g];
			}
			e++;
		}
		out[k++] = fr[i];
	}
	memcpy(fr, out, k * sizeof(*fr));
}

struct merge_bufs {
	uint32_t *out, *evals, *ends;
	size_t cap;
};

static uint32_t merge_stack(struct profile *p, uint32_t *fr, uint32_t n, void *ctx)
{
	struct merge_bufs *b = ctx;

	if (n > b->cap) {
		b->cap = n;
		b->out = xrealloc(b->out, n * sizeof(*b->out));
		b->evals = xrealloc(b->evals, n * sizeof(*b->evals));
		b->ends = xrealloc(b->ends, n * sizeof(*b->ends));
	}
	merge_sample(p, fr, n, b->out, b->evals, b->ends);
	return n;
}

void python_merge(struct profile *p)
{
	struct merge_bufs b = {};
	bool any = false;

	for (size_t i = 0; i < p->nlocs && !any; i++)
		any = p->locs[i].kind == FRAME_PYTHON;
	if (!any)
		return;
	/* once per distinct stack: a second pass over shared frames would reorder them again */
	profile_edit_stacks(p, merge_stack, &b);
	free(b.out);
	free(b.evals);
	free(b.ends);
}
