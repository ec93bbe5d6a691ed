"""pyspy-sh end-to-end target for hang-watch.lua: a program that deadlocks, or
one that keeps working.

Usage: python hangs.py TRUTH_JSON READY MODE

MODE "deadlock": threads worker-a and worker-b each take one lock, wait until
the other holds its own, then take the other's: both block forever in
take_second(); the main thread waits for them in join().
MODE "working": the main thread and a worker thread compute in a loop through
changing functions and lines, never waiting for long.

TRUTH_JSON gets {"pid", "mode", "file"}; "ready" goes to READY (a file
descriptor number or a path) once the deadlock is certain (both first locks
held) or the work has started.  Python 2.7 and 3.x.
"""
import json
import os
import sys
import threading
import time

HERE = os.path.abspath(__file__)


def take_second(first, second, mine, theirs):
    with first:
        mine.set()
        theirs.wait()
        with second:  # DEADLOCK
            pass


def deadlock():
    a, b = threading.Lock(), threading.Lock()
    ea, eb = threading.Event(), threading.Event()
    ta = threading.Thread(target=take_second, args=(a, b, ea, eb), name="worker-a")
    tb = threading.Thread(target=take_second, args=(b, a, eb, ea), name="worker-b")
    for t in (ta, tb):
        t.daemon = True
        t.start()
    ea.wait()
    eb.wait()
    return ta, tb


def square_sum(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


def string_work(n):
    return len("".join(str(i) for i in range(n)))


def work_forever():
    k = 0
    while True:
        k += 1
        if k % 2:
            square_sum(2000 + k % 300)
        else:
            string_work(1000 + k % 200)


def main():
    truth_path, ready, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    threads = ()
    if mode == "deadlock":
        threads = deadlock()
    else:
        t = threading.Thread(target=work_forever, name="worker")
        t.daemon = True
        t.start()
    with open(truth_path, "w") as f:
        json.dump({"pid": os.getpid(), "mode": mode, "file": HERE}, f)
    fd = int(ready) if ready.isdigit() else os.open(ready, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"ready\n")
    os.close(fd)
    if mode == "deadlock":
        for t in threads:
            t.join()
    else:
        work_forever()


main()
