#!/usr/bin/env python3
"""`make bench`: how fast pyspy-sh attaches and walks, per CPython version.

For every installed interpreter (pyenv's and the system's python3):
  - attach + `bt --all` on a 10-thread target, whole process (spawn to exit,
    so exec and dynamic linking are included): minimum and median wall time
    and median CPU time over RUNS runs, paused (default) and --nonblocking,
    next to the same figures for spawning /bin/true (this machine's floor);
  - remote reads for `bt` of one thread 50 frames deep with the code cache
    warm (the second `bt` in one session; counted by the engine, PYSPY_STATS).
Prints one table.  Numbers are measurements to report, never assertions.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.path.join(ROOT, "tests", "bench", "bench_target.py")


def interpreters():
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = []
    for d in sorted(glob.glob(os.path.join(root, "versions", "*"))):
        exe = os.path.join(d, "bin", "python")
        if os.access(exe, os.X_OK):
            found.append((os.path.basename(d), exe))
    if os.access("/usr/bin/python3", os.X_OK):
        found.append(("system", "/usr/bin/python3"))
    key = lambda v: [int(x) if x.isdigit() else 0 for x in re.split(r"[.]", v[0])] if v[0] != "system" else [99]
    return sorted(found, key=key)


def start(python, threads, depth):
    fd, ready = tempfile.mkstemp(prefix="pyspy-bench-")
    os.close(fd)
    os.unlink(ready)
    proc = subprocess.Popen([python, TARGET, ready, str(threads), str(depth)])
    deadline = time.time() + 30
    while not os.path.exists(ready) or os.path.getsize(ready) == 0:
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("bench target did not start under %s" % python)
        time.sleep(0.02)
    os.unlink(ready)
    return proc


def wall_times(binary, pid, extra, runs):
    argv = [binary, "-p", str(pid)] + extra + ["-ex", "bt --all", "--batch"] if pid else [binary] + extra
    devnull = os.open(os.devnull, os.O_WRONLY)
    times, cpu = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        child = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, devnull, 1)])
        _, status, usage = os.wait4(child, 0)
        times.append((time.perf_counter() - t0) * 1000.0)
        cpu.append((usage.ru_utime + usage.ru_stime) * 1000.0)
        if status != 0:
            raise RuntimeError("%s exited with status %d" % (argv[0], status))
    os.close(devnull)
    times.sort()
    cpu.sort()
    return times[0], times[len(times) // 2], cpu[len(cpu) // 2]


def warm_reads(binary, pid):
    env = dict(os.environ, PYSPY_STATS="1")
    out = subprocess.run([binary, "-p", str(pid), "-ex", "bt", "-ex", "bt", "--batch"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, universal_newlines=True)
    stats = re.findall(r"stack_reads=(\d+)", out.stderr)
    return int(stats[-1]) if stats else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "pyspy-sh"))
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    print("whole-process cost of `pyspy-sh -p PID -ex 'bt --all' --batch` on a 10-thread target, 20 frames each,")
    print("spawn to exit, over %d runs: wall min / median ms, CPU (user+sys) median ms;" % args.runs)
    print("and remote reads for `bt` of one thread 50 frames deep with the code cache warm.")
    print("The machine's floor: spawning /bin/true the same way.")
    base = wall_times("/bin/true", None, [], args.runs)
    print("%-9s %-28s" % ("/bin/true", "%.2f / %.2f  cpu %.2f" % base))
    ver = wall_times(args.binary, None, ["--version"], args.runs)
    print("%-9s %-28s" % ("--version", "%.2f / %.2f  cpu %.2f" % ver))
    print("%-9s %-28s %-28s %s" % ("python", "paused", "nonblocking", "stack reads (50 frames)"))
    for name, python in interpreters():
        procs = []
        try:
            many = start(python, 10, 20)
            procs.append(many)
            deep = start(python, 1, 49)   # 49 calls + <module> = 50 frames
            procs.append(deep)
            paused = wall_times(args.binary, many.pid, [], args.runs)
            nonblock = wall_times(args.binary, many.pid, ["--nonblocking"], args.runs)
            reads = warm_reads(args.binary, deep.pid)
            print("%-9s %-28s %-28s %s" % (name, "%.2f / %.2f  cpu %.2f" % paused,
                                           "%.2f / %.2f  cpu %.2f" % nonblock, reads))
        except Exception as exc:  # report and go on with the next version
            print("%-9s error: %s" % (name, exc))
        finally:
            for p in procs:
                p.kill()
                p.wait()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
