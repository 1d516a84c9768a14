# SPDX-License-Identifier: GPL-2.0
"""A known 3:1 split of CPU time between two Python functions.

Which function runs is picked by a seeded PRNG per call of some tens of
microseconds, far shorter than a sampling period (1 ms at 999 Hz), so
the pattern cannot alias with the sampler; both do the same work per
call.  The main thread runs for argv[1] CPU seconds.  On the way: a
generator, recursion, and, in a second thread, calls into C (json, re)
and from C back into Python (re.sub's replacement function).
"""
import json
import random
import re
import sys
import threading
import time

PATTERN = re.compile(r"(\d+)-(\w+)")


def chunk(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def gen_values(n):
    for i in range(n):
        yield i * 3


def recurse(depth, n):
    if depth == 0:
        return chunk(n)
    return recurse(depth - 1, n)


def three_parts():
    return recurse(3, 200) + sum(gen_values(40))


def one_part():
    return recurse(3, 200) + sum(gen_values(40))


def repl(m):
    return str(sum(int(c) for c in m.group(1))) + m.group(2)


def c_calls():
    for _ in range(50):
        json.loads(json.dumps({"a": [1, 2, 3], "b": "x" * 20}))
        PATTERN.findall("12-ab 34-cd 56-ef" * 10)
        PATTERN.sub(repl, "12-ab 34-cd 56-ef" * 10)


def worker(stop):
    while not stop.is_set():
        c_calls()


def main():
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 5
    rng = random.Random(31)
    stop = threading.Event()
    t = threading.Thread(target=worker, args=(stop,), name="cworker")
    t.start()
    end = time.thread_time() + secs
    while time.thread_time() < end:
        for _ in range(64):
            if rng.random() < 0.75:
                three_parts()
            else:
                one_part()
    stop.set()
    t.join()


if __name__ == "__main__":
    main()
