/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stack capture shared by every collector.
 *
 * Stacks are deduplicated by content, not through BPF_MAP_TYPE_STACK_TRACE:
 * that map keeps one stack per hash bucket and refuses (-EEXIST) a second
 * stack that lands in an occupied bucket, so with a few thousand unique
 * stacks it silently loses several percent of them.  Here the frames are
 * hashed to 63 bits and stored in an ordinary hash map keyed by that hash,
 * which chains collisions: a stack is lost only when the map is full, and
 * that is counted.
 *
 * A map that allocates as it fills can still refuse an element for want
 * of memory in the allocator's per-CPU cache (seen at start-up, -ENOMEM);
 * such a stack goes to a small preallocated spill map instead.
 */
#ifndef PROFILER_STACKS_BPF_H
#define PROFILER_STACKS_BPF_H

#include "common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);	/* resized by user space before load */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct stack_frames);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct stack_frames);
} stacks_spill SEC(".maps");

/* Two slots per CPU: user and kernel stack of the sample being taken. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct stack_frames);
} stack_buf SEC(".maps");

static __always_inline __u64 mix64(__u64 h)
{
	/* murmur3 finaliser: every input bit reaches every output bit */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/*
 * Take the current user (user != 0) or kernel stack, less its first skip
 * frames (a tracepoint's own plumbing), and return its id:
 * STACK_ID_NONE when there is no such stack (kernel thread, or the sample
 * hit user mode and the kernel stack is empty), STACK_ID_LOST when one
 * existed but could not be stored.
 */
static __always_inline __u64 stack_capture_skip(void *ctx, int user, __u32 skip)
{
	__u32 slot = user ? 0 : 1;
	struct stack_frames *buf;
	__u64 h, id;
	long len;
	int i, nr;

	buf = bpf_map_lookup_elem(&stack_buf, &slot);
	if (!buf)
		return STACK_ID_LOST;
	len = bpf_get_stack(ctx, buf->ips, sizeof(buf->ips),
			    (user ? BPF_F_USER_STACK : 0) | (skip & BPF_F_SKIP_FIELD_MASK));
	if (len < 0) {
		count_drop(user ? DROP_USER_STACK_FAULT : DROP_KERN_STACK_FAULT);
		return STACK_ID_LOST;
	}
	if (len == 0)
		return STACK_ID_NONE;
	nr = len / sizeof(__u64);
	if (nr >= MAX_STACK_DEPTH)
		count_drop(DROP_TRUNCATED);

	h = 0x9e3779b97f4a7c15ULL ^ nr ^ ((__u64)user << 8);
	for (i = 0; i < MAX_STACK_DEPTH; i++) {
		if (i >= nr)
			break;
		h = mix64(h ^ buf->ips[i]);
	}
	id = h | STACK_ID_VALID_BIT;

	/* The common case is a stack seen before: a lockless lookup. */
	if (bpf_map_lookup_elem(&stacks, &id))
		return id;
	/* bpf_get_stack() zeroes the rest of the buffer, so it can be stored whole. */
	len = bpf_map_update_elem(&stacks, &id, buf, BPF_NOEXIST);
	if (!len || len == -EEXIST)
		return id;
	if (len == -ENOMEM) {
		len = bpf_map_update_elem(&stacks_spill, &id, buf, BPF_NOEXIST);
		if (!len || len == -EEXIST)
			return id;
	}
	count_drop(DROP_STACKS_FULL);
	return STACK_ID_LOST;
}

static __always_inline __u64 stack_capture(void *ctx, int user)
{
	return stack_capture_skip(ctx, user, 0);
}

#endif /* PROFILER_STACKS_BPF_H */
