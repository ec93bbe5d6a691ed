"""Bad input everywhere (imported by run.py): every command's arguments and
option values that make no sense, and the pids no one should attach to,
each with its exact message and exit status, and the shell still working
after each one; and a target that exits while pyspy-sh reads it.  Run once.

  bad_values     one session against counter.py runs every bad command,
                 each followed by `print counter`: stderr must be exactly the
                 expected lines in order (one per bad command, plus the usage
                 line where the command prints it), and stdout must show the
                 counter after every one of them, i.e. the shell survived
                 each; the exit status is 1.  The profile cases run after a
                 real `sample`, so they fail on the value, not on "no profile".
  bad_pids       -p 0, -1, a number too large: usage (64); -p 1: exit 2 with
                 a reason (init is not Python, or is not ours to read);
                 pyspy-sh's own pid: exit 2, "pid N is pyspy-sh itself";
                 `attach` to those inside a session: the same messages.
  bad_pid        `threads` and `bt --all --json` on a pid that does not
                 exist: exit 2, a "pyspy-sh: " message that names the pid
                 and says there is no such process
  not_python     the same on `sleep 100`: "not a Python process", and sleep
                 is left asleep
  zombie         the same on an unreaped child: it is a zombie (or dead)
  bad_usage      -p abc, -p 12x, -p without a value, an unknown option:
                 exit 64 and a "pyspy-sh: " message
  later_version  a 3.13+ interpreter whose executable carries _PyRuntime,
                 copied with its _Py_DebugOffsets header patched: version
                 3.16.0 must be refused with exactly "unsupported Python
                 3.16.0: pyspy-sh reads 2.7 to 3.15", free_threaded = 1 with
                 "free-threaded CPython 3.X t is not supported yet" (no
                 space), exit 2 (skipped when no such interpreter is tested)
  exit_while_reading
                 one round per interpreter: tests/targets/exiting.py churns
                 threads and recursion, then exits (normal finalization,
                 os._exit, os._exit from a thread, SIGKILL, in turn) while
                 pyspy-sh reads it again and again: every run exits 0, 1 or
                 2, no signal, no sanitizer report, valid JSON, partial
                 output says what is missing, no hang; at least one run read
                 the live target
"""
import json
import os
import random
import re
import shutil
import struct
import subprocess
import tempfile
import time

import harness
from harness import (EXIT_ATTACH, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, Fail, Skip, Target, check_error_message, log,
                     proc_state, unused_pid)

COUNTER = os.path.join(harness.TARGETS, "counter.py")
EXITING = os.path.join(harness.TARGETS, "exiting.py")

DURATION = "(like 500ms, 10s, 2m or unlimited)"
RATE = "must be a number of samples per second from 1 to 10000000"
KEPT = "(the profile is kept: save it elsewhere)"

# (command, expected stderr lines); "{tmp}" is a scratch directory
CASES = [
    ("sample 0s", ["sample: '0s' is not a duration " + DURATION]),
    ("sample -1s", ["sample: '-1s' is not a duration " + DURATION]),
    ("sample abc", ["sample: 'abc' is not a duration " + DURATION]),
    ("sample 99999999h", ["sample: '99999999h' is longer than 30 days (use 'unlimited' and Ctrl-C)"]),
    ("sample 1s --rate 0", ["sample: rate '0' " + RATE]),
    ("sample 1s --rate -5", ["sample: rate '-5' " + RATE]),
    ("sample 1s --rate abc", ["sample: rate 'abc' " + RATE]),
    ("sample 1s --rate 1e99", ["sample: rate '1e99' " + RATE]),
    ("sample 1s --rate", ["sample: option '--rate' needs a value",
                          "usage: sample DURATION [--rate HZ] [--mode cpu|wall|gil|exception] [--threads] [--blocking] [--native|--native-all] [--async] [--subprocesses]"]),
    ("sample 1s --bogus", None),
    ("save {tmp}/x.unknownext", ["save: cannot tell the format of '{tmp}/x.unknownext' from its name: "
                                 "use --format folded|speedscope|chrometrace|svg|pstats|gecko|heatmap"]),
    ("save {tmp}/x.txt --format bogus", ["save: unknown format 'bogus' (folded, speedscope, chrometrace, svg, pstats, gecko or heatmap)"]),
    ("save /nonexistent-dir/x.txt", ["save: cannot write '/nonexistent-dir/x.txt': No such file or directory " + KEPT]),
    ("save /etc/passwd/x.txt", ["save: cannot write '/etc/passwd/x.txt': Not a directory " + KEPT]),
    ("flamegraph /etc/passwd/x.svg", ["flamegraph: cannot write '/etc/passwd/x.svg': Not a directory " + KEPT]),
    ("top -n 0", ["top: -n must be positive"]),
    ("top -n -1", ["top: -n must be positive"]),
    ("top --sort bogus", ["top: --sort takes 'own' or 'total', not 'bogus'"]),
    ("top --by file", ["top: --by takes 'function' or 'line', not 'file'"]),
    ("top -n abc", ["top: option '-n' wants a number, not 'abc'",
                    "usage: top [--by function|line] [-n ROWS] [--sort own|total] [--live [--rate HZ]]"]),
    ("top --live --rate 0", ["top: rate '0' " + RATE]),
    ("save {tmp}/x.txt --by bogus", ["save: --by takes 'function' or 'line', not 'bogus'"]),
    ("flamegraph {tmp}/x.svg --by bogus", ["flamegraph: --by takes 'function' or 'line', not 'bogus'"]),
    ("flamegraph {tmp}/x.svg --title", ["flamegraph: option '--title' needs a value",
                                        "usage: flamegraph PATH [--by function|line] [--threads] [--icicle] [--title TEXT] [--diff BASE]"]),
    ("flamegraph {tmp}/x.svg --diff {tmp}/nothere.txt", ["flamegraph: --diff: cannot read '{tmp}/nothere.txt': No such file or directory"]),
    ("save {tmp}/x.txt --diff {tmp}/x.txt", ["save: --diff makes a flame graph: write a .svg"]),
    ("heatmap", ["heatmap: missing argument", "usage: heatmap PATH [--title TEXT]"]),
    ("heatmap /nonexistent-dir/x.html", ["heatmap: cannot write '/nonexistent-dir/x.html': No such file or directory " + KEPT]),
    ("set width -1", ["set width: '-1' is not a number from 10 to 1000000000"]),
    ("set width 0", ["set width: '0' is not a number from 10 to 1000000000"]),
    ("set width abc", ["set width: 'abc' is not a number from 10 to 1000000000"]),
    ("set depth -3", ["set depth: '-3' is not a number from 0 to 100"]),
    ("set items -1", ["set items: '-1' is not a number from 1 to 100000000"]),
    ("set pager maybe", ["set pager: 'maybe' is not on or off"]),
    ("set nosuch 1", ["set: no setting 'nosuch' (see 'show')"]),
    ("show nosuch", ["show: no setting 'nosuch'"]),
    ("frame 99999", ["no frame 99999: the stack has frames 0 to 3"]),
    ("frame -1", ["frame: '-1' is not a valid number"]),
    ("thread 0", ["thread: no thread 0 (see 'threads')"]),
    ("thread 99999", ["thread: no thread 99999 (see 'threads')"]),
    ("thread abc", ["thread: 'abc' is not a valid number"]),
    ("down -1", ["down: '-1' is not a valid number"]),
    ("up abc", ["up: 'abc' is not a valid number"]),
    ("help nosuchcmd", ["help: no such command 'nosuchcmd'"]),
    ("list 0", ["list: '0' is not a line number"]),
    ("list abc", ["list: 'abc' is not a line number"]),
    ("bt abc", ["bt: frame count must be a positive number, not 'abc'"]),
    ("bt -5", ["bt: frame count must be a positive number, not '-5'"]),
    ("print no_such_name", ["print: no local or global named 'no_such_name'"]),
    ("source /nonexistent/file", ["source: cannot open '/nonexistent/file': No such file or directory"]),
    ("attach 0", ["attach: '0' is not a process id"]),
    ("attach -1", ["attach: '-1' is not a process id"]),
    ("attach abc", ["attach: 'abc' is not a process id"]),
    ("info extra", ["info: unexpected argument 'extra'", "usage: info [scripts]"]),
    ("attach 1 2", ["attach: unexpected argument '2'", "usage: attach PID"]),
]


def pick(interps):
    """The newest pyenv interpreter, else the newest usable one."""
    usable = [i for i in interps if not i.missing]
    if not usable:
        raise Skip("no usable interpreter")
    pyenv = [i for i in usable if i.label.startswith("pyenv")]
    return (pyenv or usable)[-1]


def t_bad_values(spy, interps):
    interp = pick(interps)
    tmp = tempfile.mkdtemp(prefix="pyspy-e2e-")
    target = None
    try:
        target = harness.Target(interp, COUNTER, ["1000"], tmp)
        target.wait_ready()
        args = ["-nx", "-p", target.pid, "-ex", "sample 200ms", "-ex", "frame 0"]
        want_err = []
        for cmd, lines in CASES:
            args += ["-ex", cmd.format(tmp=tmp), "-ex", "print counter"]
            if lines is None:     # a bad option: the dispatcher's message and the usage
                opt = cmd.split()[-1]
                lines = ["%s: unknown option '%s'" % (cmd.split()[0], opt), None]
            want_err += [None if l is None else l if l.startswith("usage: ") else "pyspy-sh: " + l.format(tmp=tmp)
                         for l in lines]
        r = spy.run(args + ["--batch"])
        got = r.err.splitlines()
        probs = []
        for i, (w, g) in enumerate(zip(want_err, got)):
            if w is not None and w != g:
                probs.append("stderr line %d: %r, expected %r" % (i + 1, g, w))
        if len(got) != len(want_err):
            probs.append("%d stderr lines, expected %d: %r" % (len(got), len(want_err), got[len(want_err):][:3]))
        survived = len(re.findall(r"^counter = \d+$", r.out, re.M))
        if survived != len(CASES):
            probs.append("`print counter` worked after %d of %d bad commands" % (survived, len(CASES)))
        if r.rc != harness.EXIT_PARTIAL:
            probs.append("exit %d, expected 1" % r.rc)
        if probs:
            raise Fail("; ".join(probs[:6]))
    finally:
        if target:
            target.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def t_bad_pids(spy, interps):
    pick(interps)       # no target, but SKIP like bad_values without a usable interpreter
    probs = []
    for pid in ("0", "-1", "99999999999", "1x"):
        r = spy.run(["-nx", "-p", pid, "-ex", "threads", "--batch"])
        want = "pyspy-sh: '%s' is not a process id\ntry 'pyspy-sh --help'\n" % pid
        if r.rc != harness.EXIT_USAGE or r.err != want or r.out:
            probs.append("-p %s: exit %d, stderr %r; want 64 and %r" % (pid, r.rc, r.err, want))
    init_reasons = ("pyspy-sh: pid 1 (", "pyspy-sh: permission denied reading ")
    for args in (["-p", "1", "-ex", "threads"], ["-ex", "attach 1", "-ex", "threads"]):
        r = spy.run(["-nx"] + args + ["--batch"])
        first = r.err.splitlines()[0] if r.err else ""
        ok = first.startswith(init_reasons[0]) and "is not a Python process" in first
        ok = ok or (first.startswith(init_reasons[1]) and "CAP_SYS_PTRACE" in first)
        if r.rc != harness.EXIT_ATTACH or not ok or r.out:
            probs.append("%s: exit %d, stderr %r; want 2 and 'not a Python process' or how to get permission"
                         % (" ".join(args), r.rc, r.err[:300]))
    # pyspy-sh's own pid: a shell that execs it, so $$ is pyspy-sh's pid
    for inner in ("-p $$ -ex threads", "-ex 'attach '$$ -ex threads"):
        cmd = "exec '%s' -nx %s --batch" % (spy.binary, inner)
        cp = subprocess.run(["/bin/sh", "-c", cmd], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=harness.RUN_TIMEOUT)
        r = harness.Run(["/bin/sh", "-c", cmd], cp.returncode, cp.stdout, cp.stderr)
        harness.sane(r)
        m = re.match(r"^pyspy-sh: pid (\d+) is pyspy-sh itself\n$", r.err)
        if r.rc != harness.EXIT_ATTACH or not m or r.out:
            probs.append("own pid (%s): exit %d, stderr %r; want 2 and 'pid N is pyspy-sh itself'"
                         % (inner, r.rc, r.err[:300]))
    if probs:
        raise Fail("; ".join(probs))


def t_bad_pid(spy, interps):
    pid = unused_pid()
    for cmd in ("threads", "bt --all --json"):
        r = spy.batch(pid, cmd)
        if r.rc != EXIT_ATTACH:
            raise Fail("expected exit 2 for a pid that does not exist: %s" % r.describe())
        check_error_message(r, pid, ("no process", "no such process", "does not exist"), "pid %d" % pid)


def t_not_python(spy, interps):
    p = subprocess.Popen(["sleep", "100"], stdin=subprocess.DEVNULL)
    try:
        for cmd in ("threads", "bt --all --json"):
            r = spy.batch(p.pid, cmd)
            if r.rc != EXIT_ATTACH:
                raise Fail("expected exit 2 for `sleep 100`: %s" % r.describe())
            check_error_message(r, p.pid, ("not a python process",), "sleep")
        if proc_state(p.pid) not in ("S",):
            raise Fail("`sleep` left in state %s" % proc_state(p.pid))
    finally:
        p.kill()
        p.wait()


def t_zombie(spy, interps):
    usable = [i for i in interps if not i.missing]
    if not usable:
        raise Skip("no usable interpreter")
    p = subprocess.Popen([usable[-1].path, "-c", "pass"], stdin=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while proc_state(p.pid) != "Z":      # do not reap: it stays a zombie
            if time.time() > deadline:
                raise Fail("child %d never became a zombie (state %s)" % (p.pid, proc_state(p.pid)))
            time.sleep(0.02)
        for cmd in ("threads", "bt --all --json"):
            r = spy.batch(p.pid, cmd)
            if r.rc != EXIT_ATTACH:
                raise Fail("expected exit 2 for a zombie: %s" % r.describe())
            check_error_message(r, p.pid, ("zombie", "defunct", "exited", "dead", "terminated", "not running"),
                                "zombie pid %d" % p.pid)
    finally:
        p.wait()


def pyruntime_offset(path):
    """File offset of the .PyRuntime section of an ELF64 file, or None."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return None
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
    if not shoff or shstrndx >= shnum:
        return None
    strtab = struct.unpack_from("<Q", data, shoff + shstrndx * shentsize + 0x18)[0]
    for i in range(shnum):
        name, = struct.unpack_from("<I", data, shoff + i * shentsize)
        if data[strtab + name:data.index(b"\0", strtab + name)] == b".PyRuntime":
            return struct.unpack_from("<Q", data, shoff + i * shentsize + 0x18)[0]
    return None


def t_later_version(spy, interps):
    cands = [i for i in interps if not i.missing and i.version >= (3, 13, 0)]
    chosen = None
    for i in cands:
        exe = os.path.realpath(i.path)
        off = pyruntime_offset(exe)
        if off is not None:
            chosen = (i, exe, off)
    if not chosen:
        raise Skip("no 3.13+ interpreter among %s has _PyRuntime in its executable"
                   % ([i.label for i in cands] or "the tested ones"))
    interp, exe, off = chosen
    home = subprocess.check_output([interp.path, "-c", "import sys; print(sys.base_prefix)"]).decode().strip()
    major, minor = interp.version[:2]
    cases = [(8, 0x031000f0, "unsupported Python 3.16.0: pyspy-sh reads 2.7 to 3.15"),
             (16, 1, "free-threaded CPython %d.%dt is not supported yet" % (major, minor))]
    tmp = tempfile.mkdtemp(prefix="pyspy-e2e-")
    try:
        for at, value, want in cases:
            copy = os.path.join(tmp, os.path.basename(exe))
            with open(exe, "rb") as f:
                data = bytearray(f.read())
            if data[off:off + 8] != b"xdebugpy":
                raise Fail("%s: .PyRuntime does not start with the cookie" % exe)
            struct.pack_into("<Q", data, off + at, value)
            with open(copy, "wb") as f:
                f.write(data)
            os.chmod(copy, 0o755)
            env = dict(os.environ, PYTHONHOME=home)
            p = subprocess.Popen([copy, "-c", "import sys, time; print('ready'); sys.stdout.flush(); time.sleep(100)"],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env)
            try:
                if p.stdout.readline().strip() != b"ready":
                    raise Fail("the patched copy of %s did not start" % exe)
                r = spy.batch(p.pid, "threads")
                if r.rc != EXIT_ATTACH or r.err.strip() != "pyspy-sh: " + want:
                    raise Fail("expected exit 2 and %r: %s" % (want, r.describe()))
            finally:
                p.kill()
                p.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def t_bad_usage(spy, interps):
    cases = [
        ["-p", "abc", "-ex", "threads", "--batch"],
        ["--no-such-option", "--batch"],
        ["-p", "12x", "-ex", "threads", "--batch"],
        ["-p"],
    ]
    probs = []
    for args in cases:
        r = spy.run(args)
        if r.rc != EXIT_USAGE:
            probs.append("expected exit 64: %s" % r.describe())
            continue
        try:
            check_error_message(r, what="usage error")
        except Fail as e:
            probs.append(str(e))
    if probs:
        raise Fail("; ".join(probs))


def t_exit_while_reading(spy, interps):
    usable = [i for i in interps if not i.missing]
    if not usable:
        raise Skip("no usable interpreter")
    rnd = random.Random()
    seed = rnd.randrange(1 << 30)
    rnd.seed(seed)
    commands = [("bt --all --json", False), ("bt --all --json", True), ("threads", False), ("bt --all", False)]
    modes = ["return", "os_exit", "sigkill", "thread"]
    stats = {0: 0, 1: 0, 2: 0}
    live_ok = 0
    for round_no, interp in enumerate(usable):
        mode = modes[round_no % len(modes)]
        delay = rnd.uniform(0.5, 2.5)
        tmpdir = tempfile.mkdtemp(prefix="pyspy-e2e-")
        target = None
        try:
            target = Target(interp, EXITING, ["%.3f" % delay, mode], tmpdir, with_truth=False)
            target.wait_ready()
            deadline = time.time() + 300
            i = 0
            while True:
                gone = target.proc.poll() is not None
                cmd, nb = commands[i % len(commands)]
                i += 1
                where = "round %d (%s, mode %s, delay %.2fs, seed %d), run %d: " % (
                    round_no, interp.label, mode, delay, seed, i)
                try:
                    r = spy.batch(target.pid, cmd, nonblocking=nb)
                except Fail as e:
                    raise Fail(where + str(e))
                if r.rc not in (EXIT_OK, EXIT_PARTIAL, EXIT_ATTACH):
                    raise Fail(where + "exit status must be 0, 1 or 2: " + r.describe())
                stats[r.rc] += 1
                if r.rc in (EXIT_OK, EXIT_PARTIAL) and not gone:
                    live_ok += 1
                if r.rc == EXIT_ATTACH and not r.err.strip().startswith("pyspy-sh: "):
                    raise Fail(where + "exit 2 without a 'pyspy-sh: ' message: " + r.describe())
                if r.rc == EXIT_PARTIAL and not r.err.strip() and not r.out_b.strip():
                    raise Fail(where + "exit 1 with no output and no message: " + r.describe())
                doc = None
                if cmd.endswith("--json") and (r.rc == EXIT_OK or (r.rc == EXIT_PARTIAL and r.out_b.strip())):
                    try:
                        doc = json.loads(r.out_b.decode("utf-8"))
                    except ValueError as e:
                        raise Fail(where + "exit %d but stdout is not one JSON document (%s): %r"
                                   % (r.rc, e, r.out_b[:300]))
                # partial output must say what is missing: on stderr or as an "error" in the JSON
                if (doc is not None and r.rc == EXIT_PARTIAL and not r.err.strip() and "error" not in doc and
                        not any(isinstance(t, dict) and t.get("error") for t in doc.get("threads") or [])):
                    raise Fail(where + "exit 1 but neither stderr nor the JSON says what failed: %r"
                               % r.out_b[:400])
                if gone:
                    if r.rc != EXIT_ATTACH:
                        raise Fail(where + "process is gone (reaped) but exit %d: %s" % (r.rc, r.describe()))
                    break
                if time.time() > deadline:
                    raise Fail(where + "target never exited")
        finally:
            if target is not None:
                target.kill()
            shutil.rmtree(tmpdir, ignore_errors=True)
    log("exit_while_reading: exit status counts %s, %d successful reads of a live target" % (stats, live_ok))
    if live_ok == 0:
        raise Fail("no run ever read a live target (exit counts %s)" % stats)


# ------------------------------------------------------------------ registration

# Once, in this order; every test takes (spy, interps).
ONCE = (("bad_values", t_bad_values), ("bad_pids", t_bad_pids), ("bad_pid", t_bad_pid),
        ("not_python", t_not_python), ("zombie", t_zombie), ("bad_usage", t_bad_usage),
        ("later_version", t_later_version), ("exit_while_reading", t_exit_while_reading))


def run_once(res, spy, interps):
    for name, fn in ONCE:
        res.run(name, fn, spy, interps)
