"""Sampling benchmark target: THREADS threads each spinning in a pure-Python
loop DEPTH frames deep, counting iterations.  Every REPORT seconds it writes
"<loops per second, all threads>" as a line to the file given as argv[1], so
the benchmark can compare the loop rate with and without pyspy-sh sampling.
The first line is written once all threads run.  Python 2.7 and 3.x.

    busy_target.py RATE_FILE THREADS DEPTH
"""
import sys
import threading
import time

counts = []


go = threading.Event()


def spin(slot, depth):
    if depth > 1:
        return spin(slot, depth - 1)
    # spinning threads hog the GIL and make starting the next one slow (100
    # threads took over 30 s): all wait here until every one has started
    go.wait()
    n = 0
    while True:
        n += 1
        if n & 0x3ff == 0:
            counts[slot] += 1024


def main():
    path, nthreads, depth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for i in range(nthreads):
        counts.append(0)
        t = threading.Thread(target=spin, args=(i, depth), name="spin-%d" % i)
        t.daemon = True
        t.start()
    go.set()
    last, then = sum(counts), time.time()
    while True:
        time.sleep(0.5)
        now, total = time.time(), sum(counts)
        with open(path, "a") as f:
            f.write("%.0f\n" % ((total - last) / (now - then)))
        last, then = total, now


main()
