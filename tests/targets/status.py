# -*- coding: utf-8 -*-
"""pyspy-sh end-to-end target for thread status and GIL reporting.

Usage: python status.py TRUTH_JSON READY

Threads: MainThread (sleeping), "spinner" (a pure-Python busy loop, always
runnable, always wanting the GIL) and "sleeper-1", "sleeper-2" (time.sleep).
Once every thread is in place the main thread writes TRUTH_JSON (idents,
kernel tids, names, roles, the spinner's function and line) and "ready\\n"
to READY (a file descriptor number or a path), then sleeps forever.

Python 2.7 - 3.13 compatible.
"""
import sys
import os
import time
import json
import threading
import linecache

if sys.version_info[0] >= 3:
    import _thread as thread_mod
else:
    import thread as thread_mod

BIG = 10 ** 6
_reg_lock = threading.Lock()
TIDS = {}


def gettid():
    if hasattr(threading, "get_native_id"):
        return threading.get_native_id()
    try:
        import ctypes
        import platform
        nr = {"x86_64": 186, "amd64": 186, "aarch64": 178,
              "i386": 224, "i686": 224}.get(platform.machine())
        if nr is None:
            return None
        tid = ctypes.CDLL(None, use_errno=True).syscall(nr)
        return tid if tid > 0 else None
    except Exception:
        return None


def register():
    tid = gettid()
    with _reg_lock:
        TIDS[thread_mod.get_ident()] = tid


def spin():
    register()
    n = 0
    while 1: n += 1  # SPIN


def sleep_forever():
    register()
    time.sleep(BIG)  # BLOCK


def main_sleep():
    while True:
        time.sleep(BIG)  # BLOCK


def line_of(marker):
    path = os.path.abspath(__file__)
    if path.endswith((".pyc", ".pyo")):
        path = path[:-1]
    for i, line in enumerate(open(path).read().splitlines()):
        if line.rstrip().endswith(marker) and "line_of" not in line:
            return i + 1
    raise RuntimeError("marker not found: " + marker)


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: status.py TRUTH_JSON READY(fd|path)\n")
        sys.exit(64)
    truth_path, ready = sys.argv[1], sys.argv[2]
    register()
    roles = {thread_mod.get_ident(): "main"}
    order = [thread_mod.get_ident()]
    for name, fn, role in (("spinner", spin, "spinner"),
                           ("sleeper-1", sleep_forever, "sleeper"),
                           ("sleeper-2", sleep_forever, "sleeper")):
        t = threading.Thread(target=fn, name=name)
        t.daemon = True
        t.start()
        roles[t.ident] = role
        order.append(t.ident)

    # Wait until every thread has registered and the sleepers are asleep.
    deadline = time.time() + 120
    while time.time() < deadline:
        frames = sys._current_frames()
        ok = set(TIDS) >= set(order)
        for ident in order:
            if roles[ident] == "sleeper":
                f = frames.get(ident)
                if f is None or "# BLOCK" not in linecache.getline(
                        f.f_code.co_filename, f.f_lineno):
                    ok = False
        del frames
        if ok:
            break
        time.sleep(0.05)

    threads = []
    for ident in order:
        t = threading._active.get(ident)
        threads.append({"order": len(threads), "thread_id": ident,
                        "os_tid": TIDS.get(ident), "name": t.name if t else None,
                        "role": roles[ident]})
    truth = {
        "pid": os.getpid(),
        "python": "%d.%d.%d" % tuple(sys.version_info[:3]),
        "expected_tasks": len(threads),
        "spin_function": "spin",
        "spin_file": spin.__code__.co_filename,
        "spin_line": line_of("# SPIN"),
        "threads": threads,
    }
    tmp = truth_path + ".tmp"
    f = open(tmp, "w")
    try:
        f.write(json.dumps(truth, indent=1, sort_keys=True))
    finally:
        f.close()
    os.rename(tmp, truth_path)
    if ready.isdigit():
        fd = int(ready)
    else:
        fd = os.open(ready, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.write(fd, b"ready\n")
    os.close(fd)
    main_sleep()


if __name__ == "__main__":
    main()
