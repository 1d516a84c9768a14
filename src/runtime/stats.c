// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "runtime/runtime.h"
#include "runtime/stats.h"
#include "runtime/mmap_watch.h"
#include "runtime/unwind.h"
#include "symbol/symbolizer.h"
#include "util/util.h"

int stats_enable(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	if (fd < 0)
		pr_warn("--stats: cannot enable BPF run-time statistics: %s", strerror(errno));
	return fd;
}

static void count_chunk(void *ctx, const void *keys, const void *vals, size_t n)
{
}

/*
 * The entries of a hash map: read in batches (what the end of the run
 * does with the stacks), not one get_next_key system call a key: that was
 * about 3% of our CPU under churn, for two full 64K-entry maps.
 */
#define STATS_MAPS_MAX 256

static uint64_t map_fill(const struct bpf_map *map)
{
	long n = map_read_chunks(bpf_map__fd(map), bpf_map__key_size(map),
				 bpf_map__value_size(map), count_chunk, NULL);

	return n > 0 ? n : 0;
}

/* Whether map id was listed already; else it is now. */
static bool map_listed(uint32_t *ids, size_t *n, uint32_t id)
{
	for (size_t i = 0; i < *n; i++)
		if (ids[i] == id)
			return true;
	if (*n < STATS_MAPS_MAX)
		ids[(*n)++] = id;
	return false;
}

void stats_print(struct session *ss, int stats_fd)
{
	uint32_t listed[STATS_MAPS_MAX];
	size_t nlisted = 0;
	struct bpf_program *prog;
	struct bpf_map *map;
	struct rusage ru;
	char b1[32], b2[32];

	fprintf(stderr, "Statistics:\n");
	for (int o = 0; o < ss->nobjs; o++) {
		bpf_object__for_each_program(prog, ss->objs[o]) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);
			int fd = bpf_program__fd(prog);

			if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
				continue;
			fprintf(stderr, "  BPF %-20s %12s runs", bpf_program__name(prog),
				fmt_count(b1, sizeof(b1), info.run_cnt));
			if (stats_fd >= 0 && info.run_cnt)
				fprintf(stderr, ", %.2f us each, %.1f ms in all",
					info.run_time_ns / 1e3 / info.run_cnt, info.run_time_ns / 1e6);
			fputc('\n', stderr);
		}
		bpf_object__for_each_map(map, ss->objs[o]) {
			enum bpf_map_type t = bpf_map__type(map);
			struct bpf_map_info mi = {};
			__u32 mlen = sizeof(mi);
			uint64_t used;

			if (t != BPF_MAP_TYPE_HASH && t != BPF_MAP_TYPE_LRU_HASH)
				continue;
			/* a map two objects share (cpu's two) is listed once */
			if (!bpf_obj_get_info_by_fd(bpf_map__fd(map), &mi, &mlen) &&
			    map_listed(listed, &nlisted, mi.id))
				continue;
			used = map_fill(map);
			fprintf(stderr, "  map %-20s %12s of %s entries (%.1f%%)\n", bpf_map__name(map),
				fmt_count(b1, sizeof(b1), used),
				fmt_count(b2, sizeof(b2), bpf_map__max_entries(map)),
				100.0 * used / MAX(1, bpf_map__max_entries(map)));
		}
	}
	if (ss->stacks_pruned)
		fprintf(stderr, "  stacks maps: %s user stacks of exited processes deleted once read\n",
			fmt_count(b1, sizeof(b1), ss->stacks_pruned));
	if (ss->unw) {
		struct unwinder_stats us;

		unwinder_get_stats(ss->unw, &us);
		fprintf(stderr, "  unwind tables: %llu processes (%llu more from mmap records "
			"before their first sample), %llu binaries (%llu from the cache), %s rows in "
			"%.1f MiB, %.1f ms", (unsigned long long)us.procs, (unsigned long long)us.early,
			(unsigned long long)us.files, (unsigned long long)us.cached, fmt_count(b1, sizeof(b1), us.rows),
			us.bytes / 1048576.0, us.ns / 1e6);
		if (us.full || us.procs_full)
			fprintf(stderr, "; no room for %llu binaries, %llu processes",
				(unsigned long long)us.full, (unsigned long long)us.procs_full);
		fputc('\n', stderr);
		/* what each new process costs, by part (docs/performance.md) */
		fprintf(stderr, "  per process: unw_procs %llu written, %llu left as they were, "
			"%llu deleted at exit, %llu slots held; /proc maps read %llu times for tables\n",
			(unsigned long long)us.writes, (unsigned long long)us.unchanged,
			(unsigned long long)us.exit_deletes, (unsigned long long)us.slots,
			(unsigned long long)us.reads);
	}
	if (ss->entries_at_lock)
		fprintf(stderr, "  young processes: %llu unwind entries made in the kernel as they "
			"mapped code, %llu of them with code that had no table yet, %llu deleted at "
			"its exit\n",
			(unsigned long long)ss->entries_made, (unsigned long long)ss->entries_missing,
			(unsigned long long)ss->entries_gone);
	else if (ss->kernel_entries)
		fprintf(stderr, "  young processes: %llu samples unwound at their return to user "
			"mode (%.2f us each in the task work), %llu at once (one waited already); "
			"%llu unwind entries made in the kernel, %llu of them with code that had no "
			"table yet, %llu deleted at its exit\n",
			(unsigned long long)ss->deferred,
			ss->deferred_ns / 1e3 / MAX(1, ss->deferred),
			(unsigned long long)ss->deferred_fallback,
			(unsigned long long)ss->entries_made, (unsigned long long)ss->entries_missing,
			(unsigned long long)ss->entries_gone);
	if (ss->sym) {
		struct symbolizer_stats sy;

		uint64_t nrec, rec_ns;

		symbolizer_get_stats(ss->sym, &sy);
		mmap_watch_get_stats(ss->mw, &nrec, &rec_ns);
		fprintf(stderr, "  processes noted: %llu, %llu of them known from their records "
			"(not read from /proc); /proc/PID/maps opened %llu times; the loop woke "
			"%llu times\n",
			(unsigned long long)sy.procs, (unsigned long long)sy.procs_from_records,
			(unsigned long long)sy.proc_reads, (unsigned long long)ss->wakeups);
		/* the tables (above) are made within announcements, mostly */
		fprintf(stderr, "  CPU by part: %.1f ms in %s mapping records, %.1f ms in "
			"announcements, %.1f ms cutting windows (records, and announcements less "
			"the tables they made: 1 in %d timed)\n",
			rec_ns / 1e6, fmt_count(b1, sizeof(b1), nrec),
			(ss->announce_ns + ss->announce_clock.ns + ss->new_clock.ns) / 1e6,
			ss->window_ns / 1e6, PART_EVERY);
	}
	/* page faults: a fresh page's first touch is dear on some VMs (20 us here) */
	if (!getrusage(RUSAGE_SELF, &ru))
		fprintf(stderr, "  profiler: %.3f s CPU (%.3f user, %.3f sys), peak RSS %.1f MiB, "
			"%s page faults\n",
			ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
			ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
			ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
			ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss / 1024.0,
			fmt_count(b1, sizeof(b1), (uint64_t)(ru.ru_minflt + ru.ru_majflt)));
}
