// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's state between the collection and the HTTP threads (see
 * agent.h).  Every function takes the lock for a copy or a list walk,
 * never for rendering or I/O, except agent_piece's encoding of a finished
 * ?seconds=N request: a profile of a few seconds, a millisecond or two.
 */
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent.h"
#include "output/output.h"
#include "util/util.h"

int agent_init(struct agent *a, const struct settings *set, const char *const *names, int n,
	       uint64_t window_ns)
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < 2; i++) {
		a->cut_fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (a->cut_fds[i] < 0) {
			int err = -errno;

			pr_err("eventfd: %s", strerror(errno));
			if (i)
				close(a->cut_fds[0]);
			return err;
		}
	}
	pthread_mutex_init(&a->lock, NULL);
	agent_cond_init(&a->cond);
	a->set = set;
	a->ntypes = n;
	for (int i = 0; i < n; i++)
		a->names[i] = names[i];
	a->window_ns = window_ns;
	return 0;
}

static void window_clear(struct agent_window *w)
{
	for (int i = 0; i < SESSION_MAX_COLLECTORS; i++)
		free(w->pprof[i].data);
	memset(w, 0, sizeof(*w));
}

void agent_free(struct agent *a)
{
	for (int i = 0; i < AGENT_RECENT; i++)
		window_clear(&a->recent[i]);
	for (int i = 0; i < a->nlosses; i++)
		free(a->losses[i].what);
	for (int i = 0; i < 2; i++)
		if (a->cut_fds[i] > 0)
			close(a->cut_fds[i]);
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
}

int agent_encode(const struct agent *a, const struct profile *p, struct agent_blob *out)
{
	struct write_opts wo;
	FILE *f;
	int err;

	out->data = NULL;
	out->len = 0;
	f = open_memstream(&out->data, &out->len);
	if (!f)
		return -errno;
	write_opts_init(&wo, a->set, p);
	err = write_pprof(p, &wo, f);
	if (fclose(f) && !err)
		err = -EIO;
	if (err) {
		free(out->data);
		out->data = NULL;
		out->len = 0;
	}
	return err < 0 ? err : err ? -EIO : 0;
}

static void count_losses(struct agent *a, int type, const struct profile *p)
{
	for (size_t l = 0; l < p->nlosses; l++) {
		int i;

		for (i = 0; i < a->nlosses; i++)
			if (a->losses[i].type == type && !strcmp(a->losses[i].what, p->losses[l].what))
				break;
		if (i == a->nlosses) {
			if (a->nlosses == AGENT_MAX_LOSSES)
				continue;	/* a bounded page: new kinds past the limit are left out */
			a->losses[a->nlosses++] = (struct agent_loss){ type, xstrdup(p->losses[l].what), 0 };
		}
		a->losses[i].count += p->losses[l].count;
	}
}

static void finish_req(struct agent *a, struct agent_req *r)
{
	r->done = true;
	if (r->m.p)
		agent_encode(a, r->m.p, &r->out);
	merged_free(&r->m);
}

void agent_piece(struct agent *a, struct profile *const *ps, int n, const struct session_window *w)
{
	pthread_mutex_lock(&a->lock);
	a->pieces++;
	a->last_piece_ns = now_ns();
	for (int i = 0; i < n && i < a->ntypes; i++) {
		a->samples[i] += ps[i]->nsamples;
		count_losses(a, i, ps[i]);
	}
	for (struct agent_req *r = a->reqs; r; r = r->next) {
		if (r->done)
			continue;
		/*
		 * The piece under way when the request came is not its: the
		 * request starts where that piece was cut (asked at once, but
		 * a busy session cuts when it can), and lasts N seconds on.
		 */
		if (!r->start_ns) {
			r->start_ns = w->to_ns;
			r->end_ns = w->to_ns + r->seconds * 1000000000ULL;
		} else if (w->from_ns >= r->start_ns) {
			merged_add(&r->m, ps[r->type]);
		}
		if (w->last || (w->from_ns >= r->start_ns && w->to_ns >= r->end_ns))
			finish_req(a, r);
	}
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

void agent_add_window(struct agent *a, uint64_t start_ns, uint64_t duration_ns,
		      struct agent_blob *pprof)
{
	struct agent_window *w;

	pthread_mutex_lock(&a->lock);
	a->nwindows++;
	w = &a->recent[(a->nwindows - 1) % AGENT_RECENT];
	window_clear(w);
	w->id = a->nwindows;
	w->start_ns = start_ns;
	w->duration_ns = duration_ns;
	for (int i = 0; i < a->ntypes; i++) {
		w->pprof[i] = pprof[i];
		pprof[i] = (struct agent_blob){};
	}
	pthread_mutex_unlock(&a->lock);
}

void agent_stop(struct agent *a)
{
	pthread_mutex_lock(&a->lock);
	a->stopping = true;
	for (struct agent_req *r = a->reqs; r; r = r->next)
		if (!r->done)
			finish_req(a, r);
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

void agent_cut_now(struct agent *a)
{
	uint64_t one = 1;

	/* both: while one session renews the other, either may be the one collecting */
	for (int i = 0; i < 2; i++)
		if (write(a->cut_fds[i], &one, sizeof(one)) < 0)
			continue;	/* the counter is full: a cut is pending anyway */
}

int agent_wait_profile(struct agent *a, int type, unsigned int seconds, struct agent_blob *out)
{
	struct agent_req r = { .type = type };
	struct agent_req **pp;
	struct timespec until;

	pthread_mutex_lock(&a->lock);
	if (a->stopping || a->nreqs >= AGENT_MAX_REQS) {
		int err = a->stopping ? -ESHUTDOWN : -EBUSY;

		pthread_mutex_unlock(&a->lock);
		return err;
	}
	r.seconds = seconds;
	r.next = a->reqs;
	a->reqs = &r;
	a->nreqs++;
	agent_cut_now(a);
	while (!r.done && !r.start_ns)
		pthread_cond_wait(&a->cond, &a->lock);
	until.tv_sec = (time_t)(r.end_ns / 1000000000ULL);
	until.tv_nsec = (long)(r.end_ns % 1000000000ULL);
	while (!r.done && now_ns() < r.end_ns)
		pthread_cond_timedwait(&a->cond, &a->lock, &until);
	if (!r.done)
		agent_cut_now(a);
	while (!r.done)
		pthread_cond_wait(&a->cond, &a->lock);
	for (pp = &a->reqs; *pp != &r; pp = &(*pp)->next)
		;
	*pp = r.next;
	a->nreqs--;
	pthread_mutex_unlock(&a->lock);
	*out = r.out;
	return 0;
}

static struct agent_window *find_window(struct agent *a, uint64_t id)
{
	struct agent_window *w;

	if (!a->nwindows)
		return NULL;
	if (!id)
		id = a->nwindows;
	w = &a->recent[(id - 1) % AGENT_RECENT];
	return w->id == id ? w : NULL;
}

int agent_copy_window(struct agent *a, uint64_t id, int type, struct agent_blob *out,
		      struct agent_window *info)
{
	struct agent_window *w;
	int err = -ENOENT;

	*out = (struct agent_blob){};
	pthread_mutex_lock(&a->lock);
	w = find_window(a, id);
	if (w && type >= 0 && type < a->ntypes && w->pprof[type].data) {
		out->data = xmalloc(w->pprof[type].len);
		memcpy(out->data, w->pprof[type].data, w->pprof[type].len);
		out->len = w->pprof[type].len;
		*info = (struct agent_window){ .id = w->id, .start_ns = w->start_ns,
					       .duration_ns = w->duration_ns };
		err = 0;
	}
	pthread_mutex_unlock(&a->lock);
	return err;
}

int agent_list_windows(struct agent *a, struct agent_window *out, int max)
{
	int n = 0;

	pthread_mutex_lock(&a->lock);
	for (uint64_t id = a->nwindows; id > 0 && n < max; id--) {
		struct agent_window *w = find_window(a, id);

		if (!w)
			break;
		out[n++] = (struct agent_window){ .id = w->id, .start_ns = w->start_ns,
						  .duration_ns = w->duration_ns };
	}
	pthread_mutex_unlock(&a->lock);
	return n;
}

int agent_type(const struct agent *a, const char *name)
{
	for (int i = 0; i < a->ntypes; i++)
		if (!strcmp(a->names[i], name))
			return i;
	return -1;
}

void agent_session_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGCHLD);
}

void agent_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t ca;

	/* waits time out by the monotonic clock: a clock step is no timeout */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &ca);
	pthread_condattr_destroy(&ca);
}

unsigned long agent_rss_bytes(void)
{
	unsigned long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (unsigned long)sysconf(_SC_PAGESIZE);
}

/* A line of /proc/self/maps: its range, permissions and path ("" for none). */
static bool maps_line(const char *line, unsigned long *start, unsigned long *end, char perms[5],
		      const char **path)
{
	const char *p = strchr(line, '/');

	*path = p ? p : "";
	return sscanf(line, "%lx-%lx %4s", start, end, perms) == 3;
}

struct loaded {
	unsigned long (*seg)[2];	/* [start, end) of each PT_LOAD of a loaded object */
	size_t n, cap;
};

static int add_loaded(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct loaded *l = arg;
	unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE);

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		unsigned long start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD)
			continue;
		GROW(l->seg, l->cap, l->n + 1);
		l->seg[l->n][0] = start & ~(page - 1);
		l->seg[l->n][1] = (start + ph->p_memsz + page - 1) & ~(page - 1);
		l->n++;
	}
	return 0;
}

size_t agent_drop_file_pages(void)
{
	char *maps = read_file("/proc/self/maps", NULL), *line, *next = NULL;
	struct loaded l = {};
	size_t dropped = 0;
	unsigned long start, end;
	const char *path;
	char perms[5];

	/*
	 * Our loaded objects after the maps: one mapped since is not in
	 * the maps, and one mapped but not yet listed by the loader has not
	 * been relocated, so none of its read-only pages was written.
	 */
	dl_iterate_phdr(add_loaded, &l);
	for (line = maps; line && *line; line = next) {
		bool ours = false;

		next = strchr(line, '\n');
		if (!next)
			break;
		*next++ = '\0';
		if (!maps_line(line, &start, &end, perms, &path) || !*path || strcmp(perms, "r--p"))
			continue;
		/*
		 * A read-only private mapping of a file that is not a
		 * segment of one of our loaded objects (their RELRO pages
		 * were written before being made read-only): never
		 * writable, so it holds no page of its own, and its pages
		 * come back from the page cache at the next touch.  Files
		 * we also run (libc, our own binary) that libelf mapped
		 * whole to read as ELF are dropped too.
		 */
		for (size_t i = 0; i < l.n && !ours; i++)
			ours = start < l.seg[i][1] && end > l.seg[i][0];
		if (!ours && !madvise((void *)start, end - start, MADV_DONTNEED))
			dropped += end - start;
	}
	free(l.seg);
	free(maps);
	return dropped;
}
