"""Exception-mode target: the main thread raises and catches ValueError in a
loop and spends 10 ms inside the except block (in_handler) and 10 ms outside
any exception (outside); a second thread only ever spins outside one.

Usage: python raiser.py TRUTH_JSON READY
Writes {"pid", "file", "handler": "in_handler", "round": "one_round"} to
TRUTH_JSON, then "ready" to READY.  The try/except sits in its own function,
one_round(), which returns after the handler: on 2.7 the exception being
handled stays in sys.exc_info() until the function that caught it returns.
Python 2.7 and 3.x.
"""
import json
import os
import sys
import threading
import time

HERE = os.path.abspath(__file__)


def in_handler(end):
    n = 0
    while time.time() < end:
        n += 1
    return n


def outside(end):
    n = 0
    while time.time() < end:
        n += 1
    return n


def one_round():
    try:
        raise ValueError("caught")
    except ValueError:
        in_handler(time.time() + 0.01)


def bystander():
    while True:
        outside(time.time() + 0.01)
        time.sleep(0.005)


def main():
    truth_path, ready = sys.argv[1], sys.argv[2]
    t = threading.Thread(target=bystander, name="bystander")
    t.daemon = True
    t.start()
    with open(truth_path, "w") as f:
        json.dump({"pid": os.getpid(), "file": HERE, "handler": "in_handler", "round": "one_round"}, f)
    fd = int(ready) if ready.isdigit() else os.open(ready, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"ready\n")
    os.close(fd)
    while True:
        one_round()
        outside(time.time() + 0.01)


main()
