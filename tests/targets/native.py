# -*- coding: utf-8 -*-
"""pyspy-sh end-to-end target for native stacks: Python -> C -> Python.

Usage: python native.py TRUTH_JSON READY [zlib]

READY is a file descriptor number (a pipe inherited from the test) or a
path; "ready\\n" is written to it once TRUTH_JSON is in place.

Threads, each blocked at a known point (all daemon; the test kills the process):
  MainThread   idle_forever -> time.sleep                      (a libc sleep call)
  lock-waiter  lock_waiter -> Lock.acquire                     (a futex wait)
  sorted-key   sort_caller -> sorted (C) -> blocking_key -> Lock.acquire
  qsort        qsort_caller -> ctypes -> libc qsort (C) -> py_compare -> Lock.acquire
  reduce       reduce_caller -> functools.reduce (C) -> blocking_add -> Lock.acquire
  gc           gc_caller -> gc.collect (C) -> a weakref callback -> Lock.acquire

Ground truth, as in stacks.py: a recorder thread polls sys._current_frames()
until every thread sits on a "# BLOCK" line and two polls agree, writes the
frames (innermost first) and ends.

With "gil" a thread spins in Python while the main thread sleeps in a ctypes
PyDLL call, which keeps the GIL: the spinning thread ends up waiting for the
GIL for good.  {"pid"} is written before the main thread takes the GIL.

With "late" the process waits (for TRUTH_JSON + ".go" to exist) before it
imports socket, so a library is mapped after pyspy-sh first looked, then
writes TRUTH_JSON + ".phase2" and blocks in a socket recv.

With "zlib" the process instead writes {"pid", "file", "caller"} and then
compresses a large buffer forever in compress_loop: nearly all its time is
inside zlib's C code.

Python 2.7 - 3.13 compatible.
"""
import sys
import os
import time
import json
import ctypes
import functools
import gc
import threading
import weakref
import linecache

PY3 = sys.version_info[0] >= 3
BIG = 10 ** 6

LOCK = threading.Lock()
LOCK.acquire()          # held forever by the main thread: every acquire blocks
ORDER = []
TIDS = {}
_reg = threading.Lock()


def gettid():
    if hasattr(threading, "get_native_id"):
        return threading.get_native_id()
    try:
        return ctypes.CDLL(None, use_errno=True).syscall(186)   # x86_64 gettid
    except Exception:
        return None


def register():
    with _reg:
        TIDS[threading.current_thread().ident] = gettid()


# ---------------------------------------------------------------- blockers

def idle_forever():
    while True:
        time.sleep(BIG)  # BLOCK


def lock_waiter():
    register()
    LOCK.acquire()  # BLOCK


def blocking_key(x):
    LOCK.acquire()  # BLOCK
    return x


def sort_caller():
    register()
    return sorted([3, 1, 2], key=blocking_key)


def py_compare(a, b):
    LOCK.acquire()  # BLOCK
    return 0


CMPFUNC = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))


def qsort_caller():
    register()
    libc = ctypes.CDLL("libc.so.6")
    arr = (ctypes.c_int * 3)(3, 1, 2)
    cmp = CMPFUNC(py_compare)
    libc.qsort(arr, 3, ctypes.sizeof(ctypes.c_int), cmp)


def blocking_add(a, b):
    LOCK.acquire()  # BLOCK
    return a + b


def reduce_caller():
    register()
    return functools.reduce(blocking_add, [1, 2, 3])


class Node(object):
    pass


def blocking_callback(ref):
    LOCK.acquire()  # BLOCK


def gc_caller():
    register()
    node = Node()
    node.cycle = node
    ref = weakref.ref(node, blocking_callback)
    del node
    gc.collect()
    return ref


# ---------------------------------------------------------------- recorder

def walk(frame):
    out = []
    while frame is not None:
        co = frame.f_code
        out.append({"function": co.co_name, "qualname": getattr(co, "co_qualname", co.co_name),
                    "file": co.co_filename, "line": frame.f_lineno})
        frame = frame.f_back
    return out


def blocked(frames):
    return frames and "# BLOCK" in linecache.getline(frames[0]["file"], frames[0]["line"])


def write_ready(truth_path, ready, truth):
    tmp = truth_path + ".tmp"
    with open(tmp, "w") as f:
        f.write(json.dumps(truth, indent=1, sort_keys=True))
    os.rename(tmp, truth_path)
    fd = int(ready) if ready.isdigit() else os.open(ready, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.write(fd, b"ready\n")
    os.close(fd)


def recorder(truth_path, ready, names):
    me = threading.current_thread().ident
    prev, errors = None, []
    deadline = time.time() + 120
    while True:
        snap = dict((k, walk(v)) for k, v in sys._current_frames().items() if k != me)
        ok = set(snap) == set(ORDER) and set(TIDS) >= set(ORDER) and all(blocked(s) for s in snap.values())
        if ok and snap == prev:
            break
        prev = snap if ok else None
        if time.time() > deadline:
            errors.append("threads never settled")
            break
        time.sleep(0.05)
    threads = [{"name": names[i], "thread_id": ident, "os_tid": TIDS.get(ident),
                "frames": snap.get(ident, [])} for i, ident in enumerate(ORDER)]
    write_ready(truth_path, ready, {"pid": os.getpid(), "version_info": list(sys.version_info[:3]),
                                    "executable": sys.executable, "expected_tasks": len(threads),
                                    "errors": errors, "threads": threads})


def start(name, target):
    t = threading.Thread(target=target, name=name)
    t.daemon = True
    t.start()
    ORDER.append(t.ident)
    return name


# ---------------------------------------------------------------- gil mode

def gil_spin():
    while True:
        pass


def hold_gil():
    ctypes.PyDLL("libc.so.6").sleep(BIG)   # PyDLL: the GIL stays held during the call


def gil_mode(truth_path, ready):
    t = threading.Thread(target=gil_spin, name="gil-waiter")
    t.daemon = True
    t.start()
    time.sleep(0.3)
    write_ready(truth_path, ready, {"pid": os.getpid(), "expected_tasks": 2})
    hold_gil()


# ---------------------------------------------------------------- late mode

def late_wait():
    import socket           # _socket is a shared library in most builds: mapped only now
    a, b = socket.socketpair()
    with open(PHASE2, "w") as f:
        f.write("waiting\n")
    a.recv(1)  # BLOCK


def late_mode(truth_path, ready):
    global PHASE2
    go, PHASE2 = truth_path + ".go", truth_path + ".phase2"
    write_ready(truth_path, ready, {"pid": os.getpid(), "go": go, "phase2": PHASE2})
    while not os.path.exists(go):
        time.sleep(0.02)
    late_wait()


# ---------------------------------------------------------------- zlib mode

def compress_loop(data):
    import zlib
    while True:
        zlib.compress(data, 9)


def zlib_mode(truth_path, ready):
    data = os.urandom(1 << 18) * 16
    write_ready(truth_path, ready, {"pid": os.getpid(), "file": os.path.abspath(__file__),
                                    "caller": "compress_loop"})
    compress_loop(data)


# ---------------------------------------------------------------- jit mode

def jit_hot(n):
    s = 0
    for i in range(n):
        s += i * 2 % 7
    return s


def jit_mode(truth_path, ready):
    """A hot loop with the JIT on where the build has one (PYTHON_JIT=1 is read
    at startup: exec again with it, same pid, same descriptors)."""
    jit = getattr(sys, "_jit", None)
    if jit is not None and jit.is_available() and os.environ.get("PYTHON_JIT") != "1":
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHON_JIT="1"))
    enabled = bool(jit is not None and jit.is_enabled())
    for _ in range(300):
        jit_hot(2000)
    write_ready(truth_path, ready, {"pid": os.getpid(), "jit": enabled})
    while True:
        jit_hot(100000)


# ---------------------------------------------------------------- collect mode

class Node(object):
    def __init__(self):
        self.ref = self


def collect_mode(truth_path, ready):
    """Most of the time in full collections over a large heap of cycles, with
    the GIL held all along (no callbacks): the collecting thread is this one."""
    keep = [Node() for _ in range(300000)]
    gc.collect()
    write_ready(truth_path, ready, {"pid": os.getpid(), "objects": len(keep)})
    while True:
        gc.collect()


def main():
    if len(sys.argv) not in (3, 4):
        sys.stderr.write("usage: native.py TRUTH_JSON READY(fd|path) [zlib|gil|late|jit|collect]\n")
        sys.exit(64)
    truth_path, ready = sys.argv[1], sys.argv[2]
    if sys.argv[3:] == ["zlib"]:
        zlib_mode(truth_path, ready)
        return
    if sys.argv[3:] == ["gil"]:
        gil_mode(truth_path, ready)
        return
    if sys.argv[3:] == ["late"]:
        late_mode(truth_path, ready)
        return
    if sys.argv[3:] == ["jit"]:
        jit_mode(truth_path, ready)
        return
    if sys.argv[3:] == ["collect"]:
        collect_mode(truth_path, ready)
        return
    register()
    ORDER.append(threading.current_thread().ident)
    names = ["MainThread"]
    for name, fn in (("lock-waiter", lock_waiter), ("sorted-key", sort_caller),
                     ("qsort", qsort_caller), ("reduce", reduce_caller), ("gc", gc_caller)):
        names.append(start(name, fn))
    rec = threading.Thread(target=recorder, args=(truth_path, ready, names), name="recorder")
    rec.daemon = True
    rec.start()
    idle_forever()


if __name__ == "__main__":
    main()
