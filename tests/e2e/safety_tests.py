"""Safety contracts through the real binary (imported by run.py): pyspy-sh
never writes to a target, never leaves it stopped, and survives targets that
churn, exec or belong to someone else.

  readonly         bt, locals, print, threads, sample (nonblocking and
                   --blocking), stop/continue and, when built in, bt --native,
                   under strace: no process_vm_writev, no PTRACE_POKE*, no
                   PTRACE_SET*REGS, /proc/PID/mem opened read-only and never
                   written.  The trace is shown to be real (it saw the reads
                   and the seize); a second run injects ENOSYS into
                   process_vm_readv so the /proc/PID/mem fallback is traced too.
  kill9_*          pyspy-sh killed with SIGKILL while it holds the target
                   (a --blocking sample at a high rate, `stop`, a native
                   unwind): every task of the target runs again, nobody traces
                   it, and its counter (counter.py) keeps moving.
  exec_mid_sample  the target exec's /bin/sleep during `sample`: a clear
                   message, the samples are kept and `save` writes them, a
                   later `bt` says the program changed.
  exec_mid_bt      bt after bt while the target exec's: each one is complete
                   or fails with the exec message; nothing else.
  permission       as a user made for the test, against a root-owned target:
                   exit 2 and a message that says how to fix it.
  churn            a target that creates and ends threads, recurses and
                   unwinds, allocates and frees strings, sampled nonblocking
                   at the maximum rate: no crash, torn samples counted, peak
                   RSS bounded (the figures are printed); the summary, folded,
                   speedscope and SVG totals agree, and every stack is rooted at
                   <module> or a thread's bootstrap.
"""
import json
import os
import pwd
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import time

import harness
from harness import Fail, Skip

COUNTER = os.path.join(harness.TARGETS, "counter.py")
EXECS = os.path.join(harness.TARGETS, "execs.py")
CHURN = os.path.join(harness.TARGETS, "churn.py")
CHURN_ROOTS = ("<module>", "Thread._bootstrap", "_bootstrap", "__bootstrap")   # 2.7: co_name, name-mangled
SUMMARY = re.compile(r"^sampled pid \d+ for ([\d.]+)s at \S+ Hz: (\d+) ticks .*?, (\d+) samples, (\d+) errors, "
                     r"(\d+) torn, (\d+) late", re.M)
CHURN_SECONDS = float(os.environ.get("PYSPY_CHURN_SECONDS", "6"))
TEST_USER = "pyspy-sh-test"


def has_native(spy):
    r = spy.run(["-nx", "-ex", "help bt", "--batch"])
    return "--native" in r.out


class Tmp(object):
    """A temporary directory and the targets started in it, all cleaned up."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pyspy-e2e-")
        self.targets = []

    def start(self, interp, script, args):
        t = harness.Target(interp, script, args, self.dir)
        self.targets.append(t)
        t.wait_ready()
        return t

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for t in self.targets:
            t.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


# ------------------------------------------------------------------ read-only

WRITE_CALLS = ("write", "pwrite64", "pwritev", "pwritev2", "writev")
TRACED = "process_vm_writev,process_vm_readv,ptrace,open,openat,close," + ",".join(WRITE_CALLS)
LINE = re.compile(r"^(?:\[pid\s+\d+\]\s+|\d+\s+)?(\w+)\((.*)\)\s+=\s+(-?\d+|\?)")


def strace_run(spy, tmp, pid, commands, inject=False, nonblocking=False):
    log = os.path.join(tmp, "strace.%d.log" % len(os.listdir(tmp)))
    argv = ["strace", "-f", "-qq", "-s", "64", "-o", log, "-e", "trace=" + TRACED]
    if inject:
        argv += ["-e", "inject=process_vm_readv:error=ENOSYS"]
    argv += [spy.binary, "-nx", "-p", str(pid)] + (["--nonblocking"] if nonblocking else [])
    for c in commands:
        argv += ["-ex", c]
    argv.append("--batch")
    env = dict(os.environ)
    # LeakSanitizer stops the process with ptrace to scan it; under strace it cannot
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS", ""), "detect_leaks=0"]))
    cp = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        timeout=harness.RUN_TIMEOUT, env=env)
    r = harness.Run(argv, cp.returncode, cp.stdout, cp.stderr)
    harness.sane(r)
    if r.rc != 0:
        raise Fail("under strace: %s" % r.describe())
    with open(log, errors="replace") as f:
        return r, f.read().splitlines()


def audit(lines, pid):
    """(problems, counts of what the trace saw)."""
    probs, seen, mem_fds = [], {"readv": 0, "seize": 0, "interrupt": 0, "memopen": 0}, set()
    mem = '"/proc/%d/mem"' % pid
    for line in lines:
        m = LINE.match(line)
        if not m:
            continue
        call, args, ret = m.groups()
        if call == "process_vm_writev":
            probs.append("process_vm_writev: %s" % line)
        elif call == "process_vm_readv":
            seen["readv"] += 1
        elif call == "ptrace":
            req = args.split(",")[0]
            if req.startswith("PTRACE_POKE") or re.match(r"PTRACE_SET\w*REGS", req) or req == "PTRACE_SETREGSET":
                probs.append("%s: %s" % (req, line))
            seen["seize"] += req == "PTRACE_SEIZE"
            seen["interrupt"] += req == "PTRACE_INTERRUPT"
        elif call in ("open", "openat") and mem in args:
            seen["memopen"] += 1
            if "O_WRONLY" in args or "O_RDWR" in args:
                probs.append("opened for writing: %s" % line)
            if ret.isdigit():
                mem_fds.add(int(ret))
        elif call == "close" and args.strip().isdigit():
            mem_fds.discard(int(args.strip()))
        elif call in WRITE_CALLS and args.split(",")[0].strip().isdigit() and int(args.split(",")[0]) in mem_fds:
            probs.append("write to /proc/%d/mem: %s" % (pid, line))
    return probs, seen


def t_readonly(ctx):
    interp, spy = ctx
    if not shutil.which("strace"):
        raise Skip("strace is not installed (apt-get install strace)")
    with Tmp() as tmp:
        target = tmp.start(interp, COUNTER, ["1000"])
        cmds = ["threads", "bt --all", "bt --all --locals", "locals", "print counter", "print nested",
                "sample 400ms", "sample 400ms --blocking", "top -n 3", "stop", "bt", "locals", "continue"]
        native = has_native(spy)
        if native:
            cmds += ["bt --native", "bt --all --native"]
        logdir = os.path.join(tmp.dir, "traces")
        os.mkdir(logdir)
        probs, totals = [], {}
        runs = [(cmds, False, False), (["bt --all", "sample 300ms"], False, True),
                (["bt --all --locals", "print counter", "sample 300ms"], True, False)]
        for commands, inject, nonblocking in runs:
            r, lines = strace_run(spy, logdir, target.pid, commands, inject, nonblocking)
            p, seen = audit(lines, target.pid)
            probs += p
            if inject and seen["memopen"] == 0:
                probs.append("with process_vm_readv failing ENOSYS, /proc/%d/mem was never opened" % target.pid)
            if not inject and seen["readv"] == 0:
                probs.append("the trace saw no process_vm_readv: it does not show pyspy-sh's reads")
            for k, v in seen.items():
                totals[k] = totals.get(k, 0) + v
        if totals.get("seize", 0) == 0 or totals.get("interrupt", 0) == 0:
            probs.append("the trace saw no PTRACE_SEIZE/INTERRUPT: the pausing commands were not traced")
        if probs:
            raise Fail("; ".join(probs[:5]))
        harness.log("readonly: %s%s" % (totals, "" if native else " (native mode not in this build)"))


# ------------------------------------------------------------------ never left stopped

def tracer_of(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("TracerPid:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def counter_value(spy, pid):
    r = spy.run(["-nx", "-p", pid, "--nonblocking", "-ex", "print counter", "--batch"])
    m = re.search(r"^counter = (\d+)$", r.out, re.M)
    if r.rc != 0 or not m:
        raise Fail("cannot read the counter: %s" % r.describe())
    return int(m.group(1))


def assert_running(spy, target, what):
    deadline = time.time() + 10
    while time.time() < deadline:
        states = [harness.task_state(target.pid, t) for t in target.tasks()]
        if tracer_of(target.pid) == 0 and not any(s in ("t", "T") for s in states):
            break
        time.sleep(0.02)
    else:
        raise Fail("%s: target still traced by %s, task states %s" % (what, tracer_of(target.pid), states))
    a = counter_value(spy, target.pid)
    time.sleep(0.3)
    b = counter_value(spy, target.pid)
    if b <= a:
        raise Fail("%s: the counter did not move (%d then %d): the target is not running" % (what, a, b))


def kill_while_held(spy, target, args, held, what, stdin=subprocess.DEVNULL):
    """Start pyspy-sh, wait until held() says it holds the target, SIGKILL it."""
    p = subprocess.Popen([spy.binary, "-nx", "-p", str(target.pid)] + args, stdin=stdin,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while not held(p.pid):
            if p.poll() is not None:
                raise Fail("%s: pyspy-sh exited (%s) before it held the target" % (what, p.returncode))
            if time.time() > deadline:
                raise Fail("%s: pyspy-sh never held the target" % what)
            time.sleep(0.001)
    finally:
        p.kill()
        p.wait()
    assert_running(spy, target, what)


def t_kill9_sample(ctx):
    interp, spy = ctx
    with Tmp() as tmp:
        target = tmp.start(interp, COUNTER, ["1000"])
        for i in range(3):
            kill_while_held(spy, target, ["-ex", "sample 60s --blocking --rate 2000", "--batch"],
                            lambda pid: tracer_of(target.pid) == pid, "kill -9 in a blocking sample (#%d)" % (i + 1))


def t_kill9_stop(ctx):
    interp, spy = ctx
    with Tmp() as tmp:
        target = tmp.start(interp, COUNTER, ["1000"])

        def all_stopped(pid):
            tids = target.tasks()
            return tracer_of(target.pid) == pid and tids and all(harness.task_state(target.pid, t) == "t" for t in tids)
        r, w = os.pipe()          # stdin kept open: the session waits for input, holding the target
        try:
            kill_while_held(spy, target, ["-ex", "stop"], all_stopped, "kill -9 during stop", stdin=r)
        finally:
            os.close(r)
            os.close(w)


def t_kill9_native(ctx):
    interp, spy = ctx
    if not has_native(spy):
        raise Skip("native mode not in this build")
    with Tmp() as tmp:
        target = tmp.start(interp, COUNTER, ["1000"])
        args = []
        for _ in range(300):
            args += ["-ex", "bt --all --native"]
        for i in range(3):
            kill_while_held(spy, target, args + ["--batch"], lambda pid: tracer_of(target.pid) == pid,
                            "kill -9 during a native unwind (#%d)" % (i + 1))


# ------------------------------------------------------------------ exec

def exec_message(pid):
    return "pid %d exec'd " % pid


def t_exec_mid_sample(ctx):
    interp, spy = ctx
    with Tmp() as tmp:
        target = tmp.start(interp, EXECS, ["1.5"])
        out = os.path.join(tmp.dir, "kept.txt")
        r = spy.run(["-nx", "-p", target.pid, "-ex", "sample 20s", "-ex", "save %s" % out, "-ex", "bt", "--batch"])
        m = SUMMARY.search(r.out)
        if not m or int(m.group(3)) == 0:
            raise Fail("no sample summary with samples: %s" % r.describe())
        if float(m.group(1)) > 10:
            raise Fail("sampling went on for %ss after the exec" % m.group(1))
        want = "(stopped early: pid %d exec'd /usr/bin/sleep: it is no longer the Python program attached to" % target.pid
        want2 = want.replace("/usr/bin/sleep", "/bin/sleep")
        if want not in r.out and want2 not in r.out:
            raise Fail("no 'stopped early ... exec'd' line: %r" % r.out[:500])
        if not os.path.exists(out) or not open(out).read().strip():
            raise Fail("the samples taken before the exec were not saved")
        bt_err = "pyspy-sh: " + exec_message(target.pid)
        if r.rc != 1 or bt_err not in r.err:
            raise Fail("bt after the exec: want exit 1 and %r: %s" % (bt_err, r.describe()))


def t_exec_mid_bt(ctx):
    interp, spy = ctx
    with Tmp() as tmp:
        target = tmp.start(interp, EXECS, ["0.3"])
        args = ["-nx", "-p", target.pid]
        for _ in range(4000):      # far more than fit in 0.3 s
            args += ["-ex", "bt --all"]
        r = spy.run(args + ["--batch"])
        ok = len(re.findall(r"^Thread 1 ", r.out, re.M))
        errs = [l for l in r.err.splitlines() if l.strip()]
        bad = [l for l in errs if exec_message(target.pid) not in l]
        if bad:
            raise Fail("bt across an exec printed other errors: %r" % bad[:3])
        if not errs or r.rc != 1:
            raise Fail("no bt failed with the exec message (%d succeeded): exit %d, stderr %r"
                       % (ok, r.rc, r.err[-300:]))
        harness.log("exec_mid_bt: %d complete, %d failed with the exec message" % (ok, len(errs)))


# ------------------------------------------------------------------ permission

def t_permission(ctx):
    interp, spy = ctx
    if os.geteuid() != 0:
        raise Skip("needs root to create a user and a root-owned target (running as uid %d)" % os.geteuid())
    if not shutil.which("setpriv") or not shutil.which("useradd"):
        raise Skip("setpriv or useradd missing")
    try:
        pw = pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        pw = pwd.getpwnam(TEST_USER)
    with Tmp() as tmp:
        target = tmp.start(interp, COUNTER, ["1000"])
        binary = os.path.join(tmp.dir, "pyspy-sh")
        shutil.copy(spy.binary, binary)
        os.chmod(tmp.dir, 0o755)
        os.chmod(binary, 0o755)
        drop = ["setpriv", "--reuid", str(pw.pw_uid), "--regid", str(pw.pw_gid), "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all"]
        env = {"PATH": "/usr/bin:/bin", "HOME": tmp.dir, "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")}
        for args in (["-p", str(target.pid), "-ex", "bt", "--batch"],
                     ["-ex", "attach %d" % target.pid, "-ex", "bt", "--batch"]):
            cp = subprocess.run(drop + [binary, "-nx"] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, timeout=60, env=env)
            r = harness.Run(drop + [binary] + args, cp.returncode, cp.stdout, cp.stderr)
            harness.sane(r)
            first = r.err.strip().splitlines()[0] if r.err.strip() else ""
            want = ("pyspy-sh: permission denied reading pid %d (" % target.pid, "belongs to uid 0",
                    "run pyspy-sh as root (sudo) or as that user", "CAP_SYS_PTRACE")
            if r.rc != harness.EXIT_ATTACH or not all(w in first for w in want) or r.out.strip():
                raise Fail("as uid %d: want exit 2 and a message with %r: %s" % (pw.pw_uid, want, r.describe()))
        if target.proc.poll() is not None:
            raise Fail("the target died")


# ------------------------------------------------------------------ churn

def wait4_run(argv, timeout, tmpdir):
    """Run argv; (Run, peak RSS in KiB from wait4's rusage of that child)."""
    outp, errp = os.path.join(tmpdir, "out"), os.path.join(tmpdir, "err")
    with open(outp, "wb") as out, open(errp, "wb") as err:
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, out.fileno(), 1), (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
    deadline = time.time() + timeout
    while True:
        wpid, status, ru = os.wait4(pid, os.WNOHANG)
        if wpid == pid:
            break
        if time.time() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.wait4(pid, 0)
            raise Fail("HANG: %s did not finish within %ds" % (" ".join(argv[1:]), timeout))
        time.sleep(0.05)
    rc = os.waitstatus_to_exitcode(status)
    with open(outp, "rb") as f1, open(errp, "rb") as f2:
        return harness.Run(argv, rc, f1.read(), f2.read()), ru.ru_maxrss


def churn(binary, interp, seconds, tmpdir):
    """Sample the churn target nonblocking at the maximum rate for `seconds`;
    (Run, stats: seconds, ticks, samples, errors, torn, late, peak_rss_kb)."""
    target = harness.Target(interp, CHURN, [], tmpdir)
    try:
        target.wait_ready()
        folded = os.path.join(tmpdir, "churn.txt")
        argv = [binary, "-nx", "-p", str(target.pid), "-ex", "sample %gs --rate 10000000 --idle" % seconds,
                "-ex", "save %s" % folded, "-ex", "save %s.json" % folded, "-ex", "flamegraph %s.svg" % folded,
                "--batch"]
        r, peak = wait4_run(argv, seconds + harness.RUN_TIMEOUT, tmpdir)
        m = SUMMARY.search(r.out)
        stats = None
        if m:
            stats = dict(zip(("seconds", "ticks", "samples", "errors", "torn", "late"),
                             [float(m.group(1))] + [int(g) for g in m.groups()[1:]]))
            stats["peak_rss_kb"] = peak
            lines = harness.read_folded(folded, errors="replace")
            stats["deepest"] = max([stack.count(";") + 1 for stack, _ in lines] or [0])
            stats["folded_total"] = sum(n for _, n in lines)
            stats["roots"] = sorted(set(stack.split(";")[0].split(" (")[0] for stack, _ in lines))
            stats["stray"] = [stack[:300] for stack, _ in lines if stack.split(";")[0].split(" (")[0] not in CHURN_ROOTS]
            with open(folded + ".json", encoding="utf-8") as f:
                stats["speedscope_total"] = sum(sum(p["weights"]) for p in json.load(f)["profiles"])
            with open(folded + ".svg", encoding="utf-8") as f:
                svg = f.read()
            m = re.search(r'data-total="(\d+)"', svg)
            stats["svg_total"] = int(m.group(1)) if m else None
        return r, stats
    finally:
        target.kill()


def t_churn(ctx):
    interp, spy = ctx
    tmpdir = tempfile.mkdtemp(prefix="pyspy-e2e-")
    try:
        r, st = churn(spy.binary, interp, CHURN_SECONDS, tmpdir)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    harness.sane(r)
    if r.rc != 0 or st is None:
        raise Fail("churn sample: %s; stdout %r" % (r.describe(), r.out[:300]))
    if st["samples"] < 1000:
        raise Fail("only %d samples in %.1fs at the maximum rate" % (st["samples"], st["seconds"]))
    # the target never exceeds the default recursion limit (1000): a deeper
    # sample is a torn walk (a looping chain) that was not caught
    if st["deepest"] > 1000:
        raise Fail("a sample has %d frames: a torn frame chain was kept as a sample" % st["deepest"])
    # every export holds every sample the summary counts (threads starting or
    # ending, with no frames yet, are not samples), and every stack starts
    # where a thread starts: a cut stack would be a root of its own
    totals = (st["samples"], st["folded_total"], st["speedscope_total"], st["svg_total"])
    if len(set(totals)) != 1:
        raise Fail("sample totals disagree: summary %d, folded %d, speedscope %d, svg %s" % totals)
    strays = [r for r in st["roots"] if r not in CHURN_ROOTS]
    if strays:
        raise Fail("%d stacks rooted at %s, not at <module> or a thread's bootstrap, such as %r"
                   % (len(st["stray"]), strays[:5], st["stray"][:2]))
    # ASan's quarantine holds freed memory back (256 MB by default): a loose bound there
    limit_mb = 1024 if "asan" in os.path.basename(spy.binary) else 128
    if st["peak_rss_kb"] > limit_mb * 1024:
        raise Fail("peak RSS %d KiB exceeds %d MiB" % (st["peak_rss_kb"], limit_mb))
    harness.note("  churn[%s]: %.1fs, %d ticks, %d samples, %d errors, %d torn, deepest %d frames, peak RSS %.1f MiB" % (
        interp.label, st["seconds"], st["ticks"], st["samples"], st["errors"], st["torn"], st["deepest"],
        st["peak_rss_kb"] / 1024.0))


# ------------------------------------------------------------------ registration

def newest(interps):
    """The newest pyenv interpreter, else the newest usable one; None without one."""
    usable = [i for i in interps if not i.missing]
    pyenv = [i for i in usable if i.label.startswith("pyenv")]
    return (pyenv or usable)[-1] if usable else None


def oldest(interps):
    usable = [i for i in interps if not i.missing]
    return usable[0] if usable else None


# Once, in this order: (name, test, the interpreter it runs on); SKIP without one.
ONCE = (("readonly", t_readonly, newest), ("readonly_oldest", t_readonly, oldest),
        ("kill9_blocking_sample", t_kill9_sample, newest), ("kill9_stop", t_kill9_stop, newest),
        ("kill9_native", t_kill9_native, newest), ("exec_mid_sample", t_exec_mid_sample, newest),
        ("exec_mid_bt", t_exec_mid_bt, newest), ("permission", t_permission, newest),
        ("churn", t_churn, newest), ("churn_oldest", t_churn, oldest))


def run_once(res, spy, interps):
    for name, fn, pick in ONCE:
        interp = pick(interps)
        if interp is None:
            if res.wanted(name):
                res.skip(name, "no usable interpreter")
            continue
        res.run(name, fn, (interp, spy))
