# -*- coding: utf-8 -*-
"""pyspy-sh end-to-end target: a moving counter and a very large local.

Usage: python counter.py TRUTH_JSON READY [BIG_N]

READY is a file descriptor number (a pipe inherited from the test) or a path;
"ready\\n" is written to it once TRUTH_JSON is in place.

A thread named "counter" adds 1 to the global `counter` every couple of
milliseconds, forever: `print counter` read twice shows whether the target
runs (the value moves) or is held by `stop` (it does not).  The main thread
blocks in hold() -> idle() -> time.sleep with locals:
  big_list  a list of BIG_N (default 5,000,000) distinct ints, so that
            `print big_list` with the limits raised reads for seconds (the
            Ctrl-C test interrupts it);
  nested    {'a': [1, (2, 3)], 'b': {'c': None}} for a nested print.
Ground truth (TRUTH_JSON): pid, file, the main thread's frames innermost
first as [function, line] (idle, hold, main, <module>), the repr of nested,
BIG_N.  Python 2.7 - 3.13 compatible.
"""
import json
import os
import sys
import threading
import time

counter = 0


def count_forever():
    global counter
    while True:
        counter += 1
        time.sleep(0.002)


def write_ready(ready):
    if ready.isdigit():
        os.write(int(ready), b"ready\n")
    else:
        with open(ready, "w") as f:
            f.write("ready\n")


def idle(truth_path, ready, nested, big_n):
    frames = []
    f = sys._getframe()
    while f is not None:
        frames.append([f.f_code.co_name, f.f_lineno])
        f = f.f_back
    frames[0][1] += 10         # the line of the BLOCK below
    doc = {"pid": os.getpid(), "file": os.path.abspath(__file__), "frames": frames,
           "nested": repr(nested), "big_n": big_n}
    with open(truth_path + ".tmp", "w") as out:
        json.dump(doc, out)
    os.rename(truth_path + ".tmp", truth_path)
    write_ready(ready)
    while True:
        time.sleep(3600)  # BLOCK


def hold(truth_path, ready, big_n):
    big_list = list(range(big_n))
    nested = {"a": [1, (2, 3)], "b": {"c": None}}
    idle(truth_path, ready, nested, big_n)
    return big_list


def main():
    big_n = int(sys.argv[3]) if len(sys.argv) > 3 else 5000000
    t = threading.Thread(target=count_forever, name="counter")
    t.daemon = True
    t.start()
    while counter == 0:
        time.sleep(0.01)
    hold(sys.argv[1], sys.argv[2], big_n)


if __name__ == "__main__":
    main()
