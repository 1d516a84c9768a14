// SPDX-License-Identifier: GPL-2.0
/*
 * Threads off the CPU at the start and at the end of a profile: the task
 * iterator of bpf/blocked.bpf.c, or /proc/PID/task where it cannot load.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "blocked.h"
#include "lock.h"
#include "offcpu.h"
#include "blocked.skel.h"
#include "runtime/blocked_threads.h"
#include "runtime/cgroups.h"
#include "runtime/load_heap.h"
#include "runtime/runtime.h"
#include "output/output.h"
#include "util/util.h"

struct blocked {
	struct session *ss;
	struct blocked_bpf *skel;	/* NULL: from /proc */
	int mode;
	int park_fd;			/* the collector's start/uwaits, for /proc */
	struct blocked_list start, end;
	uint64_t start_scan_ns;		/* when the start's look began */
};

static bool force_proc(void)
{
	const char *e = getenv("PROFILER_BLOCKED_PROC");

	return e && *e && strcmp(e, "0");
}

/* Every map of the iterator's object that the collector's has too is the collector's. */
static int share_maps(struct bpf_object *mine, struct bpf_object *theirs)
{
	struct bpf_map *m, *t;

	bpf_object__for_each_map(m, mine) {
		const char *name = bpf_map__name(m);

		if (strchr(name, '.') || !strncmp(name, "unw_", 4))
			continue;	/* .rodata, .bss; unwind tables: the session's */
		t = bpf_object__find_map_by_name(theirs, name);
		if (t && bpf_map__reuse_fd(m, bpf_map__fd(t)))
			return -errno;
	}
	return 0;
}

static struct blocked_bpf *load_iterator(struct session *ss, struct bpf_object *obj, int mode)
{
	struct blocked_bpf *skel = SKEL_OPEN(ss, blocked);
	int err;

	if (!skel)
		return NULL;
	skel->rodata->filter_pids = ss->filter_pids;
	skel->rodata->filter_tids = ss->filter_tids;
	skel->rodata->filter_cgroups = session_cgroup_prepare(ss, skel->maps.cgroup_targets);
	skel->rodata->mode = mode;
	skel->rodata->futex_nr = SYS_futex;
	skel->rodata->cfi_unwind = session_unwind_prepare(ss, skel->maps.unw_rows,
							   skel->maps.unw_procs);
	skel->rodata->max_depth = session_stack_depth(ss, skel->maps.stacks_deep,
								 skel->maps.stacks_spill);
	bpf_program__set_autoload(skel->progs.follow_fork, false);
	bpf_program__set_autoload(skel->progs.proc_exec, false);
	err = share_maps(skel->obj, obj);
	if (!err)
		err = skel_load(skel->skeleton);
	if (err) {
		pr_debug("blocked threads: the task iterator did not load (%s): from /proc, "
			 "without stacks", strerror(-err));
		blocked_bpf__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

struct blocked *blocked_open(struct session *ss, struct bpf_object *obj, int mode)
{
	struct blocked *b;
	struct bpf_map *m;

	if (!ss->filter_pids && !ss->filter_tids)
		return NULL;
	b = xcalloc(1, sizeof(*b));
	b->ss = ss;
	b->mode = mode;
	b->park_fd = -1;
	m = bpf_object__find_map_by_name(obj, mode == BLOCKED_MODE_LOCK ? "uwaits" : "start");
	if (m && mode != BLOCKED_MODE_REPORT)
		b->park_fd = bpf_map__fd(m);
	if (force_proc()) {
		pr_debug("blocked threads: from /proc (PROFILER_BLOCKED_PROC is set)");
	} else {
		uint64_t t0 = now_ns();

		b->skel = load_iterator(ss, obj, mode);
		if (b->skel)
			pr_debug("blocked threads: task iterator loaded in %.1f ms", (now_ns() - t0) / 1e6);
	}
	if (b->skel)
		session_add_object(ss, b->skel->obj);
	return b;
}

static void list_add(struct blocked_list *l, const struct blocked_rec *r)
{
	GROW(l->v, l->cap, l->n + 1);
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	l->v[l->n++].rec = *r;
}

static void read_wchan(struct blocked_thread *t)
{
	char path[64], *text;

	snprintf(path, sizeof(path), "/proc/%u/task/%u/wchan", t->rec.pid, t->rec.tid);
	text = read_file(path, NULL);
	if (text && strcmp(text, "0"))
		snprintf(t->wchan, sizeof(t->wchan), "%s", text);
	free(text);
}

static int scan_iterator(struct blocked *b, bool park, struct blocked_list *out)
{
	struct bpf_link *link;
	char *data = NULL;
	size_t len = 0, cap = 0;
	ssize_t got;
	int fd, err = 0;

	b->skel->bss->park = park;
	link = bpf_program__attach_iter(b->skel->progs.blocked_tasks, NULL);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		GROW(data, cap, len + 65536);
		got = read(fd, data + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			err = got < 0 ? -errno : 0;
			break;
		}
		len += got;
	}
	close(fd);
	for (size_t off = 0; off + sizeof(struct blocked_rec) <= len; off += sizeof(struct blocked_rec))
		list_add(out, (const struct blocked_rec *)(data + off));
out:
	free(data);
	bpf_link__destroy(link);
	return err;
}

/* ---- /proc ----------------------------------------------------------- */

/* State letter of /proc/PID/task/TID/stat and its switch counts from status. */
static bool proc_thread(uint32_t pid, uint32_t tid, struct blocked_rec *r)
{
	char path[96], *text, *p;
	bool ok = false;

	snprintf(path, sizeof(path), "/proc/%u/task/%u/stat", pid, tid);
	text = read_file(path, NULL);
	if (!text || !(p = strrchr(text, ')')) || p[1] != ' ')
		goto out;
	/* R running, D disk sleep, S sleeping, T/t stopped: kernel state bits */
	switch (p[2]) {
	case 'S': r->state = 0x1; break;
	case 'D': r->state = 0x2; break;
	case 'T': r->state = 0x4; break;
	case 't': r->state = 0x8; break;
	case 'I': r->state = 0x402; break;
	default: goto out;	/* running, zombie, dead */
	}
	ok = true;
	free(text);
	snprintf(path, sizeof(path), "/proc/%u/task/%u/status", pid, tid);
	text = read_file(path, NULL);
	if (text && (p = strstr(text, "voluntary_ctxt_switches:")))
		r->switches = strtoull(p + 24, NULL, 10);
	if (text && (p = strstr(text, "nonvoluntary_ctxt_switches:")))
		r->switches += strtoull(p + 27, NULL, 10);
	free(text);
	snprintf(path, sizeof(path), "/proc/%u/task/%u/comm", pid, tid);
	read_line(path, r->comm, sizeof(r->comm));
	/* "NR ARG1 .. ARG6 SP PC", "running" or "-1 SP PC" (not in a syscall) */
	snprintf(path, sizeof(path), "/proc/%u/task/%u/syscall", pid, tid);
	text = read_file(path, NULL);
	if (text) {
		unsigned long long v[9];

		if (sscanf(text, "%llu %llx %llx %llx %llx %llx %llx %llx %llx", &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) == 9) {
			r->flags |= BLOCKED_F_SYSCALL;
			r->syscall = v[0];
			memcpy(r->args, &v[1], sizeof(r->args));
			r->user_ip = v[8];
		}
	}
out:
	free(text);
	return ok;
}

/* The futex wait of a /proc record, as the iterator reads it (no owner: no memory read). */
static void proc_futex(struct blocked_rec *r)
{
	unsigned int op = r->args[1] & 0x7f;

	if (!(r->flags & BLOCKED_F_SYSCALL) || r->syscall != SYS_futex)
		return;
	if (op == 6 || op == 13)
		r->lock_flags = LOCK_F_FUTEX | LOCK_F_PI;
	else if (op == 0 || op == 9 || op == 11)
		r->lock_flags = LOCK_F_FUTEX;
}

/* Park from user space: the same entries the iterator makes, without stacks. */
static void proc_park(struct blocked *b, struct blocked_rec *r)
{
	struct offcpu_start os = {};
	struct lock_uwait w = {};
	int err;

	if (b->park_fd < 0)
		return;
	if (b->mode == BLOCKED_MODE_OFFCPU) {
		os.ts = r->now_ns;
		os.key.pid = r->pid;
		memcpy(os.key.comm, r->comm, sizeof(os.key.comm));
		err = bpf_map_update_elem(b->park_fd, &r->tid, &os, BPF_NOEXIST);
	} else if (r->lock_flags) {
		w.ts = r->now_ns;
		w.addr = r->args[0];
		w.flags = r->lock_flags;
		err = bpf_map_update_elem(b->park_fd, &r->tid, &w, BPF_NOEXIST);
	} else {
		return;
	}
	if (!err)
		r->flags |= BLOCKED_F_PARKED;
}

static void scan_pid(struct blocked *b, uint32_t pid, uint32_t only_tid, bool park,
		     struct blocked_list *out)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%u/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct blocked_rec r = { .pid = pid, .flags = BLOCKED_F_PROC,
					 .syscall = BLOCKED_NO_SYSCALL };

		r.tid = strtoul(de->d_name, NULL, 10);
		if (!r.tid || (only_tid && r.tid != only_tid))
			continue;
		/* --cgroup with -p/-t: both select, as the iterator's filter does */
		if (!cgroups_task_in(b->ss->rt->cg, pid, r.tid))
			continue;
		r.now_ns = now_ns();
		if (!proc_thread(pid, r.tid, &r))
			continue;
		proc_futex(&r);
		if (park)
			proc_park(b, &r);
		list_add(out, &r);
	}
	closedir(d);
	symbolizer_note_process(b->ss->sym, pid);
}

static void scan_proc(struct blocked *b, bool park, struct blocked_list *out)
{
	const struct settings *s = b->ss->set;

	for (int i = 0; i < s->npids; i++)
		scan_pid(b, s->pids[i], 0, park, out);
	for (int i = 0; i < s->ntids; i++)
		scan_pid(b, proc_tgid(s->tids[i]), s->tids[i], park, out);
}

/* ---- both ------------------------------------------------------------ */

int blocked_scan(struct blocked *b, bool at_start)
{
	struct blocked_list *out;
	bool park = at_start;
	uint64_t t0 = now_ns();
	int err = 0;

	if (!b)
		return 0;
	out = at_start ? &b->start : &b->end;
	out->n = 0;
	if (at_start)
		b->start_scan_ns = now_ns();
	if (at_start && b->ss->set->cmd)
		return 0;	/* -- COMMAND: nothing of it waits yet but for our go */
	if (b->skel)
		err = scan_iterator(b, park, out);
	else
		scan_proc(b, park, out);
	for (size_t i = 0; i < out->n; i++)
		read_wchan(&out->v[i]);
	if (err)
		pr_warn("cannot list the blocked threads: %s", strerror(-err));
	pr_debug("blocked threads at the %s: %zu, found in %.1f ms", park ? "start" : "end", out->n,
		 (now_ns() - t0) / 1e6);
	return err;
}

const struct blocked_list *blocked_at_start(const struct blocked *b)
{
	return b ? &b->start : NULL;
}

const struct blocked_list *blocked_at_end(const struct blocked *b)
{
	return b ? &b->end : NULL;
}

bool blocked_from_proc(const struct blocked *b)
{
	return b && !b->skel;
}

const struct blocked_thread *blocked_find(const struct blocked_list *l, uint32_t tid)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (l->v[i].rec.tid == tid)
			return &l->v[i];
	return NULL;
}

bool blocked_whole_run(const struct blocked *b, uint32_t tid)
{
	const struct blocked_thread *s = blocked_find(&b->start, tid);
	const struct blocked_thread *e = blocked_find(&b->end, tid);

	/* every time a thread stops running one of its counts goes up */
	return s && e && s->rec.switches == e->rec.switches;
}

/* x86-64 numbers of the calls threads block in; others by number */
static const char *syscall_name(uint64_t nr)
{
#if defined(__x86_64__)
	static const struct { unsigned nr; const char *name; } names[] = {
		{ 0, "read" }, { 1, "write" }, { 7, "poll" }, { 17, "pread64" },
		{ 18, "pwrite64" }, { 19, "readv" }, { 20, "writev" }, { 23, "select" },
		{ 34, "pause" }, { 35, "nanosleep" }, { 43, "accept" }, { 45, "recvfrom" },
		{ 47, "recvmsg" }, { 61, "wait4" }, { 72, "fcntl" }, { 74, "fsync" },
		{ 202, "futex" }, { 230, "clock_nanosleep" }, { 232, "epoll_wait" },
		{ 247, "waitid" }, { 270, "pselect6" }, { 271, "ppoll" }, { 281, "epoll_pwait" },
		{ 288, "accept4" }, { 299, "recvmmsg" }, { 441, "epoll_pwait2" },
		{ 449, "futex_waitv" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].nr == nr)
			return names[i].name;
#endif
	return NULL;
}

static const char *futex_op_name(uint64_t op)
{
	static const char *const ops[] = {
		[0] = "FUTEX_WAIT", [6] = "FUTEX_LOCK_PI", [9] = "FUTEX_WAIT_BITSET",
		[11] = "FUTEX_WAIT_REQUEUE_PI", [13] = "FUTEX_LOCK_PI2",
	};
	unsigned int cmd = op & 0x7f;

	return cmd < ARRAY_SIZE(ops) && ops[cmd] ? ops[cmd] : "FUTEX_?";
}

void blocked_describe(const struct blocked_rec *r, char *buf, size_t size)
{
	const char *name;

	if (!(r->flags & BLOCKED_F_SYSCALL)) {
		snprintf(buf, size, "-");
		return;
	}
	name = syscall_name(r->syscall);
	if (r->syscall == SYS_futex)
		snprintf(buf, size, "futex(0x%llx, %s%s)", (unsigned long long)r->args[0],
			 futex_op_name(r->args[1]), r->args[1] & 128 ? "_PRIVATE" : "");
	else if (name)
		snprintf(buf, size, "%s(%lld)", name, (long long)r->args[0]);
	else
		snprintf(buf, size, "syscall %llu", (unsigned long long)r->syscall);
}

static const char *state_name(uint32_t state)
{
	if (state & 0x2)
		return "D (uninterruptible)";
	if (state & 0x1)
		return "S (sleeping)";
	if (state & 0x4)
		return "T (stopped)";
	if (state & 0x8)
		return "t (traced)";
	return "?";
}

void blocked_add_table(const struct blocked *b, struct profile *p)
{
	static const char *const cols[] = { "TID", "COMM", "STATE", "WCHAN", "IN", "BEFORE",
					    "AT END" };
	char tid[16], in[128], before[32];
	size_t t;

	if (!b || !b->start.n)
		return;
	/* the waits parked at the start began then: the tests' skew */
	/* negative when a collector started before this one: the run began first */
	pr_debug("blocked threads at the start: seen %.1f ms before collecting began",
		 ((double)b->ss->start_ns - (double)b->start_scan_ns) / 1e6);
	t = profile_add_table(p, b->skel ? "Threads blocked when the profile began" :
			      "Threads blocked when the profile began (from /proc: no stacks)",
			      ARRAY_SIZE(cols), cols);
	for (size_t i = 0; i < b->start.n; i++) {
		const struct blocked_thread *th = &b->start.v[i];
		const struct blocked_thread *e = blocked_find(&b->end, th->rec.tid);

		snprintf(tid, sizeof(tid), "%u", th->rec.tid);
		blocked_describe(&th->rec, in, sizeof(in));
		if (th->rec.flags & BLOCKED_F_SINCE)
			fmt_value(before, sizeof(before), "nanoseconds", th->rec.off_ns);
		else
			snprintf(before, sizeof(before), "?");
		profile_table_row(p, t, (const char *const[]){
			tid, th->rec.comm, state_name(th->rec.state),
			th->wchan[0] ? th->wchan : "?", in, before,
			blocked_whole_run(b, th->rec.tid) ? "still blocked (whole run)" :
			e ? "blocked again" : "woke" });
	}
}

void blocked_close(struct blocked *b)
{
	if (!b)
		return;
	blocked_bpf__destroy(b->skel);
	free(b->start.v);
	free(b->end.v);
	free(b);
}
