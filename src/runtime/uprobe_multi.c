// SPDX-License-Identifier: GPL-2.0
/*
 * Multi-uprobe links by system call (runtime/uprobe_multi.h says why).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "runtime/uprobe_multi.h"
#include "util/util.h"

/* Not in the 6.1 UAPI headers that Debian 12 builds with (6.6's values) */
#define ATTACH_UPROBE_MULTI 48
#define UPROBE_MULTI_RETURN 1u

/* BPF_LINK_CREATE's attributes with the uprobe_multi member of 6.6 */
struct link_create_umulti {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__aligned_u64 path;
	__aligned_u64 offsets;
	__aligned_u64 ref_ctr_offsets;
	__aligned_u64 cookies;
	__u32 cnt;
	__u32 umulti_flags;
	__u32 pid;
	__u32 pad;
};

static int link_create(int prog_fd, const char *path, const uint64_t *offs,
		       const uint64_t *cookies, size_t n, bool ret, pid_t pid)
{
	/* the whole union zeroed: the kernel refuses bytes it does not know */
	union {
		struct link_create_umulti a;
		char bytes[sizeof(union bpf_attr)];
	} attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.a.prog_fd = prog_fd;
	attr.a.attach_type = ATTACH_UPROBE_MULTI;
	attr.a.path = (uintptr_t)path;
	attr.a.offsets = (uintptr_t)offs;
	attr.a.cookies = (uintptr_t)cookies;
	attr.a.cnt = n;
	attr.a.umulti_flags = ret ? UPROBE_MULTI_RETURN : 0;
	attr.a.pid = pid > 0 ? (__u32)pid : 0;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr,
		     MAX(sizeof(attr.a), sizeof(union bpf_attr)));
	return fd < 0 ? -errno : fd;
}

/*
 * Before 6.10 a link's pid filter let only that one thread's hits run the
 * program, not its process's other threads (the kernel's "bpf: fix
 * multi-uprobe PID filtering logic"): a multi-threaded target would lose
 * allocations.  Those kernels keep the perf-event uprobes.
 */
static bool filters_by_process(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 10);
}

bool uprobe_multi_supported(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = (enum bpf_attach_type)ATTACH_UPROBE_MULTI);
	uint64_t off = 0;
	int prog, err;

	/* the tests' way to the perf-event uprobes of older kernels */
	if (env_on("PROFILER_TEST_NO_UPROBE_MULTI") || !filters_by_process())
		return false;
	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, ARRAY_SIZE(insns), &opts);
	if (prog < 0)
		return false;
	/* a kernel that has these links opens the path, and "/" is no file */
	err = link_create(prog, "/", &off, NULL, 1, false, -1);
	if (err >= 0)
		close(err);
	close(prog);
	return err == -EBADF;
}

void uprobe_multi_prepare(struct bpf_program *prog)
{
	bpf_program__set_expected_attach_type(prog, (enum bpf_attach_type)ATTACH_UPROBE_MULTI);
}

int uprobe_multi_attach(const struct bpf_program *prog, pid_t pid, const char *path,
			const uint64_t *offs, const uint64_t *cookies, size_t n, bool ret)
{
	if (!n)
		return -EINVAL;
	return link_create(bpf_program__fd(prog), path, offs, cookies, n, ret, pid);
}

/*
 * At most this many threads close at once: the grace periods overlap
 * however many wait.  16 fell behind 1,000 exited processes' 5,000 links
 * made in 4.4 s (2.6 s of closes were left at the end); 64 kept up.
 * They are made as the backlog needs them and wait for more: made and
 * ended each round, they were a third of our CPU in that run.
 */
#define CLOSERS 64

struct link_closer {
	pthread_t th[CLOSERS];
	int nth;
	int idle;		/* threads waiting for fds */
	pthread_mutex_t lock;
	pthread_cond_t more;
	int *fds;		/* a queue: fds[head..n) wait */
	size_t head, n, cap;
	bool done;
};

static void *closer_main(void *arg)
{
	struct link_closer *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		int fd;

		if (c->head == c->n && c->done)
			break;
		if (c->head == c->n) {
			c->idle++;
			pthread_cond_wait(&c->more, &c->lock);
			c->idle--;
			continue;
		}
		fd = c->fds[c->head++];
		if (c->head == c->n)
			c->head = c->n = 0;
		pthread_mutex_unlock(&c->lock);
		close(fd);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

struct link_closer *link_closer_new(void)
{
	struct link_closer *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->more, NULL);
	return c;
}

void link_closer_add(struct link_closer *c, const int *fds, size_t n)
{
	size_t waiting;

	pthread_mutex_lock(&c->lock);
	GROW(c->fds, c->cap, c->n + n);
	memcpy(c->fds + c->n, fds, n * sizeof(*fds));
	c->n += n;
	/* a thread for each fd that waits, up to CLOSERS */
	waiting = c->n - c->head;
	for (size_t ready = c->idle; c->nth < CLOSERS && ready < waiting; ready++) {
		if (pthread_create(&c->th[c->nth], NULL, closer_main, c))
			break;
		c->nth++;
	}
	/* one waiting thread woken per fd: all of them fought for the lock */
	for (size_t i = 0; i < n && i < (size_t)c->idle; i++)
		pthread_cond_signal(&c->more);
	pthread_mutex_unlock(&c->lock);
	/* no thread at all: closed here, at the cost of the waits */
	if (!c->nth) {
		c->done = true;
		closer_main(c);
		c->done = false;
	}
}

void link_closer_free(struct link_closer *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->done = true;
	pthread_cond_broadcast(&c->more);
	pthread_mutex_unlock(&c->lock);
	for (int i = 0; i < c->nth; i++)
		pthread_join(c->th[i], NULL);
	/* (without threads, add closed them) */
	pthread_cond_destroy(&c->more);
	pthread_mutex_destroy(&c->lock);
	free(c->fds);
	free(c);
}

void links_close_all(int *fds, size_t n)
{
	struct link_closer *c;
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			fds[k++] = fds[i];
	if (!k)
		return;
	c = link_closer_new();
	link_closer_add(c, fds, k);
	link_closer_free(c);
	for (size_t i = 0; i < n; i++)
		fds[i] = -1;
}
