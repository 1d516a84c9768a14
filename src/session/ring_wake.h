/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The session loop's promise to the BPF programs (bpf/common.bpf.h,
 * ring_read_by): "every ring is read by this time", so that until then
 * an announcement or a Python code is submitted without waking the loop.
 * One mapping of each BPF object's ring_read_by array.
 */
#ifndef PROFILER_RING_WAKE_H
#define PROFILER_RING_WAKE_H

#include <stdbool.h>
#include <stdint.h>

struct bpf_object;
struct ring_wake;

/* NULL when no object has the array (the rings then wake as before). */
struct ring_wake *ring_wake_open(struct bpf_object *const *objs, int nobjs);
/* The rings are read by by_ns (CLOCK_MONOTONIC); 0: no promise, wake. */
void ring_wake_promise(struct ring_wake *w, uint64_t by_ns);
/*
 * Whether urgent records (a target's exec, a process without tables) wake
 * the loop within RING_URGENT_NS; off at first.
 */
void ring_wake_urgent(struct ring_wake *w, bool on);
void ring_wake_close(struct ring_wake *w);

#endif /* PROFILER_RING_WAKE_H */
