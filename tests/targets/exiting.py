# -*- coding: utf-8 -*-
"""pyspy-sh end-to-end target that changes constantly and then exits.

Usage: python exiting.py READY DELAY MODE

Threads are created and destroyed in a loop, others recurse up and down,
so the thread list and the frame chains change under the reader.  After
"ready\\n" is written to READY (fd number or path) the process lives DELAY
seconds and then ends by MODE:
  return    main returns: normal interpreter finalization, daemon threads alive
  os_exit   os._exit(0) from the main thread
  thread    os._exit(3) from a non-main thread
  sigkill   SIGKILL to itself

Python 2.7 - 3.13 compatible.
"""
import sys
import os
import time
import signal
import random
import threading


def leaf():
    time.sleep(0.0005)


def recurse(n):
    if n:
        return recurse(n - 1)
    leaf()


def short_lived():
    recurse(random.randint(1, 30))


def churn():
    while True:
        t = threading.Thread(target=short_lived)
        t.daemon = True
        t.start()
        t.join()


def bounce():
    while True:
        recurse(random.randint(1, 80))


def main():
    ready, delay, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    for fn in (churn, churn, bounce, bounce):
        t = threading.Thread(target=fn)
        t.daemon = True
        t.start()
    if ready.isdigit():
        fd = int(ready)
    else:
        fd = os.open(ready, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.write(fd, b"ready\n")
    os.close(fd)
    time.sleep(delay)
    if mode == "os_exit":
        os._exit(0)
    elif mode == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif mode == "thread":
        t = threading.Thread(target=os._exit, args=(3,))
        t.start()
        time.sleep(60)
    # "return": fall off the end


if __name__ == "__main__":
    main()
