"""Profiling target: the main thread spins in pure Python 30 frames deep
(hot_leaf is where nearly all the time goes); a second thread sleeps.  With a
third argument "exit-after=SECONDS" it exits on its own after that long.

Usage: python busy.py TRUTH_JSON READY [exit-after=S]
Writes {"pid", "leaf", "file", "leaf_line"} to TRUTH_JSON, then "ready" to
READY (a file descriptor number or a path).  Python 2.7 and 3.x.
"""
import json
import os
import sys
import threading
import time

HERE = os.path.abspath(__file__)


def hot_leaf(deadline):
    n = 0
    while deadline is None or time.time() < deadline:
        n += 1  # HOT
    return n


def descend(depth, deadline):
    if depth > 1:
        return descend(depth - 1, deadline)
    return hot_leaf(deadline)


def line_of(marker):
    with open(HERE) as f:
        for i, line in enumerate(f, 1):
            if marker in line and "line_of" not in line:
                return i
    return -1


def main():
    truth_path, ready = sys.argv[1], sys.argv[2]
    exit_after = None
    for a in sys.argv[3:]:
        if a.startswith("exit-after="):
            exit_after = float(a.split("=", 1)[1])
    t = threading.Thread(target=time.sleep, args=(100000,), name="sleepy")
    t.daemon = True
    t.start()
    with open(truth_path, "w") as f:
        json.dump({"pid": os.getpid(), "leaf": "hot_leaf", "file": HERE, "leaf_line": line_of("# HOT")}, f)
    fd = int(ready) if ready.isdigit() else os.open(ready, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"ready\n")
    os.close(fd)
    descend(30, time.time() + exit_after if exit_after else None)


main()
