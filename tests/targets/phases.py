"""pyspy-sh end-to-end target for launch mode: a program in two phases.

    python phases.py TRUTH [SECONDS]

phase_one spins for SECONDS (default 0.6) from its very first line, then
phase_two spins as long.  Each phase records its own start and end
(time.time()) in TRUTH as "NAME<TAB>START<TAB>END" lines, written when the
program ends, so the test knows how long each phase really ran.  Nothing is
imported but sys and time (loaded by the interpreter already), so the first
phase begins as soon as the program's own code does.
Python 2.7 - 3.14 compatible.
"""
import sys
import time


def spin(seconds):
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        n += 1
    return n


def phase_one(seconds):
    t0 = time.time()
    spin(seconds)
    return ("phase_one", t0, time.time())


def phase_two(seconds):
    t0 = time.time()
    spin(seconds)
    return ("phase_two", t0, time.time())


def main(truth, seconds):
    rows = [phase_one(seconds), phase_two(seconds)]
    with open(truth + ".tmp", "w") as out:
        for name, t0, t1 in rows:
            out.write("%s\t%.6f\t%.6f\n" % (name, t0, t1))
    import os
    os.rename(truth + ".tmp", truth)


main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 0.6)
