/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel runtime collectors build on: what every BPF collector shares
 * on the user side (target maps, the new-process ring buffer, stacks, loss
 * counters, perf events, the unwind tables and the cut BTF), and the
 * context of a run they see.  Collectors include this, never the session
 * that runs them.
 */
#ifndef PROFILER_RUNTIME_H
#define PROFILER_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli/settings.h"
#include "model/profile.h"
#include "symbol/symbolizer.h"
#include "util/util.h"

struct announced;
struct cgroups;
struct collector;
struct deltas;
struct bpf_map;
struct bpf_program;
struct bpf_link;
struct ring_buffer;
struct perf_event_attr;

/*
 * What a collector sees of a run.  Each collector of a session has its own
 * (its col, priv, cut BTF and interval); everything else is the run's one
 * runtime context, rt, shared by all of them: the targets, the -- CMD
 * child, the symbolizer, the new-process ring, the unwinder and the
 * mapping watcher.  The session copies the shared scalars into each
 * collector's struct; the helpers below keep what they make in rt.
 */
struct session {
	struct session *rt;		/* the run's shared context (itself for the shared one) */
	struct settings *set;
	const struct collector *col;
	void *priv;			/* the collector's own state */
	struct bpf_object *objs[16];	/* the run's BPF objects, for --stats (rt's) */
	int nobjs;
	struct deltas *drops;		/* loss counters cut into windows (rt's) */
	struct announced *announced;	/* notes of new processes per collector (rt's) */
	struct cgroups *cg;		/* --cgroup targets, each process's cgroup (rt's) */
	int index;			/* the collector's place in the run, 0.. */
	int ncols;			/* collectors in the run (rt's) */
	struct symbolizer *sym;
	struct ring_buffer *rb;		/* new-process announcements */
	struct mmap_watch *mw;		/* mappings made while profiling */

	/* derived from the settings for the BPF side */
	bool filter_pids;		/* targets map holds processes */
	bool filter_tids;		/* targets map holds threads */
	bool follow_forks;		/* children of targets join them */
	int leaf_fix;			/* 0 unknown, 1 on, -1 off: see session_leaf_fix */
	int cfi_unwind;			/* 0 unknown, 1 on, -1 off: see session_unwind_prepare */
	struct unwinder *unw;		/* its tables, shared by the session's BPF objects */
	/*
	 * (rt's) Set by a collector whose BPF programs make new processes'
	 * unwind entries themselves (cpu on 6.18: bpf/unwind_make.bpf.h):
	 * nothing then waits for mapping records in a hurry.
	 */
	bool kernel_entries;
	/* (rt's) ... as the processes map their code, not at their samples */
	bool entries_at_lock;
	/* (rt's) The front-end batches mapping records (the agent, top). */
	bool batching;
	int python;			/* 0 unknown, 1 on, -1 off: see session_python_prepare */
	struct pyrt *py;		/* Python processes and code objects (runtime/python.h) */
	/* session_core_btf's memfds, one an object; session_core_btf_close */
	int btf_fds[4];
	int nbtf;
	char btf_paths[4][32];

	pid_t child;			/* -- CMD, or 0 */
	int child_go;			/* write end: releases the child */
	int child_err;			/* read end: errno of a failed exec */
	int child_status;
	bool child_exited;
	struct entry_hold *hold;	/* the child stopped at its entry point, or NULL */
	bool no_entry_hold;		/* set by a collector that would see the stop */

	int *cpus;			/* CPUs to open per-CPU events on */
	int ncpus;
	uint64_t launch_ns;		/* session_run entered */
	uint64_t first_event_ns;	/* first new-process announcement: first sample */
	uint64_t exec_ns;		/* the last PROC_NOTE_EXEC read */
	uint64_t start_ns, stop_ns;	/* the first collector attached; all stopped */
	const char *stop_reason;
	/*
	 * Set by a collector's start() to get one report per interval: the
	 * session then calls collect() every interval_ns, and collect() must
	 * hand over only what came since its last call.
	 */
	uint64_t interval_ns;
	/*
	 * Set by the session for one more collect() after the last window:
	 * hand over everything since the start (the whole run), without
	 * moving the window.
	 */
	bool whole_run;
	/* Set by the session before start() when it will ask for the whole
	 * run after windows: collectors that drain their maps keep totals. */
	bool keep_whole;
	/* for --stats (rt's): the wait loop's wake-ups; CPU time in
	 * announcements (with what they make) and in cutting windows */
	uint64_t wakeups, announce_ns, window_ns;
	struct part_clock announce_clock;	/* announcements of processes known already */
	struct part_clock new_clock;	/* of new ones, less their tables (timed whole) */
	uint64_t stacks_pruned;		/* user stacks of exited processes deleted */
	/* (rt's, --stats) cpu's samples whose user stack waited for the
	 * return to user mode, those taken at once instead (a sample of the
	 * thread waited already), and the unwind entries the kernel made (of
	 * them, with code not in a table yet, and deleted at exit) */
	uint64_t deferred, deferred_fallback, entries_made, entries_missing, entries_gone;
	uint64_t deferred_ns;		/* the task work's time, in the sampled tasks */
	/*
	 * (rt's) The exits noted when a window's samples were last read
	 * (symbolizer_exit_mark): processes that exited before it are
	 * forgotten after the next window (session_forget_exited).
	 */
	uint64_t forget_mark;
};

/* Route libbpf's messages to -v. */
void bpf_setup_logging(int verbose);
/* Whether stack_capture may recover frameless callers (bpf/stacks.bpf.h):
 * not with --no-leaf-fix, nor on kernels without bpf_find_vma (5.17) and
 * bpf_task_pt_regs (5.15), whose verifier would refuse the program. */
bool session_leaf_fix(struct session *ss);
/* Before load: whether user stacks are walked by the program (bpf/fp_walk.bpf.h). */
bool session_fp_walk(struct session *ss);
/*
 * Before load: whether the object's stack_capture may unwind user stacks
 * with .eh_frame tables (bpf/unwind.bpf.h), for its rodata cfi_unwind:
 * not with --unwind fp, nor without bpf_loop (5.17; PROFILER_NO_BPF_LOOP=1
 * acts as if absent), nor off x86-64.  Points rows and procs at the
 * session's maps, made on the first call with the tables of the -p/-t
 * targets; other processes get theirs when first announced.
 */
bool session_unwind_prepare(struct session *ss, struct bpf_map *rows, struct bpf_map *procs);
/*
 * Before load: whether the object filters by --cgroup (its rodata
 * filter_cgroups, bpf/targets.bpf.h); points its cgroup_targets at the
 * run's one map of the targets' ids (runtime/cgroups.c).
 */
bool session_cgroup_prepare(struct session *ss, struct bpf_map *cgroup_targets);
/* btf_custom_path for opening the BPF object elf/size: the kernel types its
 * CO-RE relocations need (core/core_btf.h), or NULL for all of the kernel's.
 * Valid until session_core_btf_close; up to four objects a session. */
const char *session_core_btf(struct session *ss, const void *elf, size_t size);
void session_core_btf_close(struct session *ss);
/*
 * Open the skeleton of bpf/NAME.bpf.c with the kernel types its CO-RE
 * relocations need: libbpf otherwise matches them against all of the
 * kernel's BTF, 13 ms of cpu's second object's load (a self-profile).
 */
#define SKEL_OPEN(ss, name) ({								\
		size_t _size;								\
		const void *_elf = name##_bpf__elf_bytes(&_size);			\
		LIBBPF_OPTS(bpf_object_open_opts, _opts,				\
			    .btf_custom_path = session_core_btf((ss), _elf, _size));	\
		struct name##_bpf *_skel = name##_bpf__open_opts(&_opts);		\
		session_size_maps(_skel ? _skel->obj : NULL);				\
		_skel;									\
	})
/*
 * Before load, the shared maps sized for this machine's CPUs
 * (src/runtime/map_sizes.c): the announced processes' LRU and the stacks'
 * spill.
 */
void session_size_maps(struct bpf_object *obj);
/* Entries for an LRU map meant to hold want: more where many CPUs would
 * make it evict early. */
uint32_t lru_entries(uint32_t want);
/* Count a BPF object in --stats; before load, its maps this run never uses
 * are made minimal. */
void session_add_object(struct session *ss, struct bpf_object *obj);
/* outer's inner-map template with one entry: an fd to close after load, or -1 */
int map_in_map_template(struct bpf_map *outer);
/* Turn a failed load/attach into a one-line message that names the fix. */
int bpf_explain(const char *what, int err);
/* Put the target pids/tids (and the -- CMD child) into a targets map. */
int session_fill_targets(struct session *ss, struct bpf_map *targets);
/* Watch the proc_events ring buffer: each new process gets its mappings read. */
int session_watch_procs(struct session *ss, struct bpf_map *proc_events);
/*
 * A process held at its entry point (a command's, or a child mem
 * follows): its tables and its Python interpreter before its first
 * instruction, from one read of its maps.
 */
void session_note_held(struct session *ss, uint32_t pid);
/*
 * Handle the mmap records that came meanwhile, and the early unwind tables
 * they allow: between two announcements, whose table making (a large
 * library: tenths of a second) would leave short processes waiting.
 */
void session_catch_up(struct session *ss);
/* Free the run's record of announcements (rt's). */
void announced_free(struct announced *a);
/* All of the above plus the fork-following and exec programs of
 * bpf/targets.bpf.h; links land in the skeleton.  Explains its errors. */
int session_attach_targets(struct session *ss, struct bpf_map *targets,
			   struct bpf_map *proc_events, struct bpf_program *fork,
			   struct bpf_link **fork_link, struct bpf_program *exec,
			   struct bpf_link **exec_link);
/* Sum the per-CPU loss counters into the profile, with hints. */
void session_read_drops(struct session *ss, struct bpf_map *drops, struct profile *p,
			const char *map_size_option);
/* Every entry of a BPF hash map, read in batches (one element at a time
 * where the kernel has no batch operations).  Returns how many, or -errno;
 * *keys and *vals are malloc'd. */
long map_read_all(int fd, uint32_t key_size, uint32_t value_size, void **keys, void **vals);
/* The same, each batch handed to cb as it comes (n entries) and not kept. */
typedef void (*map_chunk_fn)(void *ctx, const void *keys, const void *vals, size_t n);
long map_read_chunks(int fd, uint32_t key_size, uint32_t value_size, map_chunk_fn cb, void *ctx);
/* Delete n keys from a BPF hash map, in batches where the kernel takes
 * them; keys not there are passed over.  Returns how many went. */
size_t map_delete_keys(int fd, const void *keys, uint32_t key_size, size_t n);
/* PROFILER_NO_MAP_BATCH=1: map reads and deletes one element at a time, as
 * on a kernel that refuses batch operations (for the tests of that path). */
bool map_batch_refused(void);

/* --max-depth, before load: the deep stacks' and the spill's values sized to it; the depth */
unsigned int session_stack_depth(struct session *ss, struct bpf_map *deep, struct bpf_map *spill);
/* Before load: room for n stacks, short and deep alike (the maps allocate as they fill) */
void session_stacks_max(struct bpf_map *stacks, struct bpf_map *deep, uint32_t n);

/* The three maps of bpf/stacks.bpf.h, read whole on first use. */
struct stack_maps {
	int fd;			/* stacks: fewer than STACK_SHORT_DEPTH frames */
	int deep_fd;		/* stacks_deep: STACK_ID_DEEP_BIT, up to the depth */
	int spill_fd;		/* either, when the allocator refused */
	struct stack_cache *cache;
};
/* At each read (a window): the spill's stacks moved into their maps first. */
void stack_maps_init(struct stack_maps *sm, struct bpf_map *stacks, struct bpf_map *deep,
		     struct bpf_map *spill);
/* The map that keeps stack id (the deep or the short one) */
int stack_maps_fd(const struct stack_maps *sm, uint64_t id);
/* Look up id's frames into ips (MAX_STACK_DEPTH, zeroed after them): 0, or -errno */
int stack_maps_lookup(const struct stack_maps *sm, uint64_t id, uint64_t *ips);
/*
 * Read every stack of the three maps in chunks: fn gets each chunk with
 * its values' stride in frames (a value holds at most that many).
 */
void stack_maps_read_all(const struct stack_maps *sm,
			 void (*fn)(void *ctx, const uint64_t *ids, const uint64_t *vals, size_t n,
				    uint32_t stride),
			 void *ctx);
/* A test's mask from environment variable var (PROFILER_TEST_SPILL: the
 * stacks' spill_test_mask), 0 when unset: for the tests only. */
uint64_t session_test_mask(const char *var);
void stack_maps_release(struct stack_maps *sm);
/*
 * A window's samples were read from a point taken (mark:
 * symbolizer_exit_mark) just before, and named: the processes that exited
 * before the previous window's mark are forgotten (one window of slack for
 * a sample counted as its process exited).
 */
void session_forget_exited(struct session *ss, uint64_t mark);
/* The exits noted so far (symbolizer_exit_mark), taken before samples are read. */
uint64_t session_exit_mark(struct session *ss);
/*
 * Whether process pid is gone (stack_prune_gone_fn): 1 its exit was noted
 * before mark, 0 it lives or exited since, -1 the records do not know it
 * and no such process runs.
 */
int session_process_gone(struct session *ss, uint32_t pid, uint64_t mark);
/* Whether the records say pid exited before mark (no system call: for
 * what a window looks at thousands of times). */
bool session_exited_before(struct session *ss, uint32_t pid, uint64_t mark);
/* session_process_gone as a stack_prune_gone_fn: ctx is one of these. */
struct session_gone {
	struct session *ss;
	uint64_t mark;
};
int session_gone_fn(void *ctx, uint32_t pid);
/*
 * Whether a collect may delete what exited processes left in the maps:
 * not when the whole run is read, now or at the end (it names every key),
 * nor once stopped (the maps go with the session).
 */
bool session_may_forget(const struct session *ss);
/*
 * For collectors whose counts the kernel keeps for the run (offcpu,
 * lock, io; runtime/forget.c, as the above): once a window has read them, the keys of processes gone before
 * mark (the pid is the u32 at pid_off of each key_size-byte key) leave
 * the counts map and the windows d, and the user stacks noted in pr of
 * processes gone leave the stacks maps sm.  Returns how many keys went; *stacks,
 * how many stacks.
 */
struct stack_prune;
size_t session_forget_keys(struct session *ss, uint64_t mark, int counts_fd, const void *keys,
			   long nkeys, size_t key_size, size_t pid_off, struct deltas *d,
			   struct stack_prune *pr, const struct stack_maps *sm, size_t *stacks);
/* -v: the heap and RSS after a window is handed on (runtime/heap.c). */
void session_heap_report(void);
/* Frames a value of the stacks maps holds (--max-depth). */
uint32_t stack_maps_depth(const struct stack_maps *sm);
/* Frames of a stack id; 0 frames when not found. */
uint32_t stack_read(const struct stack_maps *sm, uint64_t id, uint64_t *ips);
/*
 * Add a stack id's frames (leaf first) to ids; a lost stack becomes a
 * marker frame.  life: the lifetime tag of the program a user stack is
 * of (profile_location_life), 0 for kernel stacks or when not known.
 */
void session_add_stack(struct profile *p, const struct stack_maps *sm, uint64_t id,
		       enum frame_kind kind, uint32_t pid, uint32_t life, bool first_is_ip,
		       uint32_t *ids, uint32_t *n);
/* The marker frame of a stack the maps did not keep ("[lost user stack]"). */
void session_lost_stack(struct profile *p, enum frame_kind kind, uint32_t pid, uint32_t *ids,
			uint32_t *n);
/* Open attr on every session CPU and attach prog: links[ncpus], NULL where skipped. */
int session_attach_perf(struct session *ss, struct perf_event_attr *attr,
			struct bpf_program *prog, struct bpf_link **links);
/* A power of two between lo and hi, at least want. */
uint32_t map_size(uint64_t want, uint32_t lo, uint32_t hi);

#endif /* PROFILER_RUNTIME_H */
