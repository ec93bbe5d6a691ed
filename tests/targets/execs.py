# -*- coding: utf-8 -*-
"""pyspy-sh end-to-end target: a busy program that replaces itself.

Usage: python execs.py TRUTH_JSON READY DELAY [PROGRAM ARGS...]

Writes TRUTH_JSON ({"pid", "file"}) and "ready\\n" to READY (a file
descriptor number or a path), spins in busy() for DELAY seconds (so a sampler
collects samples), then os.execv()s PROGRAM (default: /bin/sleep 60): the
same pid now runs another program, in a new address space.  The safety tests
sample and bt across that moment.  Python 2.7 - 3.13 compatible.
"""
import os
import sys
import time

from announce import announce


def busy(seconds):
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        n += 1
    return n


def main():
    truth, ready, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
    argv = sys.argv[4:] or ["/bin/sleep", "60"]
    announce(truth, ready, __file__)
    busy(delay)
    sys.stdout.flush()
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
