// SPDX-License-Identifier: GPL-2.0
/*
 * -- COMMAND: stop the command at its program's entry point, once.
 *
 * The command's user stacks are unwound with the .eh_frame tables of the
 * binaries it maps, and user space can make them only once the dynamic
 * loader has mapped its libraries: after exec, before the program's first
 * instruction.  A uprobe on the entry point, for the command's pid only,
 * stops it there (SIGSTOP, delivered before it returns to user mode); user
 * space sees the stop (it is the command's parent), makes the tables and
 * lets it go (SIGCONT).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define SIGSTOP 19

/* Set at the hit: user space acts on a stop only when it was this one. */
__u32 stopped;

SEC("uprobe")
int entry_stop(struct pt_regs *ctx)
{
	/* once: a program that execs itself again runs free (at its entry
	 * a process has one thread, so no other CPU races this) */
	if (stopped)
		return 0;
	stopped = 1;
	bpf_send_signal(SIGSTOP);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
