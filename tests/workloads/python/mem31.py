# SPDX-License-Identifier: GPL-2.0
"""Allocations with known sizes in named Python functions, for mem:
keep() keeps N bytearrays of K bytes alive to the end, churn() makes and
drops as many.  Each bytearray(K) with K above pymalloc's 512 bytes is
one realloc(NULL, K + 1) of the C library (PyByteArray_Resize asks for a
byte more, for the trailing NUL), freed when the object is.  The program
ends by os._exit: the interpreter's finalisation would free what keep()
kept, and the kept blocks are the truth the profile is checked against.  With a third
argument "time", it also prints churn()'s CPU time per malloc+free pair
(the traps and probes of a profiler run on this thread), for benches."""
import os
import sys
import time


def keep(n, k):
    kept = []
    for _ in range(n):
        kept.append(bytearray(k))
    return kept


def churn(n, k):
    for _ in range(n):
        b = bytearray(k)
        del b


def main():
    n, k = int(sys.argv[1]), int(sys.argv[2])
    kept = keep(n, k)
    t0 = time.thread_time_ns()
    churn(n, k)
    t1 = time.thread_time_ns()
    print(f"kept={len(kept)}x{k}", flush=True)
    if sys.argv[3:] == ["time"]:
        print(f"cpu_ns_per_pair={(t1 - t0) // n}", flush=True)
    os._exit(0)


main()
