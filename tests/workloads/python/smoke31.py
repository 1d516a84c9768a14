# SPDX-License-Identifier: GPL-2.0
"""The 3:1 split of split31.py with nothing but built-in modules, for the
kernels' smoke suite (scripts/kernels/smoke.sh), whose initramfs has the
interpreter and three files of its standard library.  A linear
congruential generator picks three or one per call (tens of
microseconds, no aliasing with 999 Hz).  Runs argv[1] CPU seconds."""
import sys
import time


def work(n):
    t = 0
    for i in range(n):
        t += i * i % 7
    return t


def three():
    return work(200)


def one():
    return work(200)


def main():
    x = 12345
    end = time.thread_time() + float(sys.argv[1])
    while time.thread_time() < end:
        for _ in range(64):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
            if (x >> 16) % 4 < 3:
                three()
            else:
                one()


main()
