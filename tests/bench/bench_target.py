"""Benchmark target: N threads (main included), each parked DEPTH frames deep
in time.sleep, so `bt --all` has real stacks to walk.  Writes "ready" to the
file given as argv[1].  Python 2.7 and 3.x.

    bench_target.py READY_FILE THREADS DEPTH
"""
import sys
import threading
import time


def park(depth):
    if depth <= 1:
        while True:
            time.sleep(1000)
    park(depth - 1)


def main():
    ready, nthreads, depth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for i in range(nthreads - 1):
        t = threading.Thread(target=park, args=(depth,), name="parked-%d" % i)
        t.daemon = True
        t.start()
    time.sleep(0.2)
    with open(ready, "w") as f:
        f.write("ready\n")
    park(depth)


main()
