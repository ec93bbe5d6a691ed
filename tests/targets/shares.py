"""Profiling accuracy target: one thread spends known shares of its wall time
in three pure-Python functions, 60% in sixty(), 30% in thirty(), 10% in ten(),
in rounds of 20 ms; it is always running, so a profile of it should show the
same shares.  The target also measures the shares it actually achieved (the
time each function really ran, including any overshoot past its slice) and
records them as ground truth.

Usage: python shares.py TRUTH_JSON READY [split=A,B,C]
split= changes the percentages of sixty, thirty and ten (two runs with
different splits make a diff flame graph).
Writes {"pid", "file", "shares": {"sixty": 60, ...}} to TRUTH_JSON, then
"ready" to READY, then every 0.1 s re-writes TRUTH_JSON with "spent": the
seconds each function has run so far, so a test can take the shares of the
window it sampled (on a loaded machine the achieved split drifts from the
plan), and "cpu": the CPU seconds each has used (the process's CPU clock: the
program has one thread), the truth for a cpu-mode profile: on a loaded machine
a slice of wall time is not all spent on a CPU.  "history" keeps the last 4 s
of those as [time.time(), spent, cpu], so a test that knows when its sampling
window began and ended (a Gecko profile says) can take exactly that window.
Python 2.7 and 3.x.
"""
import json
import os
import sys
import time

HERE = os.path.abspath(__file__)
cpu_clock = getattr(time, "process_time", None) or time.clock   # 2.7: clock() is CPU time on Linux
ROUND = 0.020


def sixty(end):
    n = 0
    while time.time() < end:
        n += 1
    return n


def thirty(end):
    n = 0
    while time.time() < end:
        n += 1
    return n


def ten(end):
    n = 0
    while time.time() < end:
        n += 1
    return n


def main():
    truth_path, ready = sys.argv[1], sys.argv[2]
    split = [60, 30, 10]
    for arg in sys.argv[3:]:
        if arg.startswith("split="):
            split = [int(x) for x in arg[6:].split(",")]
    truth = {"pid": os.getpid(), "file": HERE, "shares": {"sixty": split[0], "thirty": split[1], "ten": split[2]}}
    with open(truth_path, "w") as f:
        json.dump(truth, f)
    fd = int(ready) if ready.isdigit() else os.open(ready, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"ready\n")
    os.close(fd)
    spent = {"sixty": 0.0, "thirty": 0.0, "ten": 0.0}
    cpu = {"sixty": 0.0, "thirty": 0.0, "ten": 0.0}
    last_write = time.time()
    truth["history"] = [[last_write, dict(spent), dict(cpu)]]
    while True:
        for name, fn, part in (("sixty", sixty, split[0] / 100.0), ("thirty", thirty, split[1] / 100.0),
                               ("ten", ten, split[2] / 100.0)):
            t0, c0 = time.time(), cpu_clock()
            fn(t0 + ROUND * part)
            spent[name] += time.time() - t0
            cpu[name] += cpu_clock() - c0
        if time.time() - last_write > 0.1:
            truth["spent"] = spent
            truth["cpu"] = cpu
            history = truth.setdefault("history", [])
            history.append([time.time(), dict(spent), dict(cpu)])
            del history[:-40]
            with open(truth_path + ".tmp", "w") as f:
                json.dump(truth, f)
            os.rename(truth_path + ".tmp", truth_path)
            last_write = time.time()


main()
