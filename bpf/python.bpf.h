/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Python frames: for a process that runs CPython (user space puts it in
 * py_procs with the offsets of its build), the interpreter's frames of
 * the sampled thread are walked here and appended to its user stack, one
 * word each (include/python.h); user space merges them into the native
 * stack at the _PyEval_EvalFrameDefault frames that run them.
 *
 * The thread's state is found by its native thread id in the interpreter's
 * list of threads, not through _PyRuntime's "current thread": that is the
 * thread holding the GIL, which is not the sampled one when the sampled
 * one runs C code with the GIL released, and its frames would be wrong.
 * A per-thread cache keeps the search to one read in the common case; the
 * cached state is trusted only while its native thread id is still ours.
 */
#ifndef PROFILER_PYTHON_BPF_H
#define PROFILER_PYTHON_BPF_H

#include "common.bpf.h"
#include "python.h"

/* Set by user space when Python frames are wanted and bpf_loop exists. */
const volatile bool python_frames = false;

/*
 * The maps are as small as the kernel allows until user space, asked for
 * Python frames (session_python_prepare), sizes them or gives its own:
 * every object that captures stacks has them, most never use them.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);		/* the session's, when used */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);		/* tgid */
	__type(value, struct py_proc);
} py_procs SEC(".maps");

struct py_thread {
	__u32 pid;
	__u32 pad;
	__u64 tstate;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);		/* PY_THREADS_MAX when used */
	__type(key, __u32);		/* tid */
	__type(value, struct py_thread);
} py_threads SEC(".maps");

struct py_seen_key {
	__u32 pid;
	__u32 pad;
	__u64 key;
};

/* (process, code key) pairs already sent to user space */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);		/* lru_entries(PY_SEEN_MIN) when used */
	__type(key, struct py_seen_key);
	__type(value, __u8);
} py_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);	/* the session's, when used */
} py_codes SEC(".maps");

#define PY_SCRATCH	256

#define PY_RECENT	256

/*
 * A frame and a code object read whole, their fields then taken by
 * offset; and the (process, key) pairs this CPU met last, a direct-mapped
 * front of py_seen: a hot loop's frames cost an array load, not a lookup.
 */
struct py_scratch {
	__u8 frame[PY_SCRATCH + 8];
	__u8 code[PY_SCRATCH + 8];
	struct py_seen_key recent[PY_RECENT];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct py_scratch);
} py_scratch SEC(".maps");

struct py_walk {
	struct stack_frames *buf;
	struct py_proc *pp;
	struct py_scratch *s;
	__u64 frame;
	__u64 outer;		/* the frame the C frame before this one runs */
	__u32 pid;
	__u32 nr;
	__u32 start;		/* nr before the first Python frame */
	__u32 checked;		/* the chain met its entry frame, or was restarted */
};

static __always_inline __u64 py_read_u64(__u64 addr)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

/* A field of a block read into scratch: the mask keeps the verifier sure. */
static __always_inline __u64 py_field(const __u8 *block, __u16 off)
{
	return *(const __u64 *)(block + (off & (PY_SCRATCH - 1)));
}

/* The thread state of thread tid of process pid, or 0. */
static __always_inline __u64 py_tstate(const struct py_proc *pp, __u32 pid, __u32 tid)
{
	struct py_thread *c = bpf_map_lookup_elem(&py_threads, &tid);
	struct py_thread fresh = { .pid = pid };
	__u64 interp, ts;
	int i;

	if (c && c->pid == pid && c->tstate &&
	    py_read_u64(c->tstate + pp->l.tstate_native_tid) == tid)
		return c->tstate;
	interp = py_read_u64(pp->runtime + pp->l.runtime_interp_head);
	if (!interp)
		return 0;
	ts = py_read_u64(interp + pp->l.interp_threads_head);
	for (i = 0; i < PY_MAX_THREADS && ts; i++) {
		if (py_read_u64(ts + pp->l.tstate_native_tid) == tid) {
			fresh.tstate = ts;
			bpf_map_update_elem(&py_threads, &tid, &fresh, BPF_ANY);
			return ts;
		}
		ts = py_read_u64(ts + pp->l.tstate_next);
	}
	return 0;
}

/* Copy a str object's text (compact strings only) into dst: its length, *kind set. */
static __always_inline __u16 py_str(const struct py_proc *pp, __u64 str, char *dst, __u32 cap,
				    __u8 *kind)
{
	__u32 state = 0;
	__u64 len, n, data;

	*kind = PY_STR_NONE;
	if (!str || bpf_probe_read_user(&state, sizeof(state), (void *)(str + pp->l.str_state)))
		return 0;
	len = py_read_u64(str + pp->l.str_length);
	if (!(state & (1 << 5)))	/* not compact: an old-style string, text elsewhere */
		return 0;
	if (state & (1 << 6)) {		/* ascii */
		*kind = PY_STR_ASCII;
		data = str + pp->l.str_ascii_data;
		n = len;
	} else {
		*kind = (state >> 2) & 7;
		data = str + pp->l.str_compact_data;
		n = len * *kind;
	}
	if (n > cap)
		n = cap;
	if (bpf_probe_read_user(dst, n, (void *)data)) {
		*kind = PY_STR_NONE;
		return 0;
	}
	return n;
}

/* Tell user space about a code object the first time this process shows it. */
static __always_inline void py_note_code(struct py_walk *w, __u64 key, const __u8 *co)
{
	struct py_seen_key sk = { .pid = w->pid, .key = key };
	const struct py_proc *pp = w->pp;
	struct py_code_event *e;
	struct py_seen_key *recent;
	__u32 slot = (key ^ w->pid) & (PY_RECENT - 1);
	__u64 lt, n;
	__u8 one = 1;

	recent = &w->s->recent[slot];
	if (recent->key == key && recent->pid == w->pid)
		return;
	if (bpf_map_lookup_elem(&py_seen, &sk)) {
		*recent = sk;
		return;
	}
	e = bpf_ringbuf_reserve(&py_codes, sizeof(*e), 0);
	if (!e) {
		count_drop(DROP_PY_CODES);
		return;		/* not marked seen: its next sample tries again */
	}
	e->pid = w->pid;
	e->key = key;
	e->firstlineno = (__u32)py_field(co, pp->l.code_firstlineno);
	e->name_len = py_str(pp, py_field(co, pp->l.code_qualname), e->name, PY_NAME_LEN,
			     &e->name_kind);
	e->file_len = py_str(pp, py_field(co, pp->l.code_filename), e->file, PY_FILE_LEN,
			     &e->file_kind);
	lt = py_field(co, pp->l.code_linetable);
	n = lt ? py_read_u64(lt + pp->l.bytes_size) : 0;
	e->linetable_cut = n > PY_LINETABLE_LEN;
	if (n > PY_LINETABLE_LEN)
		n = PY_LINETABLE_LEN;
	if (n && bpf_probe_read_user(e->linetable, n, (void *)(lt + pp->l.bytes_data)))
		n = 0;
	e->linetable_len = n;
	bpf_ringbuf_submit(e, ring_wake_flags(&py_codes));
	bpf_map_update_elem(&py_seen, &sk, &one, BPF_ANY);
	*recent = sk;
}

/*
 * The chain from the thread's C frame did not prove itself: walk the
 * previous C frame's instead, from the first Python frame on.  0: go on.
 */
static __always_inline long py_restart(struct py_walk *w)
{
	w->checked = 1;
	w->nr = w->start;
	w->frame = w->outer;
	return 0;
}

static long py_frame_cb(__u32 i, void *data)
{
	struct py_walk *w = data;
	const struct py_proc *pp = w->pp;
	struct py_scratch *s = w->s;
	__u64 frame = w->frame, code, instr, start, key, word;
	__u32 at = w->nr, fspan = pp->l.frame_span, cspan = pp->l.code_span;
	__u8 entry;

	if (!frame)
		return w->checked ? 1 : py_restart(w);
	if (at >= MAX_STACK_DEPTH || at >= max_depth) {	/* the stacks map keeps max_depth */
		count_drop(DROP_TRUNCATED);
		return 1;
	}
	if (fspan > PY_SCRATCH)
		fspan = PY_SCRATCH;
	if (cspan > PY_SCRATCH)
		cspan = PY_SCRATCH;
	if (bpf_probe_read_user(s->frame, fspan, (void *)frame))
		return w->checked ? 1 : py_restart(w);
	w->frame = py_field(s->frame, pp->l.frame_previous);
	code = py_field(s->frame, pp->l.frame_code);
	entry = (__u8)py_field(s->frame, pp->l.frame_is_entry);
	/*
	 * The thread's C frame (_PyCFrame) is published before its
	 * current_frame is set: a sample in _PyEval_EvalFrameDefault's first
	 * instructions reads whatever an earlier call left on the C stack,
	 * often a frame since freed (a generator's), and names garbage.  A
	 * C frame's chain ends at the entry frame its call pushed, whose
	 * previous is the frame the C frame before it runs; a chain that
	 * does not, or ends first, is not walked: that frame's is instead,
	 * as the interpreter stands until the push.
	 */
	if (entry & 1 && !w->checked) {
		if (w->frame != w->outer)
			return py_restart(w);
		w->checked = 1;
	}
	if (!code || bpf_probe_read_user(s->code, cspan, (void *)code))
		return 0;
	/*
	 * Not a code object: a frame's memory since reused (a stale chain
	 * the entry check did not catch, as a call's frame made current
	 * before its previous is set).  Nothing past it is trusted.
	 */
	if (pp->code_type && py_field(s->code, pp->l.code_ob_type) != pp->code_type)
		return w->checked ? 1 : py_restart(w);
	/*
	 * A frame pushed but not started points before its first
	 * instruction: it is running all the same (its prologue), and may be
	 * the entry frame that ends a group, so it is kept, at offset 0.
	 */
	start = code + pp->l.code_adaptive;
	instr = py_field(s->frame, pp->l.frame_prev_instr);
	instr = instr < start ? 0 : (instr - start) / 2;
	if (instr > PY_INSTR_MASK)
		instr = PY_INSTR_MASK;
	/*
	 * The key names the code object as it is now: its address, first
	 * line, and the name, file and line table it holds (and so keeps
	 * alive), with the name's hash of its text.  A code object freed and
	 * another made at its address has another key unless all of these
	 * coincide too.
	 */
	key = mix64(code ^ ((__u64)(__u32)py_field(s->code, pp->l.code_firstlineno) << 47));
	key = mix64(key ^ py_field(s->code, pp->l.code_qualname));
	key = mix64(key ^ py_field(s->code, pp->l.code_filename));
	key = mix64(key ^ py_field(s->code, pp->l.code_linetable));
	key = mix64(key ^ py_read_u64(py_field(s->code, pp->l.code_qualname) + pp->l.str_hash));
	key &= PY_KEY_MASK;
	word = PY_FRAME_MARK | (entry & 1 ? PY_FRAME_ENTRY : 0) | (key << PY_KEY_SHIFT) | instr;
	w->buf->ips[at] = word;
	w->nr = at + 1;
	py_note_code(w, key, s->code);
	return 0;
}

/*
 * Append the Python frames of the current thread to buf: the new depth.
 * A global function (GLOBAL_FUNC): verified once, not again in each of
 * its callers' states.
 */
GLOBAL_FUNC int python_append(struct stack_frames *buf, int nr)
{
	__u64 id = bpf_get_current_pid_tgid(), ts, cframe;
	struct py_walk w = { .buf = buf, .pid = id >> 32, .nr = nr };
	struct task_struct *task;
	__u32 zero = 0, life;

	if (!buf || !python_frames || nr <= 0 || nr >= MAX_STACK_DEPTH || nr >= (int)max_depth)
		return nr;
	w.pp = bpf_map_lookup_elem(&py_procs, &w.pid);
	if (!w.pp)
		return nr;
	/* the entry is of the process user space read, not of a later one with its pid */
	task = (struct task_struct *)bpf_get_current_task();
	life = LIFE_TAG(BPF_CORE_READ(task, group_leader, start_time));
	if (!w.pp->life)
		w.pp->life = life;
	else if (w.pp->life != life)
		return nr;
	w.s = bpf_map_lookup_elem(&py_scratch, &zero);
	if (!w.s)
		return nr;
	ts = py_tstate(w.pp, w.pid, (__u32)id);
	if (!ts)
		return nr;
	cframe = py_read_u64(ts + w.pp->l.tstate_cframe);
	if (!cframe)
		return nr;
	/* none yet, read in a C frame's first instructions, walks the previous one's */
	w.frame = py_read_u64(cframe + w.pp->l.cframe_current);
	/* root_cframe, the first, has no previous and no frame of its own */
	w.outer = py_read_u64(cframe + w.pp->l.cframe_previous);
	if (w.outer)
		w.outer = py_read_u64(w.outer + w.pp->l.cframe_current);
	w.start = nr;
	bpf_loop(PY_MAX_FRAMES, py_frame_cb, &w, 0);
	return w.nr;
}

/* User space reads up to the first 0: end the stack after its Python frames. */
static __always_inline int python_end(struct stack_frames *buf, int nr)
{
	__u32 at = nr;

	barrier_var(at);
	if (at < MAX_STACK_DEPTH)
		buf->ips[at] = 0;
	return nr;
}

#endif /* PROFILER_PYTHON_BPF_H */
