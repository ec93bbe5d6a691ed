"""A program with a subinterpreter (3.12+): its main interpreter has the main
thread and a worker; a second thread runs code in a subinterpreter that
blocks in sub_sleep().  The subinterpreter records its own stack (traceback,
from inside) and its thread's ids; the main interpreter then records its
threads with sys._current_frames() and writes "ready".

    python subinterp.py TRUTH_JSON WRITE_FD
"""
import json
import os
import sys
import threading
import time
import traceback

try:
    import _interpreters as interpreters          # 3.13+
except ImportError:
    import _xxsubinterpreters as interpreters     # 3.12

truth_path, wfd = sys.argv[1], int(sys.argv[2])
sub_truth = truth_path + ".sub"

SUB_CODE = r'''
import json, threading, time, traceback
def sub_sleep(path, iid):
    stack = traceback.extract_stack()
    frames = [{"function": f.name, "file": f.filename, "line": f.lineno} for f in reversed(stack)]
    frames[0]["line"] += 7      # the sleep below
    with open(path + ".tmp", "w") as out:
        json.dump({"interp_id": iid, "thread_id": threading.get_ident(),
                   "os_tid": threading.get_native_id(), "frames": frames}, out)
    __import__("os").rename(path + ".tmp", path)
    time.sleep(1000)  # BLOCK
sub_sleep(%r, %d)
'''


def main_worker():
    time.sleep(1000)  # BLOCK


def run_sub(iid):
    interpreters.run_string(iid, SUB_CODE % (sub_truth, int(iid)))


iid = interpreters.create()
threading.Thread(target=main_worker, name="main-worker", daemon=True).start()
threading.Thread(target=run_sub, args=(iid,), name="sub-runner", daemon=True).start()
for _ in range(3000):
    if os.path.exists(sub_truth):
        break
    time.sleep(0.01)
with open(sub_truth) as f:
    sub = json.load(f)
time.sleep(0.2)
me = threading.get_ident()
threads = []
for ident, frame in sys._current_frames().items():
    th = threading._active.get(ident)
    threads.append({"thread_id": ident, "name": th.name if th else None,
                    "function": frame.f_code.co_name if ident != me else "<module>"})
with open(truth_path, "w") as f:
    json.dump({"pid": os.getpid(), "main": threads, "sub": sub}, f)
os.write(wfd, b"ready")
time.sleep(1000)  # BLOCK
