# -*- coding: utf-8 -*-
"""pyspy-sh end-to-end target: everything a sampler can trip over, at once.

Usage: python churn.py TRUTH_JSON READY [WORKERS]

WORKERS (default 4) spawner threads each start short-lived threads, one
after another, forever; every short-lived thread recurses to a random depth
(1-60) through two functions, building and dropping strings of random size
and kind (ASCII, Latin-1, UCS-2, UCS-4) at each level, then unwinds and
ends.  The main thread does the same without ending.  So thread states
appear and vanish, frames are pushed and popped, code objects' frames move
between data-stack chunks, and string objects are freed and their memory
reused, all while a nonblocking sampler reads.  Writes TRUTH_JSON ({"pid",
"file"}) and "ready\\n" to READY (a descriptor number or a path), then runs
until killed.  Python 2.7 - 3.13 compatible.
"""
import os
import random
import sys
import threading

from announce import announce

ALPHABETS = (u"abcdefgh", u"\xe9\xe8\xfc\xdf", u"\u4e2d\u6587\u5b57", u"\U0001f600\U0001f680")


def text(rnd):
    return rnd.choice(ALPHABETS) * rnd.randint(1, 400)


def down(rnd, depth, keep):
    s = text(rnd)
    if depth <= 0:
        return len(s) + len(keep)
    if depth % 2:
        return across(rnd, depth - 1, s)
    return down(rnd, depth - 1, s[:depth])


def across(rnd, depth, keep):
    junk = [text(rnd) for _ in range(3)]
    del junk[1:]
    return down(rnd, depth - 1, keep + junk[0][:5])


def short_lived(seed):
    rnd = random.Random(seed)
    for _ in range(rnd.randint(1, 5)):
        down(rnd, rnd.randint(1, 60), u"")


def spawner(seed):
    rnd = random.Random(seed)
    while True:
        t = threading.Thread(target=short_lived, args=(rnd.random(),), name="short-%d" % rnd.randint(0, 999))
        t.start()
        t.join()


def main():
    truth, ready = sys.argv[1], sys.argv[2]
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    for i in range(workers):
        t = threading.Thread(target=spawner, args=(i,), name="spawner-%d" % i)
        t.daemon = True
        t.start()
    announce(truth, ready, __file__)
    rnd = random.Random(12345)
    while True:
        down(rnd, rnd.randint(1, 60), u"")


if __name__ == "__main__":
    main()
