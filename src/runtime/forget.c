// SPDX-License-Identifier: GPL-2.0
/*
 * What a session forgets of processes that exited: whether one is gone,
 * whether a collect may delete what it left, and the deletes themselves
 * (the counts' keys, the windows' deltas, the user stacks, the symbols
 * and the unwind entries).  The collectors that keep counts for the run
 * (offcpu, lock, io) and cpu call these after each window.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/deltas.h"
#include "runtime/runtime.h"
#include "runtime/stack_prune.h"
#include "runtime/unwind.h"
#include "symbol/symbolizer.h"
#include "util/util.h"

uint64_t session_exit_mark(struct session *ss)
{
	return ss->rt->sym ? symbolizer_exit_mark(ss->rt->sym) : 0;
}

int session_process_gone(struct session *ss, uint32_t pid, uint64_t mark)
{
	int g = ss->rt->sym ? symbolizer_exited_before(ss->rt->sym, pid, mark) : -1;

	if (g >= 0)
		return g;
	/* unknown to the records (forgotten, or older than the run) */
	return kill((pid_t)pid, 0) && errno == ESRCH ? -1 : 0;
}

bool session_exited_before(struct session *ss, uint32_t pid, uint64_t mark)
{
	return ss->rt->sym && symbolizer_exited_before(ss->rt->sym, pid, mark) > 0;
}

int session_gone_fn(void *ctx, uint32_t pid)
{
	const struct session_gone *g = ctx;

	return session_process_gone(g->ss, pid, g->mark);
}

bool session_may_forget(const struct session *ss)
{
	return !ss->keep_whole && !ss->whole_run && !ss->rt->stop_ns;
}

void session_forget_exited(struct session *ss, uint64_t mark)
{
	struct session *rt = ss->rt;

	symbolizer_forget_exited(rt->sym, rt->forget_mark);
	rt->forget_mark = mark;
	/* and the unwind entries of processes that exited since the last
	 * window; once stopped, unw_procs goes with the session */
	if (!rt->stop_ns)
		unwinder_flush_exited(rt->unw);
}

struct keys_gone {
	struct session_gone g;
	size_t pid_off;
};

static bool key_gone(void *ctx, const void *key)
{
	struct keys_gone *k = ctx;
	uint32_t pid;

	memcpy(&pid, (const char *)key + k->pid_off, sizeof(pid));
	return session_gone_fn(&k->g, pid) > 0;
}

size_t session_forget_keys(struct session *ss, uint64_t mark, int counts_fd, const void *keys,
			   long nkeys, size_t key_size, size_t pid_off, struct deltas *d,
			   struct stack_prune *pr, const struct stack_maps *sm, size_t *stacks)
{
	struct keys_gone k = { { ss, mark }, pid_off };
	char *dead = NULL;
	size_t ndead = 0, cap = 0, gone = 0;

	for (long i = 0; i < nkeys; i++) {
		const char *key = (const char *)keys + (size_t)i * key_size;

		if (!key_gone(&k, key))
			continue;
		if (ndead == cap) {
			cap = cap ? 2 * cap : 64;
			dead = xrealloc(dead, cap * key_size);
		}
		memcpy(dead + ndead++ * key_size, key, key_size);
	}
	if (ndead)
		gone = map_delete_keys(counts_fd, dead, (uint32_t)key_size, ndead);
	free(dead);
	deltas_forget(d, key_gone, &k);
	*stacks = stack_prune_run(pr, sm->fd, sm->deep_fd, session_gone_fn, &k.g);
	ss->rt->stacks_pruned += *stacks;
	return gone;
}
