"""Interactive sessions through a pseudo-terminal, and stop/continue (imported by run.py).

Needs pexpect (Debian: python3-pexpect, installed by tests/install-deps.sh);
without it the terminal tests are skipped with that reason.  Every session
runs with HOME in a temporary directory (history and ~/.pyspyinit isolated),
PAGER=cat, TERM=xterm, a 50x200 screen; one interpreter (the newest pyenv one).

  tty_completion   prompt "(pyspy) "; thr<TAB> -> thread, TAB TAB lists thread
                   threads; inf<TAB> -> "info "; print sm<TAB><TAB> in frame 1
                   of values.py lists small small_list small_tuple
  tty_history      `info`, then Up + Enter runs it again
  tty_repeat       an empty line repeats bt, up and list (next lines), not threads
  tty_frames       frame/up/down/list: '>' marks the frame's line, lines == the file;
                   print of a nested dict
  tty_colour       bt on a terminal has ANSI colour; with NO_COLOR, or --batch, none
  tty_stop         stop -> "(pyspy:stopped) ", counter frozen; `sample` (cpu) refuses,
                   saying the target is stopped; `sample --mode wall` says every tick
                   saw the same moment; continue -> "(pyspy) ", counter moves
  tty_ctrl_c       Ctrl-C during a long `print big_list` (5,000,000 items, limits
                   raised, output not read): back to the prompt, `info` still works
  tty_ctrl_d       Ctrl-D leaves with status 0; the target lives on, counter moving
  tty_sample_ctrl_c  Ctrl-C during `sample 60s` (busy.py): the progress line showed
                   samples, the prompt comes back within the hang timeout, the summary
                   says it was interrupted, and `top` shows the partial profile with
                   hot_leaf (busy.py's own record of its hot function) on top
  tty_top_live     frame TAB TAB on busy.py lists 0 1 2 ... 10 ... in numeric order;
                   with default settings (pager on, PAGER a script that leaves a mark:
                   it must not run) `top --live --rate 200` switches to
                   the alternate screen and redraws in place (hot_leaf on top, the header
                   counting real seconds and ticks, times not all 0) until q; the normal
                   screen and the prompt return and a static `top` shows the same
                   profile; Ctrl-C ends a second live view the same way
  stop_piped       the same stop/continue through piped stdin, paced by the test
  stop_sigkill     pyspy-sh killed (SIGKILL) while the target is stopped: the target runs on
"""
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time

import harness
import shell_tests

try:
    import pexpect
except ImportError as exc:      # reported as SKIP
    pexpect = None
    PEXPECT_ERROR = "pexpect cannot be imported (%s); install python3-pexpect" % exc

Fail = harness.Fail
VALUES = os.path.join(harness.TARGETS, "values.py")
BUSY = os.path.join(harness.TARGETS, "busy.py")
COUNTER = os.path.join(harness.TARGETS, "counter.py")
PROMPT = "(pyspy) "
STOPPED = "(pyspy:stopped) "
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TIMEOUT = 60        # hang detector for one expected answer


def plain(text):
    return ANSI.sub("", text).replace("\r", "").replace("\x07", "")


class Session(object):
    def __init__(self, spy, args, home, no_color=False, pager="cat"):
        if pexpect is None:
            raise harness.Skip(PEXPECT_ERROR)
        env = shell_tests.clean_env(home)
        env.update(TERM="xterm", PAGER=pager, LC_ALL="C.UTF-8")
        env.pop("INPUTRC", None)
        if no_color:
            env["NO_COLOR"] = "1"
        self.p = pexpect.spawn(spy.binary, [str(a) for a in args], env=env, encoding="utf-8",
                               codec_errors="replace", dimensions=(50, 200), timeout=TIMEOUT)
        self.prompt(PROMPT)

    def prompt(self, prompt=PROMPT, timeout=TIMEOUT):
        """Text up to the next prompt (escapes and CRs removed)."""
        try:
            self.p.expect_exact(prompt, timeout=timeout)
        except pexpect.TIMEOUT:
            raise Fail("no %r prompt within %ds; last output %r" % (prompt, timeout, plain(self.p.before)[-400:]))
        except pexpect.EOF:
            raise Fail("pyspy-sh ended while a %r prompt was expected; output %r"
                       % (prompt, plain(self.p.before)[-400:]))
        return plain(self.p.before)

    def cmd(self, line, prompt=PROMPT):
        """Output of one command line (without the echoed line)."""
        self.p.send(line + "\r")
        text = self.prompt(prompt)
        first, _, rest = text.partition("\n")
        return rest

    def drain(self, seconds=0.5):
        out, end = "", time.time() + seconds
        while time.time() < end:
            try:
                out += self.p.read_nonblocking(65536, timeout=0.05)
            except pexpect.TIMEOUT:
                pass
        return out

    def close(self):
        if self.p.isalive():
            self.p.terminate(force=True)


class Ctx(object):
    def __init__(self, spy, interps):
        self.spy, self.interps = spy, interps
        self.tmp = tempfile.mkdtemp(prefix="pyspy-e2e-")
        self.home = os.path.join(self.tmp, "home")
        os.mkdir(self.home)
        self.targets, self.errors = {}, {}

    def target(self, script, args=()):
        if script in self.errors:
            raise Fail(self.errors[script])
        if script not in self.targets:
            interp = shell_tests.pick(self.interps)
            d = os.path.join(self.tmp, os.path.basename(script))
            os.mkdir(d)
            try:
                t = harness.Target(interp, script, list(args), d)
                self.targets[script] = t
                t.wait_ready()
            except Fail as e:
                self.errors[script] = "%s: %s" % (os.path.basename(script), e)
                raise Fail(self.errors[script])
        return self.targets[script]

    def session(self, target, no_color=False, extra=(), pager="cat"):
        return Session(self.spy, ["-p", target.pid, "-nx"] + list(extra), self.home, no_color, pager)

    def close(self):
        for t in self.targets.values():
            t.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


# ------------------------------------------------------------------ tests

def t_completion(ctx):
    t = ctx.target(VALUES)
    s = ctx.session(t)
    try:
        probs = []
        s.p.send("thr\t")
        got = plain(s.drain())
        if got != "thread":
            probs.append("thr<TAB> gave %r, expected 'thread'" % got)
        s.p.send("\t")
        s.drain(0.3)
        s.p.send("\t")
        got = plain(s.drain())
        if not re.search(r"\bthread\s+threads\b", got):
            probs.append("TAB TAB after 'thread' listed %r, expected thread and threads" % got)
        s.p.send("\x15inf\t")            # Ctrl-U: clear the line
        got = plain(s.drain())
        if not got.endswith("info "):
            probs.append("inf<TAB> gave %r, expected 'info '" % got)
        s.p.send("\x15")
        s.drain(0.2)
        out = s.cmd("frame 1")
        if not out.startswith("#1  hold_values "):
            probs.append("frame 1 printed %r" % out)
        s.p.send("print sm\t")
        got = plain(s.drain())
        if not got.endswith("print small"):
            probs.append("print sm<TAB> gave %r, expected 'print small'" % got)
        s.p.send("\t")
        s.drain(0.3)
        s.p.send("\t")
        got = plain(s.drain())
        if not all(re.search(r"\b%s\b" % w, got) for w in ("small", "small_list", "small_tuple")):
            probs.append("TAB TAB after 'print small' listed %r, expected small small_list small_tuple" % got)
        s.p.send("_l\t\r")
        out = s.prompt()
        if "small_list = [1, 'two', 3.0]" not in out:
            probs.append("print small_l<TAB><Enter> printed %r" % out[-200:])
        if probs:
            raise Fail("; ".join(probs))
    finally:
        s.close()


def t_history(ctx):
    t = ctx.target(VALUES)
    s = ctx.session(t)
    try:
        first = s.cmd("info")
        if not re.search(r"^process: +%d " % t.pid, first, re.M):
            raise Fail("info printed %r" % first[:300])
        s.p.send("\x1b[A")               # Up
        s.drain(0.3)
        s.p.send("\r")
        again = s.prompt()
        if len(re.findall(r"^process: +%d " % t.pid, again, re.M)) != 1:
            raise Fail("Up + Enter after info printed %r, expected info's output again" % again[:300])
        s.p.sendeof()                     # history is written when the session ends
        s.p.expect(pexpect.EOF, timeout=TIMEOUT)
    finally:
        s.close()
    hist = os.path.join(ctx.home, ".pyspy_history")
    if not os.path.exists(hist) or "info" not in open(hist).read():
        raise Fail("the session's history was not saved to $HOME/.pyspy_history")


def t_repeat(ctx):
    t = ctx.target(VALUES)
    s = ctx.session(t)
    try:
        probs = []
        bt = s.cmd("bt")
        if "#1  hold_values (" not in bt:
            raise Fail("bt printed %r" % bt[:300])
        again = s.cmd("")
        if again.strip() != bt.strip():
            probs.append("empty line after bt printed %r, expected bt again" % again[:300])
        out = s.cmd("up")
        if not out.startswith("#1  hold_values "):
            probs.append("up printed %r" % out)
        out = s.cmd("")
        if not out.startswith("#2  main "):
            probs.append("empty line after up printed %r, expected '#2  main ...'" % out)
        s.cmd("frame 1")
        first = s.cmd("list")
        nums = [int(m) for m in re.findall(r"^[ >] *(\d+)  ", first, re.M)]
        nxt = s.cmd("")
        nums2 = [int(m) for m in re.findall(r"^[ >] *(\d+)  ", nxt, re.M)]
        if not nums or not nums2 or nums2[0] != nums[-1] + 1:
            probs.append("empty line after list showed lines %s, after %s" % (nums2, nums))
        out = s.cmd("threads")
        if str(t.pid) not in out:
            probs.append("threads printed %r" % out)
        out = s.cmd("")
        if out.strip():
            probs.append("empty line after threads printed %r, expected nothing" % out[:200])
        if probs:
            raise Fail("; ".join(probs))
    finally:
        s.close()


def check_listing(text, path, mark):
    """Problems of a `list` output against the file's lines."""
    with open(path, encoding="utf-8") as f:
        src = f.read().split("\n")
    probs, marked = [], []
    for line in text.split("\n"):
        if not line:
            continue
        m = re.match(r"^([ >]) *(\d+)  (.*)$", line)
        if not m:
            probs.append("list line %r" % line)
            continue
        no = int(m.group(2))
        if m.group(1) == ">":
            marked.append(no)
        if no > len(src) or m.group(3) != src[no - 1]:
            probs.append("list line %d is %r, the file has %r" % (no, m.group(3), src[no - 1] if no <= len(src) else None))
    if marked != [mark]:
        probs.append("'>' on lines %s, expected on %d" % (marked, mark))
    return probs


def t_frames(ctx):
    t = ctx.target(COUNTER)
    truth = t.truth
    s = ctx.session(t)
    try:
        probs = []
        names = [f[0] for f in truth["frames"]]
        for i, (fn, line) in enumerate(truth["frames"]):
            out = s.cmd("frame %d" % i)
            want = "#%d  %s (%s:%d)" % (i, fn, truth["file"], line)
            if out.strip() != want:
                probs.append("frame %d printed %r, expected %r" % (i, out.strip(), want))
            probs += check_listing(s.cmd("list"), truth["file"], line)
        out = s.cmd("down 2")
        if not out.startswith("#1  hold "):
            probs.append("down 2 from frame 3 printed %r" % out)
        out = s.cmd("print nested")
        if out.strip() != "nested = " + truth["nested"]:
            probs.append("print nested printed %r, expected %r" % (out.strip(), "nested = " + truth["nested"]))
        out = s.cmd("print nested['a']")
        if out.strip() != "nested['a'] = [1, (2, 3)]":
            probs.append("print nested['a'] printed %r" % out.strip())
        out = s.cmd("up")
        if not out.startswith("#2  %s " % names[2]):
            probs.append("up printed %r" % out)
        if probs:
            raise Fail("; ".join(probs[:8]))
    finally:
        s.close()


def t_colour(ctx):
    t = ctx.target(VALUES)
    probs = []
    for no_color, extra in ((False, []), (True, [])):
        s = ctx.session(t, no_color=no_color)
        try:
            s.p.send("bt\r")
            s.p.expect_exact(PROMPT)
            raw = s.p.before.split("\n", 1)[-1]
            colours = re.findall(r"\x1b\[[0-9;]*m", raw)
            if no_color and colours:
                probs.append("with NO_COLOR bt has colour escapes: %r" % raw[:200])
            if not no_color and not colours:
                probs.append("on a terminal without NO_COLOR bt has no colour: %r" % raw[:200])
        finally:
            s.close()
    # batch mode, even on a terminal: never
    p = pexpect.spawn(ctx.spy.binary, ["-p", str(t.pid), "-nx", "-ex", "bt", "--batch"],
                      env=dict(shell_tests.clean_env(ctx.home), TERM="xterm"), encoding="utf-8", timeout=TIMEOUT)
    p.expect(pexpect.EOF)
    p.close()
    if re.search(r"\x1b\[", p.before):
        probs.append("--batch on a terminal printed escapes: %r" % p.before[:200])
    if p.exitstatus != 0:
        probs.append("--batch bt on a terminal exited %s" % p.exitstatus)
    r = ctx.spy.run(["-p", t.pid, "-nx", "-ex", "bt", "--batch"])
    if "\x1b" in r.out:
        probs.append("--batch bt into a pipe printed escapes")
    if probs:
        raise Fail("; ".join(probs))


def counter_value(text):
    m = re.search(r"^counter = (\d+)$", text, re.M)
    if not m:
        raise Fail("no 'counter = N' in %r" % text[-300:])
    return int(m.group(1))


def t_stop(ctx):
    t = ctx.target(COUNTER)
    s = ctx.session(t)
    try:
        out = s.cmd("stop", prompt=STOPPED)
        if not re.match(r"pid %d stopped \(\d+ threads held\)" % t.pid, out):
            raise Fail("stop printed %r" % out)
        a = counter_value(s.cmd("print counter", prompt=STOPPED))
        time.sleep(0.5)
        b = counter_value(s.cmd("print counter", prompt=STOPPED))
        states = [harness.task_state(t.pid, tid) for tid in t.tasks()]
        if a != b:
            raise Fail("while stopped, counter went from %d to %d" % (a, b))
        if any(x not in ("t", "T") for x in states):
            raise Fail("while stopped, the kernel says the target's tasks are %s" % states)
        out = s.cmd("sample 0.2s", prompt=STOPPED)
        want = ("pyspy-sh: sample: pid %d is stopped (by 'stop'): its threads use no CPU, so a cpu-mode profile "
                "would be empty; 'continue' first, or 'sample ... --mode wall' for where it is held" % t.pid)
        if out.strip() != want:
            raise Fail("sample while stopped printed %r, expected %r" % (out.strip(), want))
        out = s.cmd("sample 0.1s --mode wall", prompt=STOPPED)
        if "(pid %d was stopped (by 'stop') throughout: every tick saw the same moment)" % t.pid not in out:
            raise Fail("sample --mode wall while stopped does not say the target was stopped: %r" % out)
        out = s.cmd("continue")
        if out.strip() != "pid %d continues" % t.pid:
            raise Fail("continue printed %r" % out)
        a = counter_value(s.cmd("print counter"))
        time.sleep(0.5)
        b = counter_value(s.cmd("print counter"))
        if b <= a:
            raise Fail("after continue, counter went from %d to %d" % (a, b))
    finally:
        s.close()


def t_ctrl_c(ctx):
    t = ctx.target(COUNTER)
    s = ctx.session(t)
    try:
        for c in ("set pager off", "set items 100000000", "set width 1000000", "set depth 100", "frame 1"):
            s.cmd(c)
        s.p.send("print big_list\r")
        try:
            s.p.expect(r"big_list = \[0, 1, 2, 3, (\d+, ){300}", timeout=TIMEOUT)
        except (pexpect.TIMEOUT, pexpect.EOF):
            raise Fail("print big_list did not start within %ds: %r" % (TIMEOUT, plain(s.p.before)[-300:]))
        s.p.sendintr()
        try:
            s.p.expect_exact(PROMPT, timeout=TIMEOUT)    # the rest is read while waiting
        except pexpect.TIMEOUT:
            raise Fail("no prompt within %ds of Ctrl-C during print big_list" % TIMEOUT)
        except pexpect.EOF:
            raise Fail("pyspy-sh ended on Ctrl-C during print big_list (status %s)" % s.p.exitstatus)
        out = s.cmd("info")
        if not re.search(r"^process: +%d " % t.pid, out, re.M):
            raise Fail("info after Ctrl-C printed %r" % out[:300])
        out = s.cmd("print counter")
        counter_value(out)
    finally:
        s.close()


def moving(ctx, t, home=None):
    """The target's counter moves, seen by fresh pyspy-sh runs."""
    def read():
        r = ctx.spy.run(["-p", t.pid, "-nx", "-ex", "print counter", "--batch"])
        if r.rc != 0:
            raise Fail("print counter: %s" % r.describe())
        return counter_value(r.out)
    a = read()
    time.sleep(0.3)
    b = read()
    if b <= a:
        raise Fail("the target's counter does not move (%d then %d); task states %s"
                   % (a, b, [harness.task_state(t.pid, x) for x in t.tasks()]))


def t_ctrl_d(ctx):
    t = ctx.target(COUNTER)
    s = ctx.session(t)
    try:
        s.cmd("stop", prompt=STOPPED)
        s.p.sendeof()
        try:
            s.p.expect(pexpect.EOF, timeout=TIMEOUT)
        except pexpect.TIMEOUT:
            raise Fail("Ctrl-D did not end the session within %ds" % TIMEOUT)
        s.p.close()
        if s.p.exitstatus != 0:
            raise Fail("Ctrl-D: exit status %s, signal %s" % (s.p.exitstatus, s.p.signalstatus))
    finally:
        s.close()
    if t.proc.poll() is not None:
        raise Fail("the target died after Ctrl-D (rc %s)" % t.proc.returncode)
    moving(ctx, t)


class Piped(object):
    """pyspy-sh reading commands from a pipe, written one at a time."""

    def __init__(self, ctx, t):
        self.p = subprocess.Popen([ctx.spy.binary, "-p", str(t.pid), "-nx"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=shell_tests.clean_env(ctx.home))

    def cmd(self, line, until):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()
        out, deadline = "", time.time() + TIMEOUT
        while not re.search(until, out, re.M):
            if time.time() > deadline:
                raise Fail("no answer to %r within %ds (got %r)" % (line, TIMEOUT, out))
            r, _, _ = select.select([self.p.stdout], [], [], 1)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                if not chunk:
                    raise Fail("pyspy-sh ended after %r (rc %s): %r"
                               % (line, self.p.wait(), self.p.stderr.read()[-300:]))
                out += chunk.decode("utf-8", "replace")
        return out

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        for f in (self.p.stdin, self.p.stdout, self.p.stderr):
            try:
                f.close()
            except (OSError, ValueError):
                pass


def t_stop_piped(ctx):
    t = ctx.target(COUNTER)
    p = Piped(ctx, t)
    try:
        p.cmd("stop", r"^pid \d+ stopped")
        a = counter_value(p.cmd("print counter", r"^counter = \d+$"))
        time.sleep(0.5)
        b = counter_value(p.cmd("print counter", r"^counter = \d+$"))
        if a != b:
            raise Fail("after stop, counter went from %d to %d" % (a, b))
        p.cmd("continue", r"^pid \d+ continues$")
        a = counter_value(p.cmd("print counter", r"^counter = \d+$"))
        time.sleep(0.5)
        b = counter_value(p.cmd("print counter", r"^counter = \d+$"))
        if b <= a:
            raise Fail("after continue, counter went from %d to %d" % (a, b))
        p.p.stdin.close()
        rc = p.p.wait(timeout=TIMEOUT)
        if rc != 0:
            raise Fail("piped session exited %d at end of input" % rc)
    finally:
        p.close()


def t_stop_sigkill(ctx):
    t = ctx.target(COUNTER)
    p = Piped(ctx, t)
    try:
        p.cmd("stop", r"^pid \d+ stopped")
        states = [harness.task_state(t.pid, x) for x in t.tasks()]
        if any(x not in ("t", "T") for x in states):
            raise Fail("after stop, the target's tasks are %s, expected stopped" % states)
        os.kill(p.p.pid, signal.SIGKILL)
        p.p.wait()
    finally:
        p.close()
    deadline = time.time() + 10
    while any(harness.task_state(t.pid, x) in ("t", "T") for x in t.tasks()) and time.time() < deadline:
        time.sleep(0.05)
    moving(ctx, t)


TOP_ROW = re.compile(r"^ *(\d+\.\d+)% +(\d+\.\d+)% +[\d.]+ +[\d.]+  (\S+) \((.*)\)$", re.M)


def top_rows(text):
    return [(float(m.group(1)), m.group(3), m.group(4)) for m in TOP_ROW.finditer(text)]


def check_top(text, truth, what):
    rows = top_rows(text)
    if not rows:
        raise Fail("%s: no rows in %r" % (what, text[-500:]))
    own, func, where = rows[0]
    if func != truth["leaf"] or where != truth["file"]:
        raise Fail("%s: top row is %s (%s), the target spins in %s (%s)"
                   % (what, func, where, truth["leaf"], truth["file"]))
    if own < 50:
        raise Fail("%s: %s has only %.1f%% own time" % (what, func, own))
    return rows


def t_sample_ctrl_c(ctx):
    t = ctx.target(BUSY)
    truth = t.truth
    s = ctx.session(t)
    try:
        s.cmd("set pager off")
        s.p.send("sample 60s --rate 200\r")
        try:
            s.p.expect(r"sampling pid \d+: [\d.]+s / 60.0s, ([1-9]\d*) samples", timeout=TIMEOUT)
        except (pexpect.TIMEOUT, pexpect.EOF):
            raise Fail("no progress line with samples within %ds: %r" % (TIMEOUT, plain(s.p.before)[-300:]))
        started = time.time()
        s.p.sendintr()
        out = s.prompt()
        if time.time() - started > 30:
            raise Fail("the prompt took %.0fs to come back after Ctrl-C" % (time.time() - started))
        m = re.search(r"sampled pid %d for ([\d.]+)s .*?(\d+) samples" % t.pid, out)
        if not m:
            raise Fail("no summary line after Ctrl-C: %r" % out[-400:])
        if float(m.group(1)) >= 59 or int(m.group(2)) == 0:
            raise Fail("summary after Ctrl-C: %r" % m.group(0))
        if "interrupt" not in out:
            raise Fail("the summary does not say the sample was interrupted: %r" % out[-400:])
        check_top(s.cmd("top -n 5"), truth, "top after Ctrl-C")
    finally:
        s.close()


LIVE_HEADER = re.compile(r"samples from pid \d+ over ([\d.]+)s \((\d+) ticks")
ALT_ON, ALT_OFF = "\x1b[?1049h", "\x1b[?1049l"


def live_screens(s, n):
    """The next n live frames (plain text), each checked for real elapsed time and ticks."""
    screens = []
    for _ in range(n):
        try:
            s.p.expect_exact("(q or Ctrl-C stops)", timeout=TIMEOUT)
        except (pexpect.TIMEOUT, pexpect.EOF):
            raise Fail("no live screen within %ds: %r" % (TIMEOUT, plain(s.p.before)[-300:]))
        screens.append(plain(s.p.before))
    m = LIVE_HEADER.search(screens[-1])
    if not m or float(m.group(1)) <= 0 or int(m.group(2)) <= 0:
        raise Fail("the live header does not count time and ticks: %r" % (m.group(0) if m else screens[-1][-300:]))
    return screens


def t_top_live(ctx):
    t = ctx.target(BUSY)
    truth = t.truth
    # default settings: the pager is on.  PAGER is a script that leaves a mark
    # when it runs, so the live view is shown never to go through it
    mark = os.path.join(ctx.tmp, "pager-ran")
    pager = os.path.join(ctx.tmp, "pager.sh")
    with open(pager, "w") as f:
        f.write("#!/bin/sh\necho \"$*\" >> '%s'\nexec cat\n" % mark)
    os.chmod(pager, 0o755)
    s = ctx.session(t, pager=pager)
    try:
        # frame numbers complete in their order (busy.py's thread is 30+ frames deep)
        s.p.send("frame \t")
        s.drain(0.3)
        s.p.send("\t")
        listed = [line.split() for line in plain(s.drain()).split("\n") if re.match(r"^\s*\d+(\s+\d+)*\s*$", line)]
        nums = [int(x) for row in listed for x in row]
        if len(listed) != 1 or len(nums) < 11 or nums != list(range(len(nums))):
            raise Fail("frame TAB TAB listed %r, expected one row 0 1 2 ... 10 ..." % listed)
        s.p.send("\x15")
        s.drain(0.2)
        s.p.send("top --live --rate 200 -n 5\r")
        try:
            s.p.expect_exact(ALT_ON, timeout=TIMEOUT)
        except (pexpect.TIMEOUT, pexpect.EOF):
            raise Fail("top --live did not switch to the alternate screen: %r" % plain(s.p.before)[-300:])
        screens = live_screens(s, 2)       # two redraws: it refreshes, not prints once
        if "\x1b[H" not in s.p.before:
            raise Fail("the live view does not draw in place (no cursor home between frames)")
        rows = check_top(screens[-1], truth, "live screen")
        if not re.search(r"%\s+\d+\.\d+%\s+0*[1-9]\d*\.\d+|%\s+\d+\.\d+%\s+0\.\d*[1-9]", screens[-1]):
            raise Fail("every time in the live table is 0.000: %r" % screens[-1][-400:])
        s.p.send("q")
        try:
            s.p.expect_exact(ALT_OFF, timeout=TIMEOUT)
        except (pexpect.TIMEOUT, pexpect.EOF):
            raise Fail("q did not leave the alternate screen: %r" % plain(s.p.before)[-300:])
        final = s.prompt()
        if os.path.exists(mark):
            raise Fail("top --live went through the pager (%s ran)" % pager)
        rows = check_top(final, truth, "table after q")
        again = check_top(s.cmd("top -n 5"), truth, "static top after the live view")
        if again[0][1] != rows[0][1]:
            raise Fail("static top %r differs from the live view's last table %r" % (again[0], rows[0]))
        # Ctrl-C ends it the same way, keeping what was gathered
        s.p.send("top --live -n 3\r")
        live_screens(s, 1)
        s.p.sendintr()
        final = s.prompt()
        m = LIVE_HEADER.search(final)
        if ALT_OFF not in s.p.before or not m or int(m.group(2)) <= 0:
            raise Fail("after Ctrl-C: no return to the normal screen or no profile: %r" % final[-400:])
        check_top(final, truth, "table after Ctrl-C")
    finally:
        s.close()


# ------------------------------------------------------------------ registration

# Run once, in this order, sharing one Ctx (targets by script, HOME).
ONCE = (("tty_completion", t_completion), ("tty_history", t_history), ("tty_repeat", t_repeat),
        ("tty_frames", t_frames), ("tty_colour", t_colour), ("tty_stop", t_stop),
        ("tty_ctrl_c", t_ctrl_c), ("tty_ctrl_d", t_ctrl_d),
        ("tty_sample_ctrl_c", t_sample_ctrl_c), ("tty_top_live", t_top_live), ("stop_piped", t_stop_piped),
        ("stop_sigkill", t_stop_sigkill))


def run_once(res, spy, interps):
    if not any(res.wanted(n) for n, _ in ONCE):
        return
    ctx = Ctx(spy, interps)
    try:
        for name, fn in ONCE:
            res.run(name, fn, ctx)
    finally:
        ctx.close()
