"""Benchmark target for `sample --subprocesses`: this process and NCHILD
forked children, each spinning in a pure-Python loop DEPTH frames deep.
Writes "ready" to READY_FILE once every child runs; the children end when
this process is gone.  Python 3.

    tree_target.py READY_FILE NCHILD DEPTH
"""
import os
import sys
import time


def spin(depth, parent):
    if depth > 1:
        return spin(depth - 1, parent)
    n = 0
    while True:
        n += 1
        if n & 0xfffff == 0 and parent and os.getppid() != parent:
            os._exit(0)


def main():
    ready, nchild, depth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    me = os.getpid()
    for _ in range(nchild):
        if os.fork() == 0:
            spin(depth, me)
    time.sleep(0.3)
    with open(ready, "w") as f:
        f.write("ready\n")
    spin(depth, 0)


main()
