"""A deep recursive program whose stack never stands still, for the torn-read
test.

    python deep_recursion.py WRITE_FD

descend() recurses to a depth between 300 and 600, then churn() hops up and
down a shallow recursion (hop(), 1 to 40 deep) for about 3 ms, and the whole
stack unwinds to main() and is built again.  A stack read from outside while
it changes can come back torn; one that is accepted must still be a stack
this program can have.  The lines each function can be read at are marked
below (# CALL NAME: a call to NAME, the next frame; # BODY: work at the top
of the stack; a def line: a frame not started yet); the test takes them from
this file.  Writes "ready" and runs until killed.
Python 2.7 - 3.15 compatible.
"""
import os
import sys
import time


def hop(k):
    if k:  # BODY
        return hop(k - 1)  # CALL hop
    x = 0  # BODY
    for i in range(20):  # BODY
        x += i  # BODY
    return x  # BODY


def churn(seed):
    end = time.time() + 0.003  # BODY
    while time.time() < end:  # BODY
        seed = (seed * 1103515245 + 12345) & 0x7fffffff  # BODY
        hop(1 + seed % 40)  # CALL hop
    return seed  # BODY


def descend(n, seed):
    if n:  # BODY
        return descend(n - 1, seed)  # CALL descend
    return churn(seed)  # CALL churn


def main(wfd):
    sys.setrecursionlimit(5000)
    seed = 7
    os.write(wfd, b"ready\n")
    os.close(wfd)
    while True:  # BODY
        seed = descend(300 + seed % 301, seed)  # CALL descend


main(int(sys.argv[1]))  # CALL main
