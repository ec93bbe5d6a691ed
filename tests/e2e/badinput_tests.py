"""Bad input everywhere (imported by run.py): every command's arguments and
option values that make no sense, and the pids no one should attach to,
each with its exact message and exit status, and the shell still working
after each one.

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
"""
import os
import re
import shutil
import subprocess
import tempfile

import harness
from harness import Fail

COUNTER = os.path.join(harness.TARGETS, "counter.py")

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
                          "usage: sample DURATION [--rate HZ] [--idle] [--gil] [--threads] [--blocking] [--native|--native-all]"]),
    ("sample 1s --bogus", None),
    ("save {tmp}/x.unknownext", ["save: cannot tell the format of '{tmp}/x.unknownext' from its name: "
                                 "use --format folded|speedscope|chrometrace|svg"]),
    ("save {tmp}/x.txt --format bogus", ["save: unknown format 'bogus' (folded, speedscope, chrometrace or svg)"]),
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
                                        "usage: flamegraph PATH [--by function|line] [--threads] [--icicle] [--title TEXT]"]),
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


def t_bad_values(ctx):
    interp, spy = ctx
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


def t_bad_pids(ctx):
    interp, spy = ctx
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


def run_once(res, spy, interps):
    usable = [i for i in interps if not i.missing]
    pyenv = [i for i in usable if i.label.startswith("pyenv")]
    interp = (pyenv or usable)[-1] if usable else None
    for name, fn in (("bad_values", t_bad_values), ("bad_pids", t_bad_pids)):
        if interp is None:
            if res.wanted(name):
                res.skip(name, "no usable interpreter")
            continue
        res.run(name, fn, (interp, spy))
