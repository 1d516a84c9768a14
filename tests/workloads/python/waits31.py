# SPDX-License-Identifier: GPL-2.0
"""Waits with known lengths in named Python functions, for offcpu, wall
and lock: nap() sleeps N times 100 ms and prints how long its sleeps
really took (the truth the profile is checked against); the threading
module's waits each wait on a helper thread for about 200 ms; two
threads contend for a threading.Lock held 5 ms at a time."""
import sys
import threading
import time


def nap(n):
    slept = 0
    for _ in range(n):
        t0 = time.monotonic_ns()
        time.sleep(0.1)
        slept += time.monotonic_ns() - t0
    return slept


def helper(ev, sem, q_cond):
    time.sleep(0.2)
    ev.set()
    time.sleep(0.2)
    sem.release()
    time.sleep(0.2)
    with q_cond:
        q_cond.notify()
    time.sleep(0.2)


def event_wait(ev):
    ev.wait()


def semaphore_wait(sem):
    sem.acquire()


def condition_wait(cond):
    with cond:
        cond.wait()


def join_wait(t):
    t.join()


def contend(lock, rounds):
    for _ in range(rounds):
        with lock:
            time.sleep(0.005)


def main():
    mode = sys.argv[1]
    if mode == "nap":
        slept = nap(int(sys.argv[2]))
        print(f"slept_ns={slept}")
    elif mode == "kinds":
        ev, sem, cond = threading.Event(), threading.Semaphore(0), threading.Condition()
        t = threading.Thread(target=helper, args=(ev, sem, cond))
        t.start()
        event_wait(ev)
        semaphore_wait(sem)
        condition_wait(cond)
        join_wait(t)
        lock = threading.Lock()
        ts = [threading.Thread(target=contend, args=(lock, 40)) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()


if __name__ == "__main__":
    main()
