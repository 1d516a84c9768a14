# SPDX-License-Identifier: GPL-2.0
"""Two forked workers, no exec, with one pid: the second is made with the
first one's pid (clone3's set_tid, as root), so a profiler that takes the
pid for the process it announced before misses the second.  Each worker
runs argv[1] CPU seconds in a function of its own; prints both pids.
"""
import ctypes
import os
import sys
import time

SYS_CLONE3 = 435   # x86-64
SIGCHLD = 17
libc = ctypes.CDLL(None, use_errno=True)


class CloneArgs(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in
                ("flags", "pidfd", "child_tid", "parent_tid", "exit_signal", "stack",
                 "stack_size", "tls", "set_tid", "set_tid_size", "cgroup")]


def spin(secs):
    end = time.thread_time() + secs
    n = 0
    while time.thread_time() < end:
        n += sum(i * i for i in range(200))
    return n


def first_worker(secs):
    return spin(secs)


def second_worker(secs):
    return spin(secs)


def fork_with(pid, work, secs):
    """fork (clone3 without flags), with pid for the child if not 0"""
    tid = (ctypes.c_int * 1)(pid)
    args = CloneArgs(exit_signal=SIGCHLD)
    if pid:
        args.set_tid = ctypes.addressof(tid)
        args.set_tid_size = 1
    sys.stdout.flush()
    # what os.fork does around the call: the child's thread state then
    # carries its own thread id, as the profiler finds threads by it
    ctypes.pythonapi.PyOS_BeforeFork()
    got = libc.syscall(SYS_CLONE3, ctypes.byref(args), ctypes.c_size_t(ctypes.sizeof(args)))
    if got == 0:
        ctypes.pythonapi.PyOS_AfterFork_Child()
        work(secs)
        os._exit(0)
    ctypes.pythonapi.PyOS_AfterFork_Parent()
    if got < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    os.waitpid(got, 0)
    return got


def main():
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 0.3
    pid = fork_with(0, first_worker, secs)
    again = fork_with(pid, second_worker, secs)
    print(pid, again)


if __name__ == "__main__":
    main()
