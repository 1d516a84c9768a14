// SPDX-License-Identifier: GPL-2.0
/*
 * User stacks of exited processes deleted from a stacks map (stack_prune.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "common.h"
#include "runtime/runtime.h"
#include "runtime/stack_prune.h"
#include "util/idxmap.h"
#include "util/util.h"

#define PID_SHARED UINT32_MAX	/* noted for two processes: kept */

struct pr_entry {
	uint64_t id;
	uint32_t pid;
	bool unknown_dead;	/* its process unknown and not running at the last run */
};

struct stack_prune {
	struct pr_entry *e;
	size_t n, cap;
	struct idxmap index;	/* of e by id */
	uint64_t *dead;		/* ids to delete, reused from run to run */
	size_t dead_cap;
};

struct stack_prune *stack_prune_new(void)
{
	return xcalloc(1, sizeof(struct stack_prune));
}

struct find_ctx {
	const struct stack_prune *pr;
	uint64_t id;
};

static bool same_id(const void *ctx, uint32_t idx)
{
	const struct find_ctx *f = ctx;

	return f->pr->e[idx].id == f->id;
}

void stack_prune_note(struct stack_prune *pr, uint64_t id, uint32_t pid)
{
	struct find_ctx f = { pr, id };
	uint32_t at;

	if (!(id & STACK_ID_VALID_BIT))
		return;
	at = idxmap_find_or_insert(&pr->index, hash_u64(id), same_id, &f, (uint32_t)pr->n);
	if (at == pr->n) {
		GROW(pr->e, pr->cap, pr->n + 1);
		pr->e[pr->n++] = (struct pr_entry){ id, pid, false };
		return;
	}
	if (pr->e[at].pid != pid)
		pr->e[at].pid = PID_SHARED;
	pr->e[at].unknown_dead = false;	/* sampled again: a reused pid's */
}

size_t stack_prune_run(struct stack_prune *pr, int fd, int deep_fd, stack_prune_gone_fn gone,
		       void *ctx)
{
	size_t kept = 0, ndead = 0, nshort = 0, deleted;

	for (size_t i = 0; i < pr->n; i++) {
		struct pr_entry *e = &pr->e[i];
		int g = e->pid == PID_SHARED ? 0 : gone(ctx, e->pid);

		if (g > 0 || (g < 0 && e->unknown_dead)) {
			GROW(pr->dead, pr->dead_cap, ndead + 1);
			pr->dead[ndead++] = e->id;
			continue;
		}
		e->unknown_dead = g < 0;
		pr->e[kept++] = *e;
	}
	if (!ndead)
		return 0;
	/* the survivors moved: index them again */
	idxmap_free(&pr->index);
	pr->n = kept;
	for (size_t i = 0; i < kept; i++)
		idxmap_insert(&pr->index, hash_u64(pr->e[i].id), (uint32_t)i);
	/* the array shrinks with what it holds: churn leaves no high-water mark */
	if (pr->cap > 2 * kept + 1024) {
		pr->cap = 2 * kept + 1024;
		pr->e = xrealloc(pr->e, pr->cap * sizeof(*pr->e));
	}
	/* the short stacks' ids first, then the deep ones': each to its map */
	for (size_t i = 0; i < ndead; i++)
		if (!(pr->dead[i] & STACK_ID_DEEP_BIT)) {
			uint64_t t = pr->dead[nshort];

			pr->dead[nshort++] = pr->dead[i];
			pr->dead[i] = t;
		}
	deleted = fd >= 0 ? map_delete_keys(fd, pr->dead, sizeof(*pr->dead), nshort) : nshort;
	deleted += deep_fd >= 0 ? map_delete_keys(deep_fd, pr->dead + nshort, sizeof(*pr->dead),
						  ndead - nshort) : ndead - nshort;
	if (pr->dead_cap > 2 * ndead + 1024) {
		free(pr->dead);
		pr->dead = NULL;
		pr->dead_cap = 0;
	}
	return deleted;
}

size_t stack_prune_size(const struct stack_prune *pr)
{
	return pr ? pr->n : 0;
}

void stack_prune_free(struct stack_prune *pr)
{
	if (!pr)
		return;
	idxmap_free(&pr->index);
	free(pr->e);
	free(pr->dead);
	free(pr);
}
