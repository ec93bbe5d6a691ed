"""Threads taking turns with the GIL, for the sampler's unchanged stacks.

    python gil_turns.py WRITE_FD TRUTH_JSON [THREADS]

THREADS (default 4) threads named turn-0.. each loop over two phases,
phase_a() then phase_b(), each spinning in pure Python for PHASE seconds of
wall time, so that only the thread holding the GIL moves and the others wait
for it inside whichever phase they were in.  A thread's stack then changes
only while it holds the GIL.  Every thread adds up the wall time it spent in
each phase; the totals, with the time they were taken, are written to
TRUTH_JSON every 0.05 s as {"at": time.time(), "spent": {tid: {"phase_a": s,
"phase_b": s}}, "history": [[at, spent], ...]}, the history those of the last
10 s (a test takes the truth over exactly the window it sampled), and "ready"
to WRITE_FD once every thread runs.  Runs until killed.  Python 2.7 - 3.15
compatible.
"""
import json
import os
import sys
import threading
import time

PHASE = 0.004
wfd, truth_path = int(sys.argv[1]), sys.argv[2]
nthreads = int(sys.argv[3]) if len(sys.argv) > 3 else 4
spent = {}
started = threading.Semaphore(0)


def spin(until):
    n = 0
    while time.time() < until:
        n += 1
    return n


def phase_a(mine):
    t0 = time.time()
    spin(t0 + PHASE)
    mine["phase_a"] += time.time() - t0


def phase_b(mine):
    t0 = time.time()
    spin(t0 + PHASE)
    mine["phase_b"] += time.time() - t0


def turns():
    tid = threading.current_thread().native_id if hasattr(threading.current_thread(), "native_id") else 0
    if not tid:
        import ctypes
        tid = ctypes.CDLL(None).syscall(186)   # gettid on x86-64
    mine = spent[str(tid)] = {"phase_a": 0.0, "phase_b": 0.0}
    started.release()
    while True:
        phase_a(mine)
        phase_b(mine)


for i in range(nthreads):
    t = threading.Thread(target=turns, name="turn-%d" % i)
    t.daemon = True
    t.start()
for i in range(nthreads):
    started.acquire()
os.write(wfd, b"ready\n")
os.close(wfd)
history = []
while True:
    snap = {"at": time.time(), "spent": dict((k, dict(v)) for k, v in list(spent.items()))}
    history.append([snap["at"], snap["spent"]])
    del history[:-200]
    snap["history"] = history
    with open(truth_path + ".tmp", "w") as f:
        json.dump(snap, f)
    os.rename(truth_path + ".tmp", truth_path)
    time.sleep(0.05)
