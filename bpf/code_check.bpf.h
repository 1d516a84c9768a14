/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whether a word on the user stack may be a return address, without the
 * mmap lock and without reading the code.
 *
 * This used to ask bpf_find_vma() whether the word lies in an executable
 * mapping, with the answers kept per CPU.  From a perf_event program the
 * lock it takes is released through an irq_work, a self-IPI: on this
 * machine's VM some 17 µs per call, and under process churn, with new
 * processes missing any cache, 0.3 calls a sample: 5 of the 19 µs a
 * sample cost.  Then it read the 8 bytes before the word, to see whether
 * they end with a call instruction: the first read of a code page in a
 * sample costs 8-11 µs there (see leaf_return_candidates()).  Now the mm
 * alone says what it can (the program's own text is code; its heap and
 * data are not), and user space keeps a candidate only where the
 * function's CFI puts the return address.
 */
#ifndef PROFILER_CODE_CHECK_BPF_H
#define PROFILER_CODE_CHECK_BPF_H

#include "common.bpf.h"

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

#endif /* PROFILER_CODE_CHECK_BPF_H */
