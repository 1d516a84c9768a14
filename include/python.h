/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Python frames (bpf/python.bpf.h): what user space tells BPF about a
 * process that runs CPython, and what BPF sends back about the code
 * objects it met.
 */
#ifndef PROFILER_PYTHON_H
#define PROFILER_PYTHON_H

/*
 * A Python frame travels in the user stack, after the native frames (leaf
 * first), as one word: bit 62 set and bit 63 clear (no user address has
 * either; a leaf return-address candidate has bit 63), bit 61 when the
 * frame is an entry frame (the first one a _PyEval_EvalFrameDefault call
 * ran: the boundary between two native interpreter frames), a 44-bit key
 * of the code object in bits 17-60 and the offset of its current
 * instruction, in 2-byte code units, in bits 0-16 (clamped).
 */
#define PY_FRAME_MARK		(1ULL << 62)
#define PY_FRAME_ENTRY		(1ULL << 61)
#define PY_KEY_SHIFT		17
#define PY_KEY_MASK		((1ULL << 44) - 1)
#define PY_INSTR_MASK		((1ULL << PY_KEY_SHIFT) - 1)
#define PY_IS_FRAME(w)		(((w) >> 62) == 1)

/* Python frames walked per sample at most (the stack's room bounds them too) */
#define PY_MAX_FRAMES		96
/* Threads of one interpreter searched for the sampled one */
#define PY_MAX_THREADS		64
/* Threads whose state is cached, (process, code key) pairs remembered as
 * sent (at least; more with many CPUs, lru_entries()) */
#define PY_THREADS_MAX		4096
#define PY_SEEN_MIN		8192

/* Where to find things in one CPython build: offsets in bytes. */
struct py_layout {
	__u16 runtime_interp_head;	/* _PyRuntime.interpreters.head */
	__u16 interp_threads_head;	/* PyInterpreterState.threads.head */
	__u16 tstate_next;		/* PyThreadState.next */
	__u16 tstate_native_tid;	/* PyThreadState.native_thread_id */
	__u16 tstate_cframe;		/* PyThreadState.cframe */
	__u16 cframe_current;		/* _PyCFrame.current_frame */
	__u16 cframe_previous;		/* _PyCFrame.previous */
	__u16 frame_code;		/* _PyInterpreterFrame.f_code */
	__u16 frame_previous;		/* _PyInterpreterFrame.previous */
	__u16 frame_prev_instr;		/* _PyInterpreterFrame.prev_instr */
	__u16 frame_is_entry;		/* _PyInterpreterFrame.is_entry */
	__u16 frame_owner;		/* _PyInterpreterFrame.owner */
	__u16 code_firstlineno;		/* PyCodeObject.co_firstlineno */
	__u16 code_filename;		/* PyCodeObject.co_filename */
	__u16 code_qualname;		/* PyCodeObject.co_qualname */
	__u16 code_linetable;		/* PyCodeObject.co_linetable */
	__u16 code_adaptive;		/* PyCodeObject.co_code_adaptive: the bytecode */
	__u16 code_ob_type;		/* PyCodeObject's ob_type: &PyCode_Type in a code object */
	__u16 str_length;		/* PyASCIIObject.length */
	__u16 str_hash;			/* PyASCIIObject.hash */
	__u16 str_state;		/* PyASCIIObject.state */
	__u16 str_ascii_data;		/* sizeof(PyASCIIObject): a compact ASCII string's text */
	__u16 str_compact_data;		/* sizeof(PyCompactUnicodeObject): other compact strings' */
	__u16 bytes_size;		/* PyVarObject.ob_size */
	__u16 bytes_data;		/* PyBytesObject.ob_sval */
	__u16 frame_span;		/* bytes of a frame read: past its last field used */
	__u16 code_span;		/* bytes of a code object read: the same */
};

/* py_procs: a process running CPython, keyed by tgid. */
struct py_proc {
	__u64 runtime;			/* &_PyRuntime in the process */
	__u64 code_type;		/* &PyCode_Type in the process: a frame's f_code
					 * that is not of it is no live frame's */
	__u32 life;			/* LIFE_TAG of the process, set by BPF at its first
					 * sample: a later process with the pid is not it */
	__u32 pad;
	struct py_layout l;
};

#define PY_NAME_LEN		128
#define PY_FILE_LEN		256
#define PY_LINETABLE_LEN	2048

/* String kinds (PyUnicode_KIND), and a string BPF could not copy */
#define PY_STR_ASCII		0
#define PY_STR_1BYTE		1
#define PY_STR_2BYTE		2
#define PY_STR_4BYTE		4
#define PY_STR_NONE		255

/*
 * Sent through py_codes when BPF meets a (process, code key) the first
 * time: the code object's name, file and line table, read while the
 * process lives, so that a process that exits keeps its names.
 */
struct py_code_event {
	__u32 pid;
	__u32 firstlineno;
	__u64 key;			/* 44 bits, as in the frame word */
	__u16 name_len, file_len;	/* bytes copied */
	__u16 linetable_len;		/* bytes copied */
	__u8 name_kind, file_kind;	/* PY_STR_* */
	__u8 linetable_cut;		/* longer than PY_LINETABLE_LEN */
	__u8 pad[7];
	char name[PY_NAME_LEN];
	char file[PY_FILE_LEN];
	__u8 linetable[PY_LINETABLE_LEN];
};

#endif /* PROFILER_PYTHON_H */
