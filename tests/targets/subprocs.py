"""pyspy-sh end-to-end target: a process tree (sample --subprocesses, ps, bt --subprocesses).

Usage: python subprocs.py TRUTH READY            (the parent)
       python subprocs.py --grand NAME DIR TOP    (the grandchild, under sh)

The parent starts: a multiprocessing Pool with the 'fork' start method whose
worker spins in spin_fork (a task), one with 'spawn' whose worker spins in
spin_spawn, a shell (sh -c 'python ... ; true', so sh stays between) whose
Python child spins in spin_grand (run by $SUBPROCS_GRAND, another Python, when
set), and a fork child spinning in spin_short. Each child writes
child-NAME.json {pid, ppid, function, python} into the working directory when
it spins. Once all four spin, the parent writes TRUTH ({pid, children}) and
"ready\\n" to READY, then waits for a file 'go' in the working directory: 0.1
s after it appears a fork child starts spinning in spin_late, and 0.15 s after
it spin_short's child exits. Every child ends when the parent is gone.
Python 3.6+.
"""
import json
import multiprocessing
import os
import subprocess
import sys
import time


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def announce(name, func):
    path = "child-%s.json" % name
    with open(path + ".tmp", "w") as f:
        json.dump({"pid": os.getpid(), "ppid": os.getppid(), "function": func,
                   "python": "%d.%d.%d" % sys.version_info[:3]}, f)
    os.rename(path + ".tmp", path)


def spin(top, until):
    n = 0
    last = time.time()
    while True:
        n += 1
        if n % 20000 == 0:
            now = time.time()
            if now - last > 0.02:
                last = now
                if not alive(top) or (until and now >= until):
                    return


def spin_fork(top):
    announce("fork", "spin_fork")
    spin(top, 0)


def spin_spawn(top):
    announce("spawn", "spin_spawn")
    spin(top, 0)


def spin_short(top, go_path):
    announce("short", "spin_short")
    while not os.path.exists(go_path) and alive(top):
        time.sleep(0.01)
    spin(top, time.time() + 0.15)
    os._exit(0)   # at once: no multiprocessing clean-up to wait for


def spin_late(top):
    announce("late", "spin_late")
    spin(top, 0)


def spin_grand(top):
    announce("grand", "spin_grand")
    spin(top, 0)


def wait_files(names):
    deadline = time.time() + 60
    while time.time() < deadline:
        if all(os.path.exists("child-%s.json" % n) for n in names):
            return
        time.sleep(0.01)
    raise SystemExit("children did not start")


def main():
    truth_path, ready = sys.argv[1], sys.argv[2]
    top = os.getpid()
    go_path = os.path.abspath("go")
    fork = multiprocessing.get_context("fork")
    spawn = multiprocessing.get_context("spawn")
    # two pools, one worker each, a task that spins for good in each (a
    # pool's workers are the parent's children, daemonic, like a server's)
    pools = [fork.Pool(1), spawn.Pool(1)]
    pools[0].apply_async(spin_fork, (top,))
    pools[1].apply_async(spin_spawn, (top,))
    short = fork.Process(target=spin_short, args=(top, go_path))
    short.daemon = True
    short.start()
    script = os.path.abspath(__file__)
    # the grandchild runs SUBPROCS_GRAND (another Python) when given: a tree
    # of several versions
    grand_python = os.environ.get("SUBPROCS_GRAND") or sys.executable
    shell = subprocess.Popen(["sh", "-c", '"$0" -B -E -s "$1" --grand grand . "$2"; true',
                              grand_python, script, str(top)])
    wait_files(["fork", "spawn", "short", "grand"])
    children = {}
    for n in ["fork", "spawn", "short", "grand"]:
        with open("child-%s.json" % n) as f:
            children[n] = json.load(f)
    children["grand"]["shell"] = shell.pid
    with open(truth_path + ".tmp", "w") as f:
        json.dump({"pid": top, "children": children}, f)
    os.rename(truth_path + ".tmp", truth_path)
    fd = int(ready)
    os.write(fd, b"ready\n")
    os.close(fd)
    while not os.path.exists(go_path):
        time.sleep(0.005)
    time.sleep(0.1)
    late = fork.Process(target=spin_late, args=(top,))
    late.daemon = True
    late.start()
    while True:
        time.sleep(1)


if __name__ == "__main__":
    if sys.argv[1] == "--grand":
        spin_grand(int(sys.argv[4]))
    else:
        main()
