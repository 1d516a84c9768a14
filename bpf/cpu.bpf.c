// SPDX-License-Identifier: GPL-2.0
/* On-CPU sampling (bpf/cpu_sample.bpf.h), every sample unwound at once. */
#include "cpu_sample.bpf.h"

SEC("perf_event")
int cpu_sample(struct bpf_perf_event_data *ctx)
{
	return cpu_sample_body(ctx, false);
}

char LICENSE[] SEC("license") = "GPL";
