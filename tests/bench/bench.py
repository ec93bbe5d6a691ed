#!/usr/bin/env python3
"""`make bench`: how fast pyspy-sh attaches and walks, per CPython version.

For every installed interpreter (pyenv's and the system's python3):
  - attach + `bt --all` on a 10-thread target, whole process (spawn to exit,
    so exec and dynamic linking are included): minimum and median wall time
    and median CPU time over RUNS runs, paused (default) and --nonblocking,
    next to the same figures for spawning /bin/true (this machine's floor);
  - remote reads for `bt` of one thread 50 frames deep with the code cache
    warm (the second `bt` in one session; counted by the engine, PYSPY_STATS).
  - sampling a busy loop 30 frames deep (1 and 4 threads) at rising rates:
    samples/s, CPU per sample (also as a multiple of one 64-byte remote read),
    target slowdown, peak RSS, torn and errors (the top rate: the median of
    three runs, all three printed), then a table of the profiling issue's
    goals, met or not; and a long run at 10 kHz for peak RSS;
  - native sampling (`sample --native`) next to `--blocking`, which also pauses
    the target every tick: samples/s, CPU per sample, target slowdown.
Prints one table per part.  Numbers are measurements to report, never assertions.

  - many threads: 1, 10, 30 and 100 busy threads 30 deep on 3.12, 3.13 and
    Debian's 3.14/3.15 at 1 kHz --idle: ticks/s, thread samples per tick,
    reads and CPU per tick (`--only threads`);
  - 3.15 side by side: CPython 3.15's own sampler (profiling.sampling, at
    1 MHz asked) and pyspy-sh at its maximum rate on the same target:
    samples/s and CPU per sample (`--only tachyon`).
  - asyncio (`--only tasks`): `tasks` on tests/targets/tasks.py with 10,000
    pending tasks (median of 5, the command alone, through pyspy.cmd), and
    `sample 2s --async --rate 1000` on tests/bench/async_server.py (1,000
    tasks): ticks/s against the 1,000 asked, late ticks, CPU per tick.
`--only churn` instead samples tests/targets/churn.py (threads created and
ended, recursion, string churn) nonblocking at the maximum rate for
--churn-seconds (default 60) on the oldest and the newest pyenv interpreter, and
reports ticks, samples, errors, torn samples and pyspy-sh's peak RSS (from
wait4's rusage of that one child).
"""
import argparse
import glob
import os
import re
import shutil
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
    # Debian's own 3.14 and 3.15 (tests/install-pythons.sh; make test installs them)
    prefix = os.environ.get("PYSPY_PYTHONS_PREFIX", "/opt/pyspy-sh-pythons")
    for v in ("3.14", "3.15"):
        exe = os.path.join(prefix, "usr", "bin", "python" + v)
        if os.access(exe, os.X_OK):
            found.append(("deb-" + v, exe))
    key = lambda v: ([99] if v[0] == "system" else
                     [int(x) for x in re.findall(r"\d+", v[0])])
    # PYSPY_BENCH_PYTHONS=3.12,deb-3.14: only the names starting with these
    pick = [p for p in os.environ.get("PYSPY_BENCH_PYTHONS", "").split(",") if p]
    if pick:
        found = [f for f in found if any(f[0].startswith(p) for p in pick)]
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


BUSY = os.path.join(ROOT, "tests", "bench", "busy_target.py")


def read_cost():
    """ns for one 64-byte process_vm_readv, from tests/bench/readcost.c."""
    exe = os.path.join(ROOT, "build", "tests", "readcost")
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    subprocess.check_call(["cc", "-O2", "-o", exe, os.path.join(ROOT, "tests", "bench", "readcost.c")])
    out = subprocess.check_output([exe, "300000"], universal_newlines=True)
    return float(out.split()[1])


def loop_rate(path, since):
    """Mean loops/s the busy target reported after byte offset `since`."""
    with open(path) as f:
        f.seek(since)
        vals = [float(x) for x in f.read().split()]
    return sum(vals) / len(vals) if vals else 0.0


SUMMARY = re.compile(r"for ([\d.]+)s .*?: (\d+) ticks \((\d+)/s\), (\d+) samples, (\d+) errors, (\d+) torn, (\d+) late"
                     r"(?:; mode [^;]*)?(?:; ([\d.]+) us CPU and ([\d.]+) reads per tick)?")


def sample_run(binary, pid, rate, seconds, extra=""):
    argv = [binary, "-p", str(pid), "-ex", "sample %ss --rate %d%s" % (seconds, rate, extra), "--batch"]
    r, w = os.pipe()
    child = os.posix_spawn(binary, argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, w, 1)])
    os.close(w)
    out = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        out += chunk
    os.close(r)
    _, status, usage = os.wait4(child, 0)
    text = out.decode(errors="replace")
    m = SUMMARY.search(text)
    if status != 0 or not m:
        raise RuntimeError("sample failed (status %d): %s" % (status, text.strip()[:200]))
    elapsed, samples = float(m.group(1)), int(m.group(4))
    cpu = (usage.ru_utime + usage.ru_stime) * 1e6
    failed = re.search(r"^\((\d+) samples kept only their Python frames", text, re.M)
    return {"per_s": samples / elapsed, "samples": samples, "ticks_s": int(m.group(2)) / elapsed, "cpu_us": cpu / max(samples, 1),
            "rss_mb": usage.ru_maxrss / 1024.0, "errors": int(m.group(5)), "torn": int(m.group(6)),
            "reads": float(m.group(9) or 0), "native_failed": int(failed.group(1)) if failed else 0}


def is_311_plus(name):
    if name == "system":
        out = subprocess.check_output(["/usr/bin/python3", "-c", "import sys; print(sys.version_info[:2])"],
                                      universal_newlines=True)
        name = out.strip("()\n").replace(", ", ".")
    m = re.search(r"(\d+)\.(\d+)", name)
    return bool(m) and (int(m.group(1)), int(m.group(2))) >= (3, 11)


def sampling(binary, seconds):
    cost = read_cost()
    print()
    print("sampling: busy loop 30 frames deep; `sample %gs --rate R`; one 64-byte process_vm_readv = %.0f ns here" % (seconds, cost))
    print("samples/s achieved (thread stacks; the 4-thread rows use --idle, so every thread is")
    print("sampled on every tick, as austin does), pyspy-sh CPU per sample (us, all of the process")
    print("incl. attach, from wait4), the same as a multiple of one read, reads per tick, target")
    print("slowdown (its own loop rate), peak RSS, torn and error samples")
    print("%-9s %3s %9s %10s %8s %6s %6s %8s %7s %6s %5s" % ("python", "thr", "rate", "samples/s", "us/smp", "xread",
                                                         "rd/tk", "slowdown", "rss MB", "torn", "err"))
    goals = []
    for name, python in interpreters():
        for threads in (1, 4):
            fd, path = tempfile.mkstemp(prefix="pyspy-busy-")
            os.close(fd)
            proc = subprocess.Popen([python, BUSY, path, str(threads), "30"])
            try:
                time.sleep(2.2)
                for rate in (100, 1000, 10000, 100000, 10000000):
                    # the loop rate drifts on a VM: measure the baseline right before each row
                    base_from = os.path.getsize(path)
                    time.sleep(1.6)
                    base = loop_rate(path, base_from)
                    since = os.path.getsize(path)
                    # wall mode: one stack per thread per tick, the sampler's own rate.
                    # The top rate is the median of three runs (this VM's speed moves
                    # by +-15% from one minute to the next); all three are printed
                    runs = [sample_run(binary, proc.pid, rate, seconds, " --mode wall")
                            for _ in range(3 if rate >= 10000000 else 1)]
                    r = sorted(runs, key=lambda x: x["per_s"])[len(runs) // 2]
                    during = loop_rate(path, since)
                    slow = 100.0 * (1 - during / base) if base else 0.0
                    print("%-9s %3d %9s %10.0f %8.1f %6.1f %6.1f %7.1f%% %7.1f %6d %5d%s" % (
                        name, threads, "max" if rate >= 10000000 else rate, r["per_s"], r["cpu_us"],
                        r["cpu_us"] * 1000.0 / cost, r["reads"], slow, r["rss_mb"], r["torn"], r["errors"],
                        "  (median of %s)" % ", ".join("%.0f" % x["per_s"] for x in runs) if len(runs) > 1 else ""))
                    sys.stdout.flush()
                    goals.extend(row_goals(name, threads, rate, r, slow, cost))
            except Exception as exc:
                print("%-9s %3d error: %s" % (name, threads, exc))
            finally:
                proc.kill()
                proc.wait()
                os.unlink(path)
    print_goals(goals)


def row_goals(name, threads, rate, r, slow, cost):
    """The issue's goals that this row measures: (what, measured, goal text, met)."""
    out = []
    new = is_311_plus(name)
    if rate >= 10000000 and threads == 1:
        need = 250000 if new else 40000   # issue 16: 250k on 3.12 and 3.14
        out.append(("%s max samples/s, 1 thread" % name, "%.0f" % r["per_s"], ">= %d" % need, r["per_s"] >= need))
        if new:
            x = r["cpu_us"] * 1000.0 / cost
            out.append(("%s CPU/sample in reads" % name, "%.1f x" % x, "<= 4 x", x <= 4))
        out.append(("%s slowdown at max" % name, "%.1f%%" % slow, "<= 5%", slow <= 5))
    if rate >= 10000000 and threads == 4 and new:
        out.append(("%s max thread-samples/s, 4 threads" % name, "%.0f" % r["per_s"], ">= 250000",
                    r["per_s"] >= 250000))
    if rate == 100 and threads == 1:
        out.append(("%s slowdown at 100 Hz" % name, "%.1f%%" % slow, "<= 1%", slow <= 1))
    if rate == 10000:
        torn = 100.0 * r["torn"] / max(1, r["samples"] + r["torn"])
        out.append(("%s torn at 10 kHz, %d thr" % (name, threads), "%d (%.2f%%)" % (r["torn"], torn), "< 1%",
                    torn < 1))
    return out


def print_goals(goals):
    print()
    print("goals from the profiling issue (measured on this machine; slowdown is noisy on a 2-core VM;")
    print("the 200k and 4-thread goals are for 3.11+, where a stack is one read; older versions read each frame):")
    for what, got, goal, met in goals:
        print("  %-44s %14s  goal %-10s %s" % (what, got, goal, "met" if met else "NOT met"))


def long_run(binary, seconds):
    """The RSS goal: a long session at 10 kHz on the 4-thread target (newest interpreter)."""
    name, python = interpreters()[-1]
    fd, path = tempfile.mkstemp(prefix="pyspy-busy-")
    os.close(fd)
    proc = subprocess.Popen([python, BUSY, path, "4", "30"])
    try:
        time.sleep(2.2)
        r = sample_run(binary, proc.pid, 10000, seconds, " --idle")
        print()
        print("long run: %s, 4 threads, %gs at 10 kHz --idle: %.0f samples/s, peak RSS %.1f MB (goal < 64 MiB: %s), "
              "%d torn, %d errors" % (name, seconds, r["per_s"], r["rss_mb"], "met" if r["rss_mb"] < 64 else "NOT met",
                                       r["torn"], r["errors"]))
    finally:
        proc.kill()
        proc.wait()
        os.unlink(path)


def native_sampling(binary, seconds):
    """`sample --native` next to `sample --blocking` (both pause the target each tick)."""
    print()
    print("native sampling: busy loop 30 frames deep, 1 thread; `sample %gs --rate R --native` against" % seconds)
    print("`--blocking` (Python frames only, also pausing each tick): samples/s achieved, pyspy-sh CPU per")
    print("sample (us, whole process incl. attach and symbol loading), target slowdown, peak RSS, and")
    print("samples whose native merge failed (mfail: kept Python-only, never guessed)")
    print("%-9s %-9s %7s %10s %8s %8s %7s %6s" % ("python", "mode", "rate", "samples/s", "us/smp", "slowdown",
                                                 "rss MB", "mfail"))
    for name, python in interpreters():
        fd, path = tempfile.mkstemp(prefix="pyspy-busy-")
        os.close(fd)
        proc = subprocess.Popen([python, BUSY, path, "1", "30"])
        try:
            time.sleep(2.2)
            base_from = os.path.getsize(path)
            time.sleep(2.1)
            base = loop_rate(path, base_from)
            for rate in (100, 1000, 10000000):
                for mode, flags in (("blocking", " --blocking"), ("native", " --native")):
                    since = os.path.getsize(path)
                    r = sample_run(binary, proc.pid, rate, seconds, flags)
                    during = loop_rate(path, since)
                    slow = 100.0 * (1 - during / base) if base else 0.0
                    print("%-9s %-9s %7s %10.0f %8.1f %7.1f%% %7.1f %6d" % (
                        name, mode, "max" if rate >= 10000000 else rate, r["per_s"], r["cpu_us"], slow,
                        r["rss_mb"], r["native_failed"]))
                    sys.stdout.flush()
        except Exception as exc:
            print("%-9s error: %s" % (name, exc))
        finally:
            proc.kill()
            proc.wait()
            os.unlink(path)


CHURN = os.path.join(ROOT, "tests", "targets", "churn.py")
CHURN_SUMMARY = re.compile(r"for ([\d.]+)s at \S+ Hz: (\d+) ticks .*?, (\d+) samples, (\d+) errors, (\d+) torn, (\d+) late")


def churn(binary, seconds):
    found = interpreters()
    pyenv = [f for f in found if f[0] != "system"] or found
    picks = [pyenv[0], pyenv[-1]] if len(pyenv) > 1 else pyenv
    cmd = "sample %gs --rate 10000000 --idle" % seconds
    print("churn: `pyspy-sh -p PID -ex '%s' --batch` on tests/targets/churn.py" % cmd)
    print("%-9s %8s %9s %10s %7s %7s %9s %s" % ("python", "seconds", "ticks", "samples", "errors", "torn", "RSS MiB", "exit"))
    for name, python in picks:
        fd, ready = tempfile.mkstemp(prefix="pyspy-bench-")
        os.close(fd)
        os.unlink(ready)
        truth = ready + ".json"
        proc = subprocess.Popen([python, CHURN, truth, ready])
        try:
            deadline = time.time() + 30
            while not os.path.exists(ready) and time.time() < deadline:
                time.sleep(0.02)
            out = tempfile.TemporaryFile()
            argv = [binary, "-nx", "-p", str(proc.pid), "-ex", cmd, "--batch"]
            pid = os.posix_spawn(binary, argv, os.environ, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0), (os.POSIX_SPAWN_DUP2, out.fileno(), 1)])
            _, status, ru = os.wait4(pid, 0)
            out.seek(0)
            m = CHURN_SUMMARY.search(out.read().decode(errors="replace"))
            fields = m.groups() if m else ("?",) * 6
            print("%-9s %8s %9s %10s %7s %7s %9.1f %d" % ((name,) + fields[:5] + (ru.ru_maxrss / 1024.0,
                                                                                   os.waitstatus_to_exitcode(status))))
        finally:
            proc.kill()
            proc.wait()
            for f in (ready, truth):
                if os.path.exists(f):
                    os.unlink(f)
        sys.stdout.flush()




def spawn_measured(argv, cwd=None):
    """Run argv to its end: (exit status, stdout text, CPU seconds, peak RSS MB) from wait4."""
    r, w = os.pipe()
    acts = [(os.POSIX_SPAWN_DUP2, w, 1), (os.POSIX_SPAWN_DUP2, w, 2)]
    env = dict(os.environ)
    if cwd:
        old = os.getcwd()
        os.chdir(cwd)
    try:
        child = os.posix_spawn(argv[0], argv, env, file_actions=acts)
    finally:
        if cwd:
            os.chdir(old)
    os.close(w)
    out = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        out += chunk
    os.close(r)
    _, status, usage = os.wait4(child, 0)
    return status, out.decode(errors="replace"), usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def many_threads(binary, seconds):
    """The many-threads issue's table: N busy threads 30 deep, --idle at 1 kHz."""
    print()
    print("many threads: N threads spinning 30 frames deep; `sample %gs --rate 1000 --idle` (every thread" % seconds)
    print("on every tick); ticks/s achieved, thread samples as a share of ticks x (N + the main thread),")
    print("remote reads")
    print("and pyspy-sh CPU (wait4, attach included) per tick, peak RSS")
    print("%-9s %4s %8s %9s %8s %9s %7s" % ("python", "thr", "ticks/s", "smp/tk*N", "rd/tk", "us/tick", "rss MB"))
    for name, python in interpreters():
        if not (name.startswith("3.12") or name.startswith("deb-") or name.startswith("3.13")):
            continue
        for n in (1, 10, 30, 100):
            fd, path = tempfile.mkstemp(prefix="pyspy-busy-")
            os.close(fd)
            proc = subprocess.Popen([python, BUSY, path, str(n), "30"])
            try:
                deadline = time.time() + 60
                while os.path.getsize(path) == 0 and time.time() < deadline:   # every thread started
                    time.sleep(0.2)
                time.sleep(1.0)
                status, text, cpu, rss = spawn_measured(
                    [binary, "-p", str(proc.pid), "-ex", "sample %gs --rate 1000 --idle" % seconds, "--batch"])
                m = SUMMARY.search(text)
                if status != 0 or not m:
                    raise RuntimeError("sample failed (status %d): %s" % (status, text.strip()[:200]))
                ticks, samples = int(m.group(2)), int(m.group(4))
                print("%-9s %4d %8.0f %8.1f%% %8.1f %9.1f %7.1f" % (
                    name, n, ticks / float(m.group(1)), 100.0 * samples / max(ticks * (n + 1), 1),
                    float(m.group(9) or 0), cpu * 1e6 / max(ticks, 1), rss))
            except Exception as exc:
                print("%-9s %4d error: %s" % (name, n, exc))
            finally:
                proc.kill()
                proc.wait()
                os.unlink(path)
            sys.stdout.flush()
    py = [p for n, p in interpreters() if n.startswith("3.12")]
    if py:
        flat_memory(binary, py[0])


def flat_memory(binary, python, threads=100, short=10.0, long=60.0):
    """Peak RSS of `sample --idle` over `threads` busy threads for `short` and
    for `long` seconds: memory that grows with the run shows as a difference."""
    fd, path = tempfile.mkstemp(prefix="pyspy-busy-")
    os.close(fd)
    proc = subprocess.Popen([python, BUSY, path, str(threads), "30"])
    try:
        deadline = time.time() + 60
        while os.path.getsize(path) == 0 and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)
        rss = []
        for secs in (short, long):
            status, text, cpu, peak = spawn_measured(
                [binary, "-p", str(proc.pid), "-ex", "sample %gs --rate 1000 --idle" % secs, "--batch"])
            m = SUMMARY.search(text)
            if status != 0 or not m:
                raise RuntimeError("sample failed (status %d): %s" % (status, text.strip()[:200]))
            rss.append((secs, int(m.group(2)), peak))
        print("flat memory, %d threads at 1 kHz --idle: %s" % (threads, "; ".join(
            "%gs: %d ticks, peak RSS %.1f MB" % r for r in rss)))
    except Exception as exc:
        print("flat memory: error: %s" % exc)
    finally:
        proc.kill()
        proc.wait()
        os.unlink(path)
    sys.stdout.flush()


def tachyon(binary, seconds):
    """3.15 side by side: CPython's own sampler and pyspy-sh, each as fast as it goes."""
    py = [p for n, p in interpreters() if n == "deb-3.15"]
    print()
    if not py:
        print("3.15 side by side: skipped, Debian's python3.15 is not installed (tests/install-pythons.sh)")
        return
    python = py[0]
    print("3.15 side by side: one thread 30 deep; `python3.15 -m profiling.sampling attach -r 1000khz -d %g"
          " --collapsed` (its default mode, wall) against `sample %gs --rate 10000000 --mode wall`; samples/s and"
          " CPU (wait4) per sample" % (seconds, seconds))
    print("%-28s %10s %8s" % ("sampler", "samples/s", "us/smp"))
    fd, path = tempfile.mkstemp(prefix="pyspy-busy-")
    os.close(fd)
    proc = subprocess.Popen([python, BUSY, path, "1", "30"])
    tmp = tempfile.mkdtemp(prefix="pyspy-tachyon-")
    try:
        time.sleep(2.0)
        out = os.path.join(tmp, "collapsed.txt")
        t0 = time.time()
        status, text, cpu, _ = spawn_measured([python, "-m", "profiling.sampling", "attach", "-r", "1000khz",
                                              "-d", "%g" % seconds, "--collapsed", "-o", out, str(proc.pid)])
        wall = time.time() - t0
        total = 0
        if os.path.exists(out):
            with open(out) as f:
                for line in f:
                    parts = line.rsplit(" ", 1)
                    if len(parts) == 2 and parts[1].strip().isdigit():
                        total += int(parts[1])
        if status != 0 or not total:
            print("%-28s error (status %d): %s" % ("profiling.sampling (3.15)", status, text.strip()[-200:]))
        else:
            print("%-28s %10.0f %8.1f" % ("profiling.sampling (3.15)", total / seconds, cpu * 1e6 / total))
        status, text, cpu, _ = spawn_measured([binary, "-p", str(proc.pid), "-ex",
                                              "sample %gs --rate 10000000 --mode wall" % seconds, "--batch"])
        m = SUMMARY.search(text)
        if status != 0 or not m:
            print("%-28s error (status %d): %s" % ("pyspy-sh", status, text.strip()[:200]))
        else:
            samples = int(m.group(4))
            print("%-28s %10.0f %8.1f" % ("pyspy-sh", samples / float(m.group(1)), cpu * 1e6 / max(samples, 1)))
        print("(profiling.sampling's wall time including its start-up: %.1fs)" % wall)
    finally:
        proc.kill()
        proc.wait()
        os.unlink(path)
        subprocess.call(["rm", "-rf", tmp])


CORE_TARGET = r"""
import sys, threading, time
blob = bytearray(200 * 1024 * 1024)
for i in range(0, len(blob), 4096):
    blob[i] = 1
def deep(n):
    if n == 0:
        time.sleep(1000)
    deep(n - 1)
for _ in range(9):
    threading.Thread(target=deep, args=(20,), daemon=True).start()
sys.stdout.write("ready\n")
sys.stdout.flush()
deep(20)
"""


def core_bench(binary, runs=10):
    """`pyspy-sh --core CORE -ex 'bt --all' --batch` on a core of about 200 MB
    (gcore's, of a 10-thread 3.x target holding a 200 MB bytearray)."""
    print()
    gcore = shutil.which("gcore")
    python = next((p for n, p in interpreters() if not n.startswith("2.")), None)
    if not gcore or not python:
        print("core: skipped (%s)" % ("no gcore (gdb)" if not gcore else "no Python 3"))
        return
    tmp = tempfile.mkdtemp(prefix="pyspy-bench-core-")
    proc = subprocess.Popen([python, "-c", CORE_TARGET], stdout=subprocess.PIPE,
                            env=dict(os.environ, MALLOC_ARENA_MAX="1"))
    try:
        proc.stdout.readline()
        prefix = os.path.join(tmp, "core")
        subprocess.check_call([gcore, "-o", prefix, str(proc.pid)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        path = "%s.%d" % (prefix, proc.pid)
        size = os.path.getsize(path) / 1e6
        wall = wall_times(binary, None, ["--core", path, "-ex", "bt --all", "--batch"], runs)
        print("core: `--core CORE -ex 'bt --all' --batch`, %.0f MB core of %s, 10 threads 21 frames deep," % (size, python))
        print("      spawn to exit over %d runs: wall min / median %.2f / %.2f ms, cpu %.2f ms  (goal: under 1 s)"
              % (runs, wall[0], wall[1], wall[2]))
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def tasks_bench(binary):
    """The asyncio issue's numbers: `tasks` on 10,000 tasks, `sample --async` at 1 kHz."""
    targets = os.path.join(ROOT, "tests", "targets", "tasks.py")
    server = os.path.join(ROOT, "tests", "bench", "async_server.py")
    print("asyncio: `tasks` on 10,000 pending tasks (ms, median of 5; goal < 100) and")
    print("`sample 2s --async --rate 1000` on a 1,000-task server (goal: keeps up)")
    print("%-9s %-12s %-10s %-8s %s" % ("python", "tasks ms", "ticks/s", "late", "CPU us/tick"))
    for name, python in interpreters():
        m = re.search(r"(\d+)\.(\d+)", name)
        if m and (int(m.group(1)), int(m.group(2))) < (3, 8):
            continue
        procs = []
        try:
            tmp = tempfile.mkdtemp(prefix="pyspy-bench-tasks-")
            r, w = os.pipe()
            t = subprocess.Popen([python, "-B", targets, os.path.join(tmp, "t.json"), str(w), "10000"],
                                 pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(t)
            os.close(w)
            os.read(r, 16)
            os.close(r)
            lua = ("lua local ms = {} for i = 1, 5 do local t0 = pyspy.now(); pyspy.cmd('tasks'); "
                   "ms[#ms + 1] = (pyspy.now() - t0) * 1000 end table.sort(ms) print(string.format('%.1f', ms[3]))")
            out = subprocess.run([binary, "-p", str(t.pid), "-ex", lua, "--batch"], stdout=subprocess.PIPE,
                                 universal_newlines=True, timeout=120).stdout.strip()
            srv = subprocess.Popen([python, "-B", server, "1000"], stdout=subprocess.PIPE)
            procs.append(srv)
            srv.stdout.readline()
            res = subprocess.run([binary, "-p", str(srv.pid), "-ex", "sample 2s --async --rate 1000", "--batch"],
                                 stdout=subprocess.PIPE, universal_newlines=True, timeout=120).stdout
            sm = re.search(r"(\d+) ticks \(([\d.]+)/s\).* (\d+) late.*; ([\d.]+) us CPU", res)
            print("%-9s %-12s %-10s %-8s %s" % (name, out, sm.group(2) if sm else "?", sm.group(3) if sm else "?",
                                                sm.group(4) if sm else res.strip()[:80]))
        except Exception as exc:  # report and go on with the next version
            print("%-9s error: %s" % (name, exc))
        finally:
            for p in procs:
                p.kill()
                p.wait()
        sys.stdout.flush()


TREE = os.path.join(ROOT, "tests", "bench", "tree_target.py")


def subprocesses_bench(binary, seconds):
    """`sample --subprocesses`: four processes (a parent and three forked
    children, each one thread 30 frames deep) at 1 kHz in wall mode, against
    one process alone: ticks achieved, and pyspy-sh's CPU per process-sample."""
    print()
    print("subprocesses: a parent and 3 forked children, each spinning 30 frames deep; `sample %gs --rate 1000 --mode wall`"
          % seconds)
    print("%-9s %-26s %8s %10s %9s %10s %6s %5s" % ("python", "run", "ticks/s", "achieved", "samples/s", "us/sample",
                                                  "torn", "err"))
    goals = []
    for name, python in interpreters():
        if name.startswith("2."):
            continue
        fd, ready = tempfile.mkstemp(prefix="pyspy-tree-")
        os.close(fd)
        os.unlink(ready)
        proc = subprocess.Popen([python, TREE, ready, "3", "30"], start_new_session=True)
        try:
            deadline = time.time() + 30
            while not os.path.exists(ready):
                if time.time() > deadline:
                    raise RuntimeError("tree target did not start")
                time.sleep(0.02)
            rows = {}
            for label, extra in (("1 process", " --mode wall"), ("4 processes --subprocesses", " --mode wall --subprocesses")):
                r = sample_run(binary, proc.pid, 1000, seconds, extra)
                rows[label] = r
                achieved = r["ticks_s"] / 1000.0 * 100.0
                print("%-9s %-26s %8.0f %9.1f%% %9.0f %10.1f %6d %5d" % (name, label, r["ticks_s"], achieved, r["per_s"],
                                                                       r["cpu_us"], r["torn"], r["errors"]))
                sys.stdout.flush()
            four, one = rows["4 processes --subprocesses"], rows["1 process"]
            achieved = four["ticks_s"] / 10.0
            goals.append(("%s 4 processes at 1 kHz: ticks achieved" % name, "%.1f%%" % achieved, ">= 95%", achieved >= 95))
            ratio = four["cpu_us"] / one["cpu_us"] if one["cpu_us"] else 0
            goals.append(("%s CPU per process-sample vs one process" % name, "%.2f x" % ratio, "about 1 x",
                          ratio <= 1.5))
        except Exception as exc:
            print("%-9s error: %s" % (name, exc))
        finally:
            try:
                os.killpg(proc.pid, 9)
            except OSError:
                pass
            proc.wait()
    print()
    print("goals from the process-tree issue (2-core VM: ticks and CPU are noisy under load):")
    for what, got, goal, met in goals:
        print("  %-52s %10s  goal %-10s %s" % (what, got, goal, "met" if met else "NOT met"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "pyspy-sh"))
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--sample-seconds", type=float, default=2.0)
    ap.add_argument("--long-seconds", type=float, default=60.0, help="the 10 kHz RSS run (0: skip)")
    ap.add_argument("--churn-seconds", type=float, default=60.0)
    ap.add_argument("--only", choices=("attach", "sampling", "long", "native", "churn", "threads", "tachyon", "core", "tasks",
                                         "subprocesses"),
                    help="run one part")
    args = ap.parse_args()
    if args.only == "threads":
        return many_threads(args.binary, 3.0)
    if args.only == "tasks":
        return tasks_bench(args.binary)
    if args.only == "subprocesses":
        return subprocesses_bench(args.binary, args.sample_seconds)
    if args.only == "tachyon":
        return tachyon(args.binary, 3.0)
    if args.only == "core":
        return core_bench(args.binary)
    if args.only == "churn":
        return churn(args.binary, args.churn_seconds)
    if args.only == "sampling":
        return sampling(args.binary, args.sample_seconds)
    if args.only == "long":
        return long_run(args.binary, args.long_seconds)
    if args.only == "native":
        return native_sampling(args.binary, args.sample_seconds)
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
    if args.only != "attach":
        sampling(args.binary, args.sample_seconds)
        if args.long_seconds > 0:
            long_run(args.binary, args.long_seconds)
        native_sampling(args.binary, args.sample_seconds)
        many_threads(args.binary, 3.0)
        tachyon(args.binary, 3.0)
        core_bench(args.binary)
        tasks_bench(args.binary)
        subprocesses_bench(args.binary, args.sample_seconds)


if __name__ == "__main__":
    main()
