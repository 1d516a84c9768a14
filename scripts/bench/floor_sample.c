// SPDX-License-Identifier: GPL-2.0
/*
 * Runs scripts/bench/floor_sample.bpf.c on every CPU's cpu-clock at HZ
 * for SECONDS, as `profiler cpu -a -F HZ` samples, and prints its runs
 * and µs per run (bpf_prog_info's run time: kernel.bpf_stats_enabled must
 * be on).  Usage: floor_sample OBJECT HZ SECONDS   (as root)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

int main(int argc, char **argv)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct bpf_program *prog;
	struct bpf_object *obj;
	int ncpu, hz, secs;

	if (argc != 4 || (hz = atoi(argv[2])) <= 0 || (secs = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: floor_sample OBJECT HZ SECONDS\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "floor_sample: loading %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "floor_sample");
	ncpu = libbpf_num_possible_cpus();
	for (int cpu = 0; prog && cpu < ncpu; cpu++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE, .size = sizeof(attr),
			.config = PERF_COUNT_SW_CPU_CLOCK, .freq = 1, .sample_freq = hz,
		};
		int fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

		/* offline CPUs have no event: skipped, as profiler cpu does */
		if (fd >= 0 && !bpf_program__attach_perf_event(prog, fd)) {
			fprintf(stderr, "floor_sample: attaching on CPU %d: %s\n", cpu, strerror(errno));
			return 1;
		}
	}
	sleep(secs);
	if (!prog || bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) || !info.run_cnt) {
		fprintf(stderr, "floor_sample: no runs counted (kernel.bpf_stats_enabled?)\n");
		return 1;
	}
	printf("%llu %.2f\n", (unsigned long long)info.run_cnt,
	       (double)info.run_time_ns / 1e3 / (double)info.run_cnt);
	return 0;
}
