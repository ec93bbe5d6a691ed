# -*- coding: utf-8 -*-
"""pyspy-sh end-to-end target: many threads, each blocked at a known point.

Usage: python stacks.py TRUTH_JSON READY

READY is either a file descriptor number (a pipe inherited from the test) or
a path (FIFO or regular file); "ready\\n" is written to it once TRUTH_JSON is
in place.

Threads (all daemon, all blocked forever; the test kills the process):
  MainThread          main() -> idle_forever() -> time.sleep
  sleeper             time.sleep
  lock-waiter         Lock.acquire
  event-waiter-*      Event.wait (renamed after start: the current name counts)
  queue-getter        Queue.get
  deep-recursion      f_01 .. f_50 (deep50.py) -> Lock.acquire
  method              Worker.run_blocking -> Outer.Inner.wait_here
  closure             closure_maker -> closure_maker.<locals>.inner
  generator           gen_consumer iterating gen_body, blocked in the body
  lambda              a lambda calling time.sleep
  <unicode name>      3.x: módulo_ñ_漢字.función_ñ -> Clase_ñ.método_ü; 2.7: a plain function
  (raw thread)        started with _thread/thread.start_new_thread: no threading name

Ground truth: a separate "recorder" thread polls sys._current_frames() until
every other thread's innermost frame sits on a blocking line (a line marked
"# BLOCK" here, or threading.Condition.wait's untimed "waiter.acquire()") and
the whole snapshot is identical across two consecutive polls; it then writes
every thread except itself (frames innermost first, cross-checked against
traceback.extract_stack) and ENDS, so the process is left with exactly the
recorded threads.  The test waits for /proc/PID/task to shrink to
"expected_tasks" before attaching.

Python 2.7 - 3.13 compatible.
"""
import sys
import os
import time
import json
import threading
import traceback
import linecache

PY3 = sys.version_info[0] >= 3
if PY3:
    import _thread as thread_mod
    import queue as queue_mod
else:
    import thread as thread_mod
    import Queue as queue_mod

import deep50

BIG = 10 ** 6
UNICODE_THREAD_NAME = u"\u00dcn\u00efc\u00f8d\u00e9-\u7ebf\u7a0b-\U0001F40D"  # Ünïcødé-线程-🐍
if not PY3:
    # 2.7's Thread.__init__ and the name setter call str(name): a non-ASCII
    # thread name can only be a byte string there, in practice UTF-8.
    UNICODE_THREAD_NAME = UNICODE_THREAD_NAME.encode("utf-8")
UNICODE_MODULE = u"m\u00f3dulo_\u00f1_\u6f22\u5b57"  # módulo_ñ_漢字

_reg_lock = threading.Lock()
TIDS = {}      # thread ident -> kernel tid
ORDER = []     # thread idents in creation order (main first)


def gettid():
    """Kernel tid of the calling thread."""
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
    """Called by every thread (from inside itself) before it blocks."""
    tid = gettid()
    with _reg_lock:
        TIDS[thread_mod.get_ident()] = tid


# ---------------------------------------------------------------- blockers

LOCK = threading.Lock()
LOCK.acquire()          # held forever by the main thread: every acquire blocks


def sleeping():
    register()
    time.sleep(BIG)  # BLOCK


def lock_waiter(lock):
    register()
    lock.acquire()  # BLOCK


def event_waiter(ev):
    register()
    ev.wait()


def queue_getter(q):
    register()
    q.get()


def deep_recursion(lock):
    register()
    deep50.f_01(lock)


class Outer(object):
    class Inner(object):
        def wait_here(self, lock):
            lock.acquire()  # BLOCK


class Worker(object):
    def __init__(self, lock):
        self.lock = lock

    def run_blocking(self):
        return Outer.Inner().wait_here(self.lock)


def method_caller(lock):
    register()
    Worker(lock).run_blocking()


def closure_maker(lock):
    register()
    depth = 3

    def inner():
        if depth:
            lock.acquire()  # BLOCK
    inner()


def gen_body(lock):
    while True:
        lock.acquire()  # BLOCK
        yield 1


def gen_consumer(lock):
    register()
    for _ in gen_body(lock):
        pass


blocking_lambda = lambda: time.sleep(BIG)  # BLOCK


def lambda_caller():
    register()
    blocking_lambda()


def unicode_named_thread(lock):
    register()
    if PY3:
        import importlib
        mod = importlib.import_module(UNICODE_MODULE)
        getattr(mod, u"funci\u00f3n_\u00f1")(lock)
    else:
        lock.acquire()  # BLOCK


def raw_thread(lock):
    register()
    lock.acquire()  # BLOCK


def idle_forever():
    while True:
        time.sleep(BIG)  # BLOCK


# ---------------------------------------------------------------- recorder

def is_blocking_line(filename, lineno):
    line = linecache.getline(filename, lineno)
    if "# BLOCK" in line:
        return True
    if line.strip() == "waiter.acquire()":
        # threading.Condition.wait: only the untimed wait blocks.
        prev = linecache.getline(filename, lineno - 1)
        return prev.strip() == "if timeout is None:"
    return False


def walk(frame):
    """Frames innermost first."""
    out = []
    f = frame
    while f is not None:
        co = f.f_code
        out.append({
            "function": co.co_name,
            "qualname": getattr(co, "co_qualname", co.co_name),
            "file": co.co_filename,
            "line": f.f_lineno,
        })
        f = f.f_back
    return out


def cross_check(frame, frames):
    """traceback.extract_stack must agree with our own walk."""
    tb = traceback.extract_stack(frame)
    got = [(e[0], e[1], e[2]) for e in tb]  # (file, line, name), outermost first
    want = [(x["file"], x["line"], x["function"]) for x in reversed(frames)]
    if got != want:
        return "traceback.extract_stack disagrees with the f_back walk: %r vs %r" % (got, want)
    return None


def thread_name(ident):
    t = threading._active.get(ident)
    if t is None:
        return None
    name = t.name
    if not PY3 and isinstance(name, bytes):
        name = name.decode("utf-8")
    return name


def recorder(truth_path, ready, expected):
    me = thread_mod.get_ident()
    prev = None
    deadline = time.time() + 120
    errors = []
    while True:
        frames = sys._current_frames()
        snap = {}
        for ident, fr in frames.items():
            if ident != me:
                snap[ident] = walk(fr)
        ok = (set(snap) == expected and set(TIDS) >= expected and
              all(s and is_blocking_line(s[0]["file"], s[0]["line"]) for s in snap.values()))
        if ok and snap == prev:
            break
        prev = snap if ok else None
        if time.time() > deadline:
            errors.append("threads never settled: %r" % (
                dict((k, v[:1]) for k, v in snap.items()),))
            break
        del frames
        time.sleep(0.05)
    threads = []
    for ident in ORDER:
        fr = frames.get(ident)
        fl = snap.get(ident, [])
        if fr is not None:
            e = cross_check(fr, fl)
            if e:
                errors.append(e)
        threads.append({
            "order": len(threads),
            "thread_id": ident,
            "os_tid": TIDS.get(ident),
            "name": thread_name(ident),
            "frames": fl,
        })
    del frames
    truth = {
        "pid": os.getpid(),
        "python": "%d.%d.%d" % tuple(sys.version_info[:3]),
        "version_info": list(sys.version_info[:3]),
        "executable": sys.executable,
        "expected_tasks": len(threads),
        "unicode_thread_name": (UNICODE_THREAD_NAME if PY3 else
                                UNICODE_THREAD_NAME.decode("utf-8")),
        "unicode_module": UNICODE_MODULE if PY3 else None,
        "errors": errors,
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
        os.write(fd, b"ready\n")
        os.close(fd)
    else:
        fd = os.open(ready, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.write(fd, b"ready\n")
        os.close(fd)
    # ...and end: the thread is gone before the test attaches.


def start(name, target, *args):
    t = threading.Thread(target=target, args=args, name=name)
    t.daemon = True
    t.start()
    ORDER.append(t.ident)
    return t


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: stacks.py TRUTH_JSON READY(fd|path)\n")
        sys.exit(64)
    truth_path, ready = sys.argv[1], sys.argv[2]

    register()
    ORDER.append(thread_mod.get_ident())

    ev = threading.Event()
    q = queue_mod.Queue()
    start("sleeper", sleeping)
    start("lock-waiter", lock_waiter, LOCK)
    t = start("event-waiter", event_waiter, ev)
    t.name = "event-waiter-renamed"
    start("queue-getter", queue_getter, q)
    start("deep-recursion", deep_recursion, LOCK)
    start("method", method_caller, LOCK)
    start("closure", closure_maker, LOCK)
    start("generator", gen_consumer, LOCK)
    start("lambda", lambda_caller)
    start(UNICODE_THREAD_NAME, unicode_named_thread, LOCK)
    ORDER.append(thread_mod.start_new_thread(raw_thread, (LOCK,)))

    rec = threading.Thread(target=recorder, args=(truth_path, ready, set(ORDER)),
                           name="recorder")
    rec.daemon = True
    rec.start()
    idle_forever()


if __name__ == "__main__":
    main()
