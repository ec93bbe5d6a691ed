"""Launch mode: pyspy-sh -- PROGRAM (imported by run.py).

Per interpreter:

  launch_phases      pyspy-sh -ex 'sample unlimited' -ex 'save F' --batch --
                     PYTHON phases.py (a RELATIVE script path, cwd a temporary
                     directory holding a copy): phase_one (0.6 s from the
                     program's first line) and phase_two (0.6 s after it) each
                     get at least half the samples their own recorded
                     durations call for at 100 Hz; exit 0, nothing on stderr

Once (the newest pyenv interpreter):

  launch_not_python  /bin/sleep 5 launched: refused with exit 2 and a message
                     naming it, in under 5 s (the bug was a 10 s wait)
  launch_ctrl_c      in a pty, Ctrl-C (the terminal's SIGINT to its foreground
                     process group) during `sample unlimited`: sampling stops,
                     `save` writes the samples, the program finishes both
                     phases undisturbed (no KeyboardInterrupt: it writes its
                     record) and pyspy-sh exits with its status, 0
  launch_quit        interactive, program still running: `quit` asks
                     kill/wait/cancel; c cancels (prompt again), k kills it:
                     pyspy-sh exits 137 (the program's SIGKILL) at once
"""
import os
import shutil
import subprocess
import tempfile
import time

import harness
import shell_tests
import tty_tests

Fail = harness.Fail
PHASES = os.path.join(harness.TARGETS, "phases.py")
RATE = 100


def read_truth(path):
    with open(path) as f:
        return dict((n, float(t1) - float(t0)) for n, t0, t1 in (l.split("\t") for l in f.read().splitlines()))


def phase_counts(path):
    counts = {"phase_one": 0, "phase_two": 0}
    for stack, n in harness.read_folded(path):
        for name in counts:
            if any(fr.split(" ")[0] == name for fr in stack.split(";")):
                counts[name] += n
    return counts


def t_phases(args):
    interp, spy = args
    spy.available()
    tmp = tempfile.mkdtemp(prefix="pyspy-launch-")
    try:
        shutil.copy(PHASES, os.path.join(tmp, "phases.py"))
        argv = [spy.binary, "-nx", "-ex", "sample unlimited", "-ex", "save out.txt", "--batch", "--",
                interp.path, "-B", "-E", "-s", "phases.py", "truth"]
        try:
            cp = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                timeout=harness.RUN_TIMEOUT, cwd=tmp, env=dict(harness.target_env(), HOME=tmp))
        except subprocess.TimeoutExpired:
            raise Fail("HANG: launch did not finish within %ds" % harness.RUN_TIMEOUT)
        r = harness.Run(argv, cp.returncode, cp.stdout, cp.stderr)
        harness.sane(r)
        probs = shell_tests.expect(r, 0, err="")
        try:
            truth = read_truth(os.path.join(tmp, "truth"))
            got = phase_counts(os.path.join(tmp, "out.txt"))
        except OSError as e:
            raise Fail("%s; stdout %r stderr %r" % (e, r.out[:300], r.err[:300]))
        for name in ("phase_one", "phase_two"):
            want = truth[name] * RATE
            if got[name] < 0.5 * want:
                probs.append("%s: %d samples, expected at least half of %.0f (it ran %.2fs)"
                             % (name, got[name], want, truth[name]))
        shell_tests.raise_probs(probs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def t_not_python(spy, interp):
    tmp = tempfile.mkdtemp(prefix="pyspy-launch-")
    try:
        t0 = time.time()
        r = shell_tests.spawn(spy, ["-nx", "-ex", "sample unlimited", "--batch", "--", "/bin/sleep", "5"], tmp)
        took = time.time() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    probs = shell_tests.expect(r, 2, out="")
    if "'/bin/sleep'" not in r.err or "is not a Python program" not in r.err:
        probs.append("stderr %r does not say /bin/sleep is not a Python program" % r.err[:300])
    if took > 5:
        probs.append("refused after %.1fs, expected at once (under 5 s)" % took)
    shell_tests.raise_probs(probs)


def t_ctrl_c(spy, interp):
    pexpect = tty_tests.pexpect
    tmp = tempfile.mkdtemp(prefix="pyspy-launch-")
    try:
        shutil.copy(PHASES, os.path.join(tmp, "phases.py"))
        if pexpect is None:
            raise harness.Skip(tty_tests.PEXPECT_ERROR)
        env = dict(shell_tests.clean_env(tmp), TERM="xterm", PAGER="cat")
        p = pexpect.spawn(spy.binary, ["-nx", "-ex", "sample unlimited", "-ex", "save out.txt", "--batch", "--",
                                       interp.path, "-B", "-E", "-s", "phases.py", "truth", "2"],
                          cwd=tmp, env=env, encoding="utf-8", codec_errors="replace", timeout=tty_tests.TIMEOUT)
        try:
            time.sleep(1.5)        # pyspy-sh and the program start, phase_one runs a while
            p.sendintr()           # the terminal sends SIGINT to its foreground process group
            p.expect(pexpect.EOF, timeout=harness.RUN_TIMEOUT)
            out = tty_tests.plain(p.before)
        finally:
            p.close(force=True)
        probs = []
        if p.exitstatus != 0:
            probs.append("exit %r (signal %r), expected 0, the program's own status; output %r"
                         % (p.exitstatus, p.signalstatus, out[-400:]))
        if "(interrupted; the samples taken are kept)" not in out:
            probs.append("sample was not interrupted: %r" % out[-400:])
        if "KeyboardInterrupt" in out:
            probs.append("the program got a KeyboardInterrupt: %r" % out[-400:])
        try:
            truth = read_truth(os.path.join(tmp, "truth"))
            got = phase_counts(os.path.join(tmp, "out.txt"))
        except OSError as e:
            raise Fail("%s (the program did not finish, or nothing was saved); output %r" % (e, out[-400:]))
        if truth.get("phase_two", 0) < 1.9:
            probs.append("phase_two ran %.2fs, expected 2 s undisturbed" % truth.get("phase_two", 0))
        if got["phase_one"] < 20:
            probs.append("%d samples of phase_one before Ctrl-C, expected at least 20" % got["phase_one"])
        shell_tests.raise_probs(probs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def t_quit(spy, interp):
    tmp = tempfile.mkdtemp(prefix="pyspy-launch-")
    try:
        shutil.copy(PHASES, os.path.join(tmp, "phases.py"))
        s = tty_tests.Session(spy, ["-nx", "--", interp.path, "-B", "-E", "-s",
                                    os.path.join(tmp, "phases.py"), os.path.join(tmp, "truth"), "30"], tmp)
        question = "kill it, wait for it to exit, or cancel? (k/w/c) "
        try:
            s.p.send("quit\r")
            s.p.expect_exact(question, timeout=tty_tests.TIMEOUT)
            s.p.send("c\r")
            s.prompt()
            t0 = time.time()
            s.p.send("quit\r")
            s.p.expect_exact(question, timeout=tty_tests.TIMEOUT)
            s.p.send("k\r")
            s.p.expect(tty_tests.pexpect.EOF, timeout=tty_tests.TIMEOUT)
            took = time.time() - t0
            s.p.close(force=True)
        finally:
            s.close()
        probs = []
        if s.p.exitstatus != 137:
            probs.append("exit %r, expected 137 (the program killed by SIGKILL)" % s.p.exitstatus)
        if took > 10:
            probs.append("kill took %.1fs" % took)
        if os.path.exists(os.path.join(tmp, "truth")):
            probs.append("the program finished: it was not killed")
        shell_tests.raise_probs(probs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# counts samples per phase: never alongside another interpreter's tests
EXCLUSIVE = True

PER_INTERP = (("launch_phases", t_phases),)
ONCE = (("launch_not_python", t_not_python), ("launch_ctrl_c", t_ctrl_c), ("launch_quit", t_quit))


def run_per_interp(res, interp, spy):
    for name, fn in PER_INTERP:
        full = "%s[%s]" % (name, interp.label)
        if interp.missing:
            if res.wanted(full):
                res.skip(full, interp.missing)
            continue
        res.run(full, fn, (interp, spy))


def run_once(res, spy, interps):
    usable = [i for i in interps if not i.missing]
    if not usable:
        return
    pyenv = [i for i in usable if i.label.startswith("pyenv")]
    for name, fn in ONCE:
        res.run(name, fn, spy, (pyenv or usable)[-1])
