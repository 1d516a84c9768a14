/* SPDX-License-Identifier: GPL-2.0 */
/* --stats: what profiling cost, printed at the end of any subcommand. */
#ifndef PROFILER_STATS_H
#define PROFILER_STATS_H

struct bpf_object;
struct session;

/* Turn on the kernel's BPF run-time accounting for as long as the
 * returned fd stays open (BPF_ENABLE_STATS: no sysctl left behind). */
int stats_enable(void);
/* Per-program runs and run time, map fill, our CPU time and peak memory. */
void stats_print(struct session *ss, int stats_fd);

#endif /* PROFILER_STATS_H */
