// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel frames, named from kallsyms (its cached copy, read in the
 * background while the profile runs).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <elf.h>

#include "symbol/cfi.h"
#include "symbol/debuginfo.h"
#include "symbol/debuginfod.h"
#include "symbol/elf_syms.h"
#include "symbol/kallsyms.h"
#include "symbol/kallsyms_cache.h"
#include "symbol/perf_map.h"
#include "symbol/proc_maps.h"
#include "symbol/python_merge.h"
#include "symbol/python_names.h"
#include "symbol/srcline.h"
#include "symbol/timeline.h"
#include "symbol/demangle.h"
#include "symbol/symbolizer.h"
#include "util/idxmap.h"
#include "util/file_limits.h"
#include "util/util.h"
#include "symbol/symbolizer_int.h"

#define KSYMS_REREAD_NS	(10 * 1000000000ULL)

void sz_preload_join(struct symbolizer *sz)
{
	if (sz->preloading) {
		pthread_join(sz->preload, NULL);
		sz->preloading = false;
	}
}

static void load_ksyms(struct symbolizer *sz)
{
	bool cached = false;

	if (sz->kallsyms_path)	/* a test's own file: no cache */
		sz->ksyms = ksyms_load(sz->kallsyms_path);
	else
		sz->ksyms = kallsyms_cached(cache_dir(), "/proc/kallsyms", &cached);
	sz->stats.kallsyms_cached = cached;
	if (!sz->ksyms)
		sz->ksyms_errno = errno;
	sz->ksyms_tried = true;
}

static void *preload_main(void *arg)
{
	load_ksyms(arg);
	return NULL;
}

void symbolizer_preload(struct symbolizer *sz)
{
	if (sz->ksyms_tried || sz->preloading)
		return;
	sz->preloading = !pthread_create(&sz->preload, NULL, preload_main, sz);
}

void sz_name_kernel(struct symbolizer *sz, struct profile *prof, struct location *l)
{
	struct ksym ks;
	bool found = false;
	char buf[256];

	if (!sz->ksyms_warned) {
		sz->ksyms_warned = true;
		sz_preload_join(sz);
		if (!sz->ksyms_tried)
			load_ksyms(sz);
		errno = sz->ksyms_errno;
		if (!sz->ksyms)
			pr_warn("cannot read /proc/kallsyms: %s; kernel frames are unnamed",
				strerror(errno));
		else if (!sz->ksyms->n && sz->ksyms->zero_addrs)
			pr_warn("kernel addresses are hidden (kernel.kptr_restrict): run as root to name kernel frames");
	}
	if (sz->ksyms && !kallsyms_covers(sz->ksyms, l->addr)) {
		/* a BPF program: its name as kallsyms has it, without reading kallsyms */
		const char *bpf = kallsyms_bpf_func(sz->ksyms, l->is_return ? l->addr - 1 : l->addr);

		if (bpf) {
			l->name = profile_intern(prof, bpf);
			l->module = profile_intern(prof, "[bpf]");
			l->module_addr = l->addr;
			sz->stats.resolved++;
			return;
		}
	}
	if (sz->ksyms && !kallsyms_covers(sz->ksyms, l->addr) &&
	    (!sz->ksyms_full_ns || now_ns() - sz->ksyms_full_ns >= KSYMS_REREAD_NS)) {
		/*
		 * A trampoline, an ftrace or kprobe page: only /proc/kallsyms
		 * knows them.  Read whole at most every KSYMS_REREAD_NS: an
		 * address it does not hold either (a BPF program unloaded
		 * since, someone else's) would otherwise read it again for each
		 * such frame, 12% of a churn run's CPU on a shared machine.
		 */
		pr_debug("kernel: 0x%llx is in no cached range and no loaded BPF program: "
			 "reading /proc/kallsyms", (unsigned long long)l->addr);
		sz->ksyms_full_ns = now_ns();
		if (!kallsyms_add_uncovered(sz->ksyms, "/proc/kallsyms"))
			sz->stats.kallsyms_cached = false;
	}
	if (sz->ksyms)
		found = ksyms_lookup(sz->ksyms, l->is_return ? l->addr - 1 : l->addr, &ks);
	if (found) {
		l->name = profile_intern(prof, ks.name);
		if (ks.module) {
			snprintf(buf, sizeof(buf), "[%s]", ks.module);
			l->module = profile_intern(prof, buf);
		} else {
			l->module = profile_intern(prof, "[kernel.kallsyms]");
		}
		l->module_addr = l->addr;
		sz->stats.resolved++;
		return;
	}
	snprintf(buf, sizeof(buf), "[kernel]+0x%llx", (unsigned long long)l->addr);
	l->name = profile_intern(prof, buf);
	l->module = profile_intern(prof, "[kernel.kallsyms]");
	sz->stats.unnamed++;
}
