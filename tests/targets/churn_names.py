"""Thread churn with names: the main thread spins the whole time while short
lived worker threads named job-N come and go (each sleeps a little and ends),
as in a thread pool.  Every worker logs its kernel tid and name, so a test can
check a profile's thread labels against what the threads really were.

    python churn_names.py WRITE_FD SECONDS TRUTH_JSON

Writes "ready" once the churn runs; after SECONDS it writes the log
{"main_tid": TID, "jobs": {TID: NAME, ...}} to TRUTH_JSON.tmp, renames it to
TRUTH_JSON and exits.
"""
import json
import os
import sys
import threading
import time


def gettid():
    try:
        return threading.get_native_id()
    except AttributeError:      # before 3.8: the gettid system call
        import ctypes
        return ctypes.CDLL(None, use_errno=True).syscall(186)


wfd, seconds, truth_path = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
jobs = {}
lock = threading.Lock()


def job():
    with lock:
        jobs[str(gettid())] = threading.current_thread().name
    time.sleep(0.01)


def spawner(stop):
    n = 0
    while not stop.is_set():
        live = [threading.Thread(target=job, name="job-%d" % (n + i)) for i in range(4)]
        n += len(live)
        for t in live:
            t.start()
        for t in live:
            t.join()


def spin(until):
    x = 0
    while time.time() < until:
        for i in range(1000):
            x += i
    return x


stop = threading.Event()
s = threading.Thread(target=spawner, args=(stop,), name="spawner")
s.start()
os.write(wfd, b"ready")
spin(time.time() + seconds)
stop.set()
s.join()
with open(truth_path + ".tmp", "w") as f:
    json.dump({"main_tid": gettid(), "jobs": jobs}, f)
os.rename(truth_path + ".tmp", truth_path)
