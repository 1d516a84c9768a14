/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whether a word on the user stack may be a return address, without the
 * mmap lock.
 *
 * This used to ask bpf_find_vma() whether the word lies in an executable
 * mapping, with the answers kept per CPU.  From a perf_event program the
 * lock it takes is released through an irq_work, a self-IPI: on this
 * machine's VM some 17 µs per call, and under process churn, with new
 * processes missing any cache, 0.3 calls a sample: 5 of the 19 µs a
 * sample cost.  Now the mm says what it can (the program's own text is
 * code; its heap and data are not), and for the rest the word must follow
 * a call instruction, read from the code itself: a return address always
 * does, a data pointer rarely.  A word that passes by chance only reaches
 * user space, which keeps a candidate only where the function's CFI puts
 * the return address.
 */
#ifndef PROFILER_CODE_CHECK_BPF_H
#define PROFILER_CODE_CHECK_BPF_H

#include "common.bpf.h"

/* ModR/M byte of an indirect near call: opcode 0xff, reg field /2 */
#define CALL_INDIRECT(modrm)	(((modrm) & 0x38) == 0x10)

/* Whether task's mm alone tells if addr is code: its text, data or heap. */
static __always_inline bool code_mm_says(struct task_struct *task, __u64 addr, bool *code)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	__u64 lo, hi;

	if (!mm)
		return false;
	lo = BPF_CORE_READ(mm, start_code);
	hi = BPF_CORE_READ(mm, end_code);
	if (addr >= lo && addr < hi) {
		*code = true;
		return true;
	}
	lo = BPF_CORE_READ(mm, start_brk);
	hi = BPF_CORE_READ(mm, brk);
	if (addr >= lo && addr < hi) {
		*code = false;
		return true;
	}
	lo = BPF_CORE_READ(mm, start_data);
	hi = BPF_CORE_READ(mm, end_data);
	if (addr >= lo && addr < hi) {
		*code = false;
		return true;
	}
	return false;
}

/*
 * Whether the 8 bytes before addr end with an x86-64 call: e8 rel32
 * (5 bytes), or ff /2 with 0, 1, 2, 4 or 5 bytes of operand after its
 * ModR/M byte (call *%rax, *8(%rbp), *8(%rsp), *x(%rip), *x(%rax,%rbx)).
 */
static __always_inline bool code_after_call(__u64 addr)
{
	__u8 b[8];

	if (bpf_probe_read_user(b, sizeof(b), (void *)(addr - sizeof(b))))
		return false;
	return b[3] == 0xe8 ||
	       (b[6] == 0xff && CALL_INDIRECT(b[7])) ||
	       (b[5] == 0xff && CALL_INDIRECT(b[6])) ||
	       (b[4] == 0xff && CALL_INDIRECT(b[5])) ||
	       (b[2] == 0xff && CALL_INDIRECT(b[3])) ||
	       (b[1] == 0xff && CALL_INDIRECT(b[2]));
}

/* Whether addr, a word of task's (the current task's) stack, may be a return address. */
static __always_inline bool code_is_return(struct task_struct *task, __u64 addr)
{
	bool code = false;

	if (code_mm_says(task, addr, &code) && !code)
		return false;
#if defined(__TARGET_ARCH_x86)
	return code_after_call(addr);
#else
	return code;	/* no call test here: the program's own text only */
#endif
}

#endif /* PROFILER_CODE_CHECK_BPF_H */
