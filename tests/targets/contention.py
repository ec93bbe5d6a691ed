"""GIL contention: N sleeper threads loop on time.sleep(0.02) while one
thread ("compute") computes, or, with N sleepers and the word "idle", every
thread (the main one too) waits on a lock that is never released.

    python contention.py WRITE_FD N [idle]

Writes "ready" once every thread runs (or waits), and runs until killed.  The truth a test compares with is the kernel's own
accounting in /proc/PID/task/TID/schedstat, read by the test.
"""
import os
import sys
import threading
import time


wfd, n = int(sys.argv[1]), int(sys.argv[2])
idle = len(sys.argv) > 3 and sys.argv[3] == "idle"
never = threading.Lock()
never.acquire()
started = threading.Semaphore(0)


def sleeper():
    started.release()
    if idle:
        never.acquire()
    while True:
        time.sleep(0.02)


def compute():
    started.release()
    x = 0
    while True:
        for i in range(1000):
            x += i * i


for i in range(n):
    threading.Thread(target=sleeper, name="sleeper-%d" % i).start()
if not idle:
    threading.Thread(target=compute, name="compute").start()
for i in range(n + (0 if idle else 1)):
    started.acquire()
os.write(wfd, b"ready")
if idle:
    never.acquire()
while True:
    time.sleep(1)
