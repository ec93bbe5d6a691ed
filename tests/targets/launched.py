"""pyspy-sh end-to-end target for launch mode (pyspy-sh -- PYTHON launched.py TRUTH GO).

Goes straight to its blocking point (no imports but sys, os, time, which the
interpreter has loaded already), so that pyspy-sh's first `bt` finds it there;
writes its own stack (function TAB file TAB line, innermost first) to TRUTH,
blocks opening the FIFO GO for reading until the test opens it for writing
(once bt is printed), prints "launched.py says goodbye" and exits with status 3.
Python 2.7 - 3.13 compatible.
"""
import os
import sys


def wait_here(truth, go):
    record(truth, sys._getframe(), 1)
    with open(go) as fifo:  # BLOCK
        fifo.read()


def record(truth, frame, delta):
    rows = []
    f = frame
    while f is not None:
        line = f.f_lineno + (delta if f is frame else 0)
        rows.append("%s\t%s\t%d\n" % (f.f_code.co_name, os.path.abspath(f.f_code.co_filename), line))
        f = f.f_back
    with open(truth + ".tmp", "w") as out:
        out.writelines(rows)
    os.rename(truth + ".tmp", truth)


def outer(truth, go):
    wait_here(truth, go)


outer(sys.argv[1], sys.argv[2])
sys.stdout.write("launched.py says goodbye\n")
sys.stdout.flush()
sys.exit(3)
