// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "runtime/preflight.h"
#include "util/util.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

int check_privileges(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};
	uint64_t eff;

	if (syscall(SYS_capget, &hdr, data))
		return 0;	/* cannot tell: let the kernel decide */
	eff = data[0].effective | ((uint64_t)data[1].effective << 32);
	if (eff & (1ULL << CAP_SYS_ADMIN))
		return 0;
	if ((eff & (1ULL << CAP_BPF)) && (eff & (1ULL << CAP_PERFMON)))
		return 0;
	pr_err("permission denied: BPF profiling needs root, or CAP_BPF and CAP_PERFMON: run it with sudo");
	return -EPERM;
}

int check_btf(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	pr_err("this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): "
	       "profiler needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.4 or later)");
	return -ENOENT;
}

/*
 * Every collector stores stacks in hash maps that allocate as they fill
 * (BPF_F_NO_PREALLOC), from programs that perf events run among others.
 * Before 6.1 (bpf_mem_alloc) the verifier refuses those programs ("perf_event
 * programs can only use preallocated hash map"), after a whole load, in
 * words that do not say what to do.  Asked here of the verifier itself, so
 * that a kernel with the allocator backported passes: a program of four
 * instructions naming such a map.
 */
int check_kernel_maps(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	const struct bpf_insn insns[] = {
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1,
		  .src_reg = BPF_PSEUDO_MAP_FD },
		{ 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct bpf_insn prog[ARRAY_SIZE(insns)];
	char log[1024] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, load, .log_buf = log, .log_size = sizeof(log),
		    .log_level = 1);
	struct utsname u;
	int map_fd, fd, err;

	map_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "probe", sizeof(__u32), sizeof(__u64), 1, &opts);
	if (map_fd < 0)
		return 0;	/* cannot tell: the load says what is wrong */
	memcpy(prog, insns, sizeof(prog));
	prog[0].imm = map_fd;
	fd = bpf_prog_load(BPF_PROG_TYPE_PERF_EVENT, "probe", "GPL", prog, ARRAY_SIZE(prog), &load);
	err = fd < 0 ? -errno : 0;
	if (fd >= 0)
		close(fd);
	close(map_fd);
	/* loaded, or refused for another reason, which the real load names */
	if (!err || !strstr(log, "preallocated"))
		return 0;
	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "unknown");
	pr_err("this kernel (%s) refuses BPF hash maps that allocate as they fill in programs "
	       "run by perf events, which profiler stores stacks in: it needs Linux 6.1 or later",
	       u.release);
	return -ENOTSUP;
}

int online_cpus(int **cpus, int *n)
{
	char *text = read_file("/sys/devices/system/cpu/online", NULL);
	int err;

	if (!text)
		return -errno;
	text[strcspn(text, "\n")] = '\0';
	err = parse_int_list(text, 1 << 16, cpus, n);
	free(text);
	return err;
}

bool proc_alive(int pid)
{
	char path[64], *text, *p;
	bool alive;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	text = read_file(path, NULL);
	if (!text)
		return false;
	/* "pid (comm) S ...": comm may hold spaces and parentheses */
	p = strrchr(text, ')');
	alive = p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X' && p[2] != 'x';
	free(text);
	return alive;
}

void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

bool kernel_has_kfunc(const char *name)
{
	return kernel_has_kfuncs(&name, 1);
}

/*
 * Each name is looked for whole ("\0name\0") in the raw BTF, read in
 * chunks: parsing it (btf__load_vmlinux_btf) read 5.5 MB in 4 KiB reads
 * and held ~9 MiB at its peak, doubling a short run's CPU and memory.
 * These names are kfuncs' and tracepoints' typedefs (btf_trace_NAME)
 * only: being among the strings is being there.
 */
#define BTF_CHUNK (256 << 10)
#define KFUNC_NAME_MAX 64

bool kernel_has_kfuncs(const char *const *names, int n)
{
	char pat[KFUNC_NAME_MAX + 2], *buf;
	bool found[8] = {};
	size_t keep = 0, pl;
	int fd, left = n;
	ssize_t got;

	if (n < 1 || n > (int)ARRAY_SIZE(found))
		return false;
	fd = open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	buf = xmalloc(BTF_CHUNK + KFUNC_NAME_MAX + 2);
	while (left && (got = read(fd, buf + keep, BTF_CHUNK)) > 0) {
		size_t len = keep + (size_t)got;

		for (int i = 0; i < n; i++) {
			pl = strlen(names[i]);
			if (found[i] || pl > KFUNC_NAME_MAX)
				continue;
			pat[0] = '\0';
			memcpy(pat + 1, names[i], pl);
			pat[pl + 1] = '\0';
			if (memmem(buf, len, pat, pl + 2)) {
				found[i] = true;
				left--;
			}
		}
		/* a name across the chunks' seam is found in the next one */
		keep = MIN(len, (size_t)KFUNC_NAME_MAX + 1);
		memmove(buf, buf + len - keep, keep);
	}
	free(buf);
	close(fd);
	return left == 0;
}

bool kernel_has_tracepoint(const char *name)
{
	char typedef_name[KFUNC_NAME_MAX + 1];
	const char *p = typedef_name;

	if ((size_t)snprintf(typedef_name, sizeof(typedef_name), "btf_trace_%s", name) >=
	    sizeof(typedef_name))
		return false;
	return kernel_has_kfuncs(&p, 1);
}
