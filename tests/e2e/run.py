#!/usr/bin/python3
"""End-to-end tests for pyspy-sh: attach to real interpreters and compare what
pyspy-sh reports with what the target recorded about itself.

Run with /usr/bin/python3 (standard library only):

    tests/e2e/run.py [-k SUBSTR] [--python PATH]... [--binary PATH] [-v]

Prints one line per test (PASS name / FAIL name: reason / SKIP name: reason)
and, as the very last line, "N passed, N failed, N skipped".  Exit status 1
if anything failed.  See tests/e2e/README.
"""
import argparse
import glob
import json
import os
import random
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

REPO = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TARGETS = os.path.join(REPO, "tests", "targets")
STACKS = os.path.join(TARGETS, "stacks.py")
STATUS = os.path.join(TARGETS, "status.py")
EXITING = os.path.join(TARGETS, "exiting.py")

# Hang detector only (never a performance assertion); generous for ASan builds.
RUN_TIMEOUT = float(os.environ.get("PYSPY_TEST_TIMEOUT", "180"))
READY_TIMEOUT = 120.0

EXIT_OK, EXIT_PARTIAL, EXIT_ATTACH, EXIT_USAGE = 0, 1, 2, 64
SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                     "MemorySanitizer", "ThreadSanitizer", "runtime error:")

VERBOSE = False


def log(msg):
    if VERBOSE:
        sys.stderr.write("  .. %s\n" % msg)
        sys.stderr.flush()


class Fail(Exception):
    pass


class Skip(Exception):
    pass


# ------------------------------------------------------------------ results

class Results(object):
    def __init__(self, pattern):
        self.pattern = pattern
        self.passed = self.failed = self.skipped = 0

    def wanted(self, name):
        return self.pattern is None or self.pattern in name

    def _emit(self, line):
        sys.stdout.write(line.replace("\r", " ").replace("\n", " | ") + "\n")
        sys.stdout.flush()

    def ok(self, name):
        self.passed += 1
        self._emit("PASS %s" % name)

    def fail(self, name, reason):
        self.failed += 1
        self._emit("FAIL %s: %s" % (name, reason))

    def skip(self, name, reason):
        self.skipped += 1
        self._emit("SKIP %s: %s" % (name, reason))

    def run(self, name, fn, *args):
        if not self.wanted(name):
            return
        try:
            fn(*args)
        except Fail as e:
            self.fail(name, str(e))
        except Skip as e:
            self.skip(name, str(e))
        except Exception as e:  # a bug in the test or an unexpected condition
            tb = traceback.format_exc().strip().splitlines()
            self.fail(name, "test error: %r (%s)" % (e, " / ".join(tb[-3:])))
        else:
            self.ok(name)


# ------------------------------------------------------------------ interpreters

class Interp(object):
    def __init__(self, path, label, missing=None):
        self.path = path
        self.label = label
        self.missing = missing      # reason string when unusable
        self.version = None         # (major, minor, micro)

    @property
    def vstr(self):
        return "%d.%d.%d" % self.version


PROBE = ("import sys, platform, json; sys.stdout.write(json.dumps("
         "{'v': list(sys.version_info[:3]), 'impl': platform.python_implementation()}))")


def version_key(name):
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", name)]


def probe(interp):
    if interp.missing:
        return interp
    if not os.path.isfile(interp.path) or not os.access(interp.path, os.X_OK):
        interp.missing = "%s not found or not executable" % interp.path
        return interp
    try:
        out = subprocess.run([interp.path, "-E", "-s", "-c", PROBE], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                             env=target_env())
    except Exception as e:
        interp.missing = "cannot run %s: %s" % (interp.path, e)
        return interp
    try:
        info = json.loads(out.stdout.decode())
    except Exception:
        interp.missing = "cannot run %s (rc %s): %s" % (
            interp.path, out.returncode, out.stderr.decode(errors="replace").strip()[-300:])
        return interp
    if info["impl"] != "CPython":
        interp.missing = "%s is %s, not CPython" % (interp.path, info["impl"])
    elif tuple(info["v"]) < (2, 7):
        interp.missing = "%s is Python %s, older than 2.7" % (interp.path, info["v"])
    interp.version = tuple(info["v"])
    return interp


def discover(explicit):
    """Interpreters to test, each probed; absent ones carry .missing."""
    found = []
    env_list = os.environ.get("PYSPY_TEST_PYTHONS")
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    if explicit or env_list:
        paths = explicit or env_list.split()
        for p in paths:
            found.append(Interp(p, None))
    else:
        vdir = os.path.join(pyenv_root, "versions")
        versions = sorted(glob.glob(os.path.join(vdir, "*")), key=lambda p: version_key(os.path.basename(p)))
        versions = [v for v in versions if os.path.isdir(v) and not os.path.islink(v)]
        if not versions:
            found.append(Interp(os.path.join(vdir, "*", "bin", "python"), "pyenv",
                                missing="no pyenv versions under %s" % vdir))
        for v in versions:
            found.append(Interp(os.path.join(v, "bin", "python"), "pyenv-" + os.path.basename(v)))
        found.append(Interp("/usr/bin/python3", None))
    for it in found:
        probe(it)
        if it.label is None:
            real = os.path.realpath(it.path)
            if it.path.startswith("/usr/bin/") or real.startswith("/usr/bin/"):
                prefix = "system"
            elif os.path.realpath(pyenv_root) in real:
                prefix = "pyenv"
            else:
                prefix = os.path.basename(it.path)
            it.label = "%s-%s" % (prefix, it.vstr) if it.version else os.path.basename(it.path)
    seen = {}
    for it in found:        # unique labels
        n = seen.get(it.label, 0)
        seen[it.label] = n + 1
        if n:
            it.label = "%s#%d" % (it.label, n + 1)
    return found


# ------------------------------------------------------------------ processes

def target_env():
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("PYTHON"))
    env["LC_ALL"] = "C.UTF-8"
    env["LANG"] = "C.UTF-8"
    return env


class Target(object):
    """A target process that reports "ready" through an inherited pipe."""

    def __init__(self, interp, script, args, tmpdir, with_truth=True):
        self.interp = interp
        self.tmpdir = tmpdir
        self.truth_path = os.path.join(tmpdir, "truth.json") if with_truth else None
        self.err_path = os.path.join(tmpdir, "target.out")
        self.proc = None
        self.truth = None
        r, w = os.pipe()
        self.rfd = r
        argv = [interp.path, "-B", "-E", "-s", script]
        if with_truth:
            argv.append(self.truth_path)
        argv.append(str(w))
        argv += list(args)
        errf = open(self.err_path, "wb")
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=errf, stderr=errf,
                                         pass_fds=(w,), env=target_env(), cwd=tmpdir)
        finally:
            errf.close()
            os.close(w)
        self.pid = self.proc.pid

    def output_tail(self):
        try:
            with open(self.err_path, "rb") as f:
                return f.read().decode(errors="replace").strip()[-600:]
        except OSError:
            return ""

    def wait_ready(self, timeout=READY_TIMEOUT):
        deadline = time.time() + timeout
        buf = b""
        try:
            while b"ready" not in buf:
                left = deadline - time.time()
                if left <= 0:
                    raise Fail("target %s did not become ready within %ds; output: %s"
                               % (os.path.basename(self.proc.args[4]), timeout, self.output_tail()))
                rl, _, _ = select.select([self.rfd], [], [], min(left, 1.0))
                if rl:
                    chunk = os.read(self.rfd, 64)
                    if not chunk:
                        self.proc.wait(timeout=10)
                        raise Fail("target exited (rc %s) before it was ready; output: %s"
                                   % (self.proc.returncode, self.output_tail()))
                    buf += chunk
        finally:
            os.close(self.rfd)
            self.rfd = None
        if self.truth_path:
            with open(self.truth_path, encoding="utf-8") as f:
                self.truth = json.load(f)

    def tasks(self):
        try:
            return sorted(int(t) for t in os.listdir("/proc/%d/task" % self.pid))
        except OSError:
            return []

    def wait_tasks(self, count, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.tasks()) == count:
                return
            if self.proc.poll() is not None:
                raise Fail("target exited (rc %s); output: %s" % (self.proc.returncode, self.output_tail()))
            time.sleep(0.02)
        raise Fail("target pid %d has %d tasks, expected %d after %ds"
                   % (self.pid, len(self.tasks()), count, timeout))

    def kill(self):
        if self.rfd is not None:
            os.close(self.rfd)
            self.rfd = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()


def task_state(pid, tid):
    try:
        with open("/proc/%d/task/%d/stat" % (pid, tid)) as f:
            s = f.read()
        return s[s.rindex(")") + 2]
    except (OSError, ValueError, IndexError):
        return None


# x86_64 numbers: select, poll, nanosleep, futex, clock_nanosleep, pselect6, ppoll, futex_waitv
BLOCKING_SYSCALLS = (23, 7, 35, 202, 230, 270, 271, 449)


def task_syscall(pid, tid):
    """Syscall number a blocked task sits in, None if unknown (not x86_64, no access)."""
    if os.uname().machine != "x86_64":
        return None
    try:
        with open("/proc/%d/task/%d/syscall" % (pid, tid)) as f:
            first = f.read().split()[0]
    except (OSError, IndexError):
        return None
    return int(first) if first.lstrip("-").isdigit() else first


def settle(pid, tids, timeout=30):
    """Wait until every task in tids is asleep (S/D).  A pause by pyspy-sh wakes
    blocked threads for a moment (syscall restart); on a loaded machine that
    moment can outlast the next command.  Returns the last states seen."""
    deadline = time.time() + timeout
    while True:
        states = dict((tid, task_state(pid, tid)) for tid in tids)
        if all(s in ("S", "D") for s in states.values()) or time.time() > deadline:
            return states
        time.sleep(0.02)


# time.sleep's system call on x86-64 across versions: select, nanosleep, clock_nanosleep, pselect6
SLEEP_SYSCALLS = (23, 35, 230, 270)


def settle_in_sleep(pid, tids, timeout=30):
    """Like settle(), but each task must be asleep inside time.sleep itself: a
    thread waiting for the GIL is asleep too (a futex) but is about to run."""
    deadline = time.time() + timeout
    while True:
        states = dict((tid, task_state(pid, tid)) for tid in tids)
        calls = dict((tid, task_syscall(pid, tid)) for tid in tids)
        asleep = all(s in ("S", "D") for s in states.values())
        in_sleep = all(c is None or c in SLEEP_SYSCALLS for c in calls.values())
        if (asleep and in_sleep) or time.time() > deadline:
            return states
        time.sleep(0.02)


def proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
        return s[s.rindex(")") + 2]
    except (OSError, ValueError, IndexError):
        return None


# ------------------------------------------------------------------ running pyspy-sh

class Run(object):
    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out_b, self.err_b = argv, rc, out, err
        self.err = err.decode("utf-8", errors="replace")

    @property
    def out(self):
        try:
            return self.out_b.decode("utf-8")
        except UnicodeDecodeError as e:
            raise Fail("%s: stdout is not valid UTF-8 (%s): %r" % (self.cmd(), e, self.out_b[:300]))

    def cmd(self):
        return "pyspy-sh " + " ".join(a if re.match(r"^[\w./-]+$", a) else repr(a) for a in self.argv[1:])

    def describe(self):
        return "%s -> exit %s; stderr: %s" % (self.cmd(), self.rc, self.err.strip()[-800:] or "(empty)")


class Spy(object):
    def __init__(self, binary):
        self.binary = binary

    def available(self):
        if not (os.path.isfile(self.binary) and os.access(self.binary, os.X_OK)):
            raise Fail("binary not found or not executable: %s (run make at the repo root)" % self.binary)

    def run(self, args, timeout=RUN_TIMEOUT):
        self.available()
        argv = [self.binary] + [str(a) for a in args]
        try:
            cp = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise Fail("HANG: %s did not finish within %ds (killed); stderr: %s" % (
                " ".join(argv[1:]), timeout, (e.stderr or b"").decode(errors="replace")[-400:]))
        r = Run(argv, cp.returncode, cp.stdout, cp.stderr)
        log(r.describe()[:300])
        sane(r)
        return r

    def batch(self, pid, command, nonblocking=False):
        args = ["-p", pid]
        if nonblocking:
            args.append("--nonblocking")
        return self.run(args + ["-ex", command, "--batch"])

    def json_bt(self, pid, nonblocking=False):
        r = self.batch(pid, "bt --all --json", nonblocking)
        if r.rc != EXIT_OK:
            raise Fail("expected exit 0: %s" % r.describe())
        return parse_json_doc(r)


def sane(r):
    if r.rc < 0:
        raise Fail("CRASH: %s killed by signal %d; stderr: %s" % (r.cmd(), -r.rc, r.err[-800:]))
    for m in SANITIZER_MARKERS:
        if m in r.err:
            raise Fail("sanitizer report from %s: %s" % (r.cmd(), r.err[max(0, r.err.index(m) - 200):][:1500]))


def parse_json_doc(r):
    text = r.out
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise Fail("%s: stdout is not exactly one JSON document (%s); stdout starts: %r"
                   % (r.cmd(), e, text[:300]))
    if not isinstance(doc, dict) or not isinstance(doc.get("threads"), list):
        raise Fail("%s: JSON document has no \"threads\" list: %r" % (r.cmd(), text[:300]))
    return doc


def check_error_message(r, pid=None, words=None, what=""):
    first = r.err.strip().splitlines()[0] if r.err.strip() else ""
    if not first.startswith("pyspy-sh: "):
        raise Fail("%s: stderr does not start with 'pyspy-sh: ': %r" % (what, r.err[:300]))
    if pid is not None and str(pid) not in r.err:
        raise Fail("%s: message does not name pid %s: %r" % (what, pid, r.err.strip()[:300]))
    if words and not any(w in r.err.lower() for w in words):
        raise Fail("%s: message says none of %r: %r" % (what, words, r.err.strip()[:300]))


# ------------------------------------------------------------------ comparisons

def fmt_frame(f):
    if f is None:
        return "(none)"
    q = f.get("qualname")
    fn = f.get("function")
    name = fn if q in (None, fn) else "%s [qualname %s]" % (fn, q)
    return "%s (%s:%s)" % (name, f.get("file"), f.get("line"))


def tlabel(t):
    return "thread %r (tid %s)" % (t.get("name"), t.get("os_tid"))


def expected_qualname(frame, version):
    return frame["qualname"] if version >= (3, 11) else frame["function"]


def compare_frames(exp_frames, got_frames, version, where):
    if not isinstance(got_frames, list):
        return ["%s: frames is %r" % (where, got_frames)]
    n = max(len(exp_frames), len(got_frames))
    for i in range(n):
        e = exp_frames[i] if i < len(exp_frames) else None
        g = got_frames[i] if i < len(got_frames) else None
        if e is None or g is None:
            return ["%s: %d frames expected, %d reported; first difference at #%d: expected %s, got %s"
                    % (where, len(exp_frames), len(got_frames), i, fmt_frame(e), fmt_frame(g))]
        want = (e["function"], expected_qualname(e, version), e["file"], e["line"])
        have = (g.get("function"), g.get("qualname"), g.get("file"), g.get("line"))
        if want != have:
            fields = [k for k, a, b in zip(("function", "qualname", "file", "line"), want, have) if a != b]
            return ["%s: frame #%d differs in %s: expected %s, got %s"
                    % (where, i, "/".join(fields), fmt_frame(dict(zip(("function", "qualname", "file", "line"), want))),
                       fmt_frame(g))]
    return []


REQUIRED_KEYS = ("number", "thread_id", "os_tid", "name", "active", "gil", "frames")


def compare_doc(doc, truth, version, check_frames=True):
    """Problems (list of strings) between a bt --all --json document and the truth.
    (The "python" field is checked by its own test, python_version.)"""
    probs = []
    if doc.get("pid") != truth["pid"]:
        probs.append("pid: expected %s, got %r" % (truth["pid"], doc.get("pid")))
    got = {}
    for t in doc["threads"]:
        missing = [k for k in REQUIRED_KEYS if k not in t]
        if missing:
            probs.append("thread %r lacks keys %s" % (t.get("thread_id"), missing))
        if t.get("thread_id") in got:
            probs.append("thread_id %r reported twice" % t.get("thread_id"))
        got[t.get("thread_id")] = t
    exp_ids = [t["thread_id"] for t in truth["threads"]]
    lost = [tlabel(t) for t in truth["threads"] if t["thread_id"] not in got]
    extra = [tlabel(t) for tid, t in got.items() if tid not in exp_ids]
    if lost:
        probs.append("threads missing from the report: %s" % ", ".join(lost))
    if extra:
        probs.append("unexpected threads reported: %s (thread_ids %s)"
                     % (", ".join(extra), [tid for tid in got if tid not in exp_ids]))
    for e in truth["threads"]:
        g = got.get(e["thread_id"])
        if g is None:
            continue
        where = tlabel(e)
        if g.get("error"):
            probs.append("%s: walk error %r" % (where, g["error"]))
        if e.get("os_tid") is not None and g.get("os_tid") != e["os_tid"]:
            probs.append("%s: os_tid expected %s, got %r" % (where, e["os_tid"], g.get("os_tid")))
        if g.get("name") != e["name"]:
            probs.append("%s: name expected %r, got %r" % (where, e["name"], g.get("name")))
        if check_frames:
            probs += compare_frames(e["frames"], g.get("frames"), version, where)
    # numbering: 1.. from oldest (main) to newest
    if not lost and not extra:
        want = [(i + 1, t["thread_id"]) for i, t in enumerate(sorted(truth["threads"], key=lambda t: t["order"]))]
        have = sorted((t.get("number"), t.get("thread_id")) for t in doc["threads"])
        if want != have:
            names = dict((t["thread_id"], t["name"]) for t in truth["threads"])
            probs.append("numbering (oldest=1): expected %s, got %s" % (
                [(n, names.get(i)) for n, i in want], [(n, names.get(i)) for n, i in have]))
    return probs


HDR_RE = re.compile(r'^Thread\s+(\d+)\s*\(\s*OS\s+tid\s+(\d+)\s*,\s*(idle|active)\s*(,\s*gil\s*)?\)\s*:?\s*(.*?)\s*$')
FRAME_RE = re.compile(r'^\s*#(\d+)\s+(.*?\S)\s+\((.*):(\d+)\)\s*$')


def parse_bt_text(text):
    """[{number, os_tid, state, gil, name_raw, frames: [(qualname, file, line)], junk: [...]}]"""
    threads = []
    cur = None
    for line in text.splitlines():
        m = HDR_RE.match(line)
        if m:
            cur = {"number": int(m.group(1)), "os_tid": int(m.group(2)), "state": m.group(3),
                   "gil": bool(m.group(4)), "name_raw": m.group(5), "frames": [], "junk": []}
            threads.append(cur)
            continue
        m = FRAME_RE.match(line)
        if m and cur is not None:
            cur["frames"].append((int(m.group(1)), m.group(2), m.group(3), int(m.group(4))))
        elif line.strip() and cur is not None:
            cur["junk"].append(line)
    return threads


# ------------------------------------------------------------------ per-interpreter: stacks target

STACK_TESTS = ("target_truth", "python_version", "stacks_json", "stacks_text", "threads_text",
               "stacks_nonblocking", "blocked_state", "unicode", "locate_methods", "undisturbed")
STATUS_TESTS = ("status_active", "status_active_nonblocking", "status_gil")


class StacksContext(object):
    def __init__(self, interp, spy, target):
        self.interp, self.spy, self.target = interp, spy, target
        self.truth = target.truth
        self.pid = target.pid
        self._doc = None

    def settle(self):
        states = settle(self.pid, [t["os_tid"] for t in self.truth["threads"]])
        if not all(s in ("S", "D") for s in states.values()):
            raise Fail("precondition: blocked threads did not go back to sleep within 30s: %s" % states)

    def doc(self):
        if self._doc is None:
            self.settle()
            self._doc = self.spy.json_bt(self.pid)
        return self._doc


def t_target_truth(ctx):
    truth, v = ctx.truth, ctx.interp.version
    probs = list(truth.get("errors") or [])
    if truth["python"] != ctx.interp.vstr:
        probs.append("target says %s, probe said %s" % (truth["python"], ctx.interp.vstr))
    names = [t["name"] for t in truth["threads"]]
    want_names = ["MainThread", "sleeper", "lock-waiter", "event-waiter-renamed", "queue-getter",
                  "deep-recursion", "method", "closure", "generator", "lambda",
                  truth["unicode_thread_name"], None]
    if names != want_names:
        probs.append("thread names %r, expected %r" % (names, want_names))
    for t in truth["threads"]:
        if not t["frames"]:
            probs.append("%s has no frames" % tlabel(t))
        if t["os_tid"] is None:
            probs.append("%s: the target could not learn its kernel tid" % tlabel(t))
    if truth["threads"] and truth["threads"][0]["os_tid"] != ctx.pid:
        probs.append("main thread tid %s != pid %s" % (truth["threads"][0]["os_tid"], ctx.pid))
    by = dict((t["name"], t) for t in truth["threads"])
    inner = dict((n, [f["function"] for f in t["frames"]]) for n, t in by.items())
    want_inner = {
        "MainThread": ["idle_forever", "main", "<module>"],
        "deep-recursion": ["f_%02d" % i for i in range(50, 0, -1)] + ["deep_recursion"],
        "method": ["wait_here", "run_blocking", "method_caller"],
        "closure": ["inner", "closure_maker"],
        "generator": ["gen_body", "gen_consumer"],
        "lambda": ["<lambda>", "lambda_caller"],
        "event-waiter-renamed": ["wait", "wait", "event_waiter"],
        "queue-getter": ["wait", "get", "queue_getter"],
        None: ["raw_thread"],
    }
    if v >= (3, 0):
        want_inner[truth["unicode_thread_name"]] = [u"m\u00e9todo_\u00fc", u"funci\u00f3n_\u00f1", "unicode_named_thread"]
    for n, fs in want_inner.items():
        if inner.get(n, [])[:len(fs)] != fs:
            probs.append("thread %r innermost functions %r, expected %r" % (n, inner.get(n, [])[:len(fs)], fs))
    if v >= (3, 11):
        q = dict((n, [f["qualname"] for f in t["frames"]][:2]) for n, t in by.items())
        for n, fs in (("method", ["Outer.Inner.wait_here", "Worker.run_blocking"]),
                      ("closure", ["closure_maker.<locals>.inner", "closure_maker"])):
            if q.get(n) != fs:
                probs.append("thread %r qualnames %r, expected %r" % (n, q.get(n), fs))
    tasks = ctx.target.tasks()
    tids = sorted(t["os_tid"] for t in truth["threads"])
    if tasks != tids:
        probs.append("/proc/%d/task is %s, truth tids %s" % (ctx.pid, tasks, tids))
    # the kernel agrees every thread is parked in a blocking syscall
    for tid in tasks:
        sc = task_syscall(ctx.pid, tid)
        if sc is not None and sc not in BLOCKING_SYSCALLS:
            probs.append("task %d is in syscall %r, not a blocking wait" % (tid, sc))
    if probs:
        raise Fail("; ".join(probs))


def t_stacks_json(ctx):
    probs = compare_doc(ctx.doc(), ctx.truth, ctx.interp.version)
    if probs:
        raise Fail("bt --all --json vs truth: " + "; ".join(probs[:8]) +
                   (" (+%d more)" % (len(probs) - 8) if len(probs) > 8 else ""))


def t_locate_methods(ctx):
    """Each way of finding the interpreter, forced with PYSPY_LOCATE, must find
    the same threads: the symbol (all versions), the .PyRuntime section (3.10+,
    where it exists) and the validated scan (binaries without symbols)."""
    probs = []
    major, minor = ctx.interp.version[:2]
    methods = ["symbol", "scan"] + (["section"] if (major, minor) >= (3, 10) else [])
    for m in methods:
        os.environ["PYSPY_LOCATE"] = m
        try:
            r = ctx.spy.batch(ctx.target.pid, "bt --all --json")
            info = ctx.spy.batch(ctx.target.pid, "info")
        finally:
            del os.environ["PYSPY_LOCATE"]
        if r.rc != EXIT_OK:
            probs.append("%s: exit %d: %s" % (m, r.rc, r.err.strip()[:200]))
            continue
        found = re.search(r"found by (\w+)", info.out)
        if not found or not found.group(1).startswith(m):
            probs.append("%s: info says %r" % (m, found.group(0) if found else info.out[:200]))
        diff = compare_doc(parse_json_doc(r), ctx.truth, ctx.interp.version)
        if diff:
            probs.append("%s: %s" % (m, "; ".join(diff[:3])))
    if probs:
        raise Fail("; ".join(probs))


def t_python_version(ctx):
    got = ctx.doc().get("python")
    if got != ctx.truth["python"]:
        raise Fail("bt --all --json \"python\": expected %r (the target's sys.version_info), got %r"
                   % (ctx.truth["python"], got))


def t_stacks_nonblocking(ctx):
    ctx.settle()
    doc = ctx.spy.json_bt(ctx.pid, nonblocking=True)
    probs = compare_doc(doc, ctx.truth, ctx.interp.version)
    if probs:
        raise Fail("--nonblocking bt --all --json vs truth: " + "; ".join(probs[:8]))
    # --nonblocking never pauses: nothing was woken, nothing left stopped
    states = dict((t, task_state(ctx.pid, t)) for t in ctx.target.tasks())
    if any(s in ("t", "T") for s in states.values()):
        raise Fail("after --nonblocking, target task states are %s" % states)


def t_blocked_state(ctx):
    doc = ctx.doc()
    probs = []
    for t in doc["threads"]:
        if t.get("active") is not False:
            probs.append("thread %r (tid %s) active=%r, but it is blocked (kernel state %s)"
                         % (t.get("name"), t.get("os_tid"), t.get("active"), task_state(ctx.pid, t.get("os_tid") or 0)))
        if t.get("gil") not in (False, None):
            probs.append("thread %r gil=%r, but every thread is blocked with the GIL released"
                         % (t.get("name"), t.get("gil")))
    if probs:
        raise Fail("; ".join(probs))
    states = settle(ctx.pid, ctx.target.tasks(), timeout=10)
    if any(s not in ("S", "D") for s in states.values()):
        raise Fail("after bt, target task states are %s (left stopped?)" % states)


def t_stacks_text(ctx):
    ctx.settle()
    r = ctx.spy.batch(ctx.pid, "bt --all")
    if r.rc != EXIT_OK:
        raise Fail("expected exit 0: %s" % r.describe())
    parsed = parse_bt_text(r.out)
    if not parsed:
        raise Fail("no 'Thread N (OS tid T, idle|active): \"NAME\"' header found in: %r" % r.out[:400])
    by_tid = {}
    for t in parsed:
        by_tid.setdefault(t["os_tid"], []).append(t)
    probs = []
    order = sorted(ctx.truth["threads"], key=lambda t: t["order"])
    for num, e in enumerate(order, 1):
        where = tlabel(e)
        hs = by_tid.get(e["os_tid"], [])
        if len(hs) != 1:
            probs.append("%s: %d headers with OS tid %s" % (where, len(hs), e["os_tid"]))
            continue
        h = hs[0]
        if h["number"] != num:
            probs.append("%s: numbered %d, expected %d" % (where, h["number"], num))
        if h["state"] != "idle":
            probs.append("%s: reported %s, it is blocked" % (where, h["state"]))
        if e["name"] is not None and h["name_raw"] != '"%s"' % e["name"]:
            probs.append("%s: header name %r, expected %r" % (where, h["name_raw"], '"%s"' % e["name"]))
        want = [(i, expected_qualname(f, ctx.interp.version), f["file"], f["line"]) for i, f in enumerate(e["frames"])]
        have = h["frames"]
        if want != have:
            for i in range(max(len(want), len(have))):
                a = want[i] if i < len(want) else None
                b = have[i] if i < len(have) else None
                if a != b:
                    probs.append("%s: %d frames expected, %d parsed; first difference at #%d: expected %r, got %r%s"
                                 % (where, len(want), len(have), i, a, b,
                                    "; unparsed lines: %r" % h["junk"][:3] if h["junk"] else ""))
                    break
    if len(parsed) != len(order):
        probs.append("%d thread headers, expected %d" % (len(parsed), len(order)))
    if probs:
        raise Fail("bt --all text: " + "; ".join(probs[:8]))


def t_threads_text(ctx):
    ctx.settle()
    r = ctx.spy.batch(ctx.pid, "threads")
    if r.rc != EXIT_OK:
        raise Fail("expected exit 0: %s" % r.describe())
    lines = [l for l in r.out.splitlines() if l.strip()]
    probs = []
    used = set()
    for e in ctx.truth["threads"]:
        # the OS tid column (a bare search could hit the hex thread id or a path)
        pat = re.compile(r"^[* ]\s*\d+\s+%d\s" % e["os_tid"])
        hits = [i for i, l in enumerate(lines) if pat.search(l)]
        if len(hits) != 1:
            probs.append("%s: %d lines mention its OS tid" % (tlabel(e), len(hits)))
            continue
        line = lines[hits[0]]
        used.add(hits[0])
        if e["name"] is not None and e["name"] not in line:
            probs.append("%s: its line lacks the name: %r" % (tlabel(e), line))
        if re.search(r"\bactive\b", line) and not re.search(r"\bidle\b", line):
            probs.append("%s: reported active while blocked: %r" % (tlabel(e), line))
    others = [l for i, l in enumerate(lines) if i not in used]
    if len(others) > 1:     # allow one header line
        probs.append("%d lines for %d threads; extra lines: %r" % (len(lines), len(ctx.truth["threads"]), others[:4]))
    if probs:
        raise Fail("threads: " + "; ".join(probs[:8]) + "; output: %r" % r.out[:600])


def t_unicode(ctx):
    truth, v = ctx.truth, ctx.interp.version
    uname = truth["unicode_thread_name"]
    e = [t for t in truth["threads"] if t["name"] == uname]
    if len(e) != 1:
        raise Fail("target did not record its unicode-named thread")
    e = e[0]
    doc = ctx.doc()
    g = [t for t in doc["threads"] if t.get("thread_id") == e["thread_id"]]
    probs = []
    if not g:
        raise Fail("unicode-named thread (tid %s) missing from bt --all --json" % e["os_tid"])
    g = g[0]
    if g.get("name") != uname:
        probs.append("JSON thread name %r, expected %r" % (g.get("name"), uname))
    if v >= (3, 0):
        probs += compare_frames(e["frames"][:2], (g.get("frames") or [])[:2], v, "JSON unicode frames")
        ufile = e["frames"][0]["file"]
        if not ufile.endswith(truth["unicode_module"] + ".py"):
            probs.append("target recorded file %r" % ufile)
    r = ctx.spy.batch(ctx.pid, "bt --all")
    if r.rc != EXIT_OK:
        raise Fail("expected exit 0: %s" % r.describe())
    text = r.out
    if '"%s"' % uname not in text:
        probs.append("bt --all text lacks the quoted thread name %r" % uname)
    if v >= (3, 0):
        for f in e["frames"][:2]:
            s = "%s (%s:%d)" % (expected_qualname(f, v), f["file"], f["line"])
            if s not in text.replace("  ", " ") and not re.search(
                    re.escape(expected_qualname(f, v)) + r"\s+\(" + re.escape("%s:%d)" % (f["file"], f["line"])), text):
                probs.append("bt --all text lacks frame %r" % s)
    r = ctx.spy.batch(ctx.pid, "threads")
    if r.rc != EXIT_OK:
        raise Fail("expected exit 0: %s" % r.describe())
    if uname not in r.out:
        probs.append("threads output lacks %r" % uname)
    if probs:
        raise Fail("; ".join(probs))


def t_undisturbed(ctx):
    """Runs last: after all the attaching, the target is alive, every thread is
    still there and still asleep (a pause must not cut a sleep short)."""
    if ctx.target.proc.poll() is not None:
        raise Fail("stacks target died during the tests (rc %s); output: %s"
                   % (ctx.target.proc.returncode, ctx.target.output_tail()))
    tids = sorted(t["os_tid"] for t in ctx.truth["threads"])
    tasks = ctx.target.tasks()
    if tasks != tids:
        raise Fail("threads changed: /proc/%d/task is %s, was %s" % (ctx.pid, tasks, tids))
    states = settle(ctx.pid, tasks)
    if any(s not in ("S", "D") for s in states.values()):
        raise Fail("task states 30s after the tests: %s" % states)


def group_stacks(res, interp, spy):
    names = ["%s[%s]" % (t, interp.label) for t in STACK_TESTS]
    names = [n for n in names if res.wanted(n)]
    if not names:
        return
    if interp.missing:
        for n in names:
            res.skip(n, interp.missing)
        return
    tmpdir = tempfile.mkdtemp(prefix="pyspy-e2e-")
    target = None
    try:
        try:
            target = Target(interp, STACKS, [], tmpdir)
            target.wait_ready()
            target.wait_tasks(target.truth["expected_tasks"])
            # every task asleep before we look (they have been blocked since the truth was taken)
            deadline = time.time() + 30
            while time.time() < deadline:
                states = [task_state(target.pid, t) for t in target.tasks()]
                if all(s in ("S", "D") for s in states):
                    break
                time.sleep(0.05)
            log("stacks target pid %d ready (%s)" % (target.pid, interp.label))
        except Fail as e:
            for n in names:
                res.fail(n, "stacks target: %s" % e)
            return
        ctx = StacksContext(interp, spy, target)
        fns = {"undisturbed": t_undisturbed, "target_truth": t_target_truth, "python_version": t_python_version, "stacks_json": t_stacks_json, "stacks_text": t_stacks_text,
               "threads_text": t_threads_text, "stacks_nonblocking": t_stacks_nonblocking,
               "blocked_state": t_blocked_state, "unicode": t_unicode,
               "locate_methods": t_locate_methods}
        for t in STACK_TESTS:
            res.run("%s[%s]" % (t, interp.label), fns[t], ctx)
    finally:
        if target is not None:
            target.kill()
        shutil.rmtree(tmpdir, ignore_errors=True)


# ------------------------------------------------------------------ per-interpreter: status target

SNAPSHOTS = 8


def group_status(res, interp, spy):
    names = ["%s[%s]" % (t, interp.label) for t in STATUS_TESTS]
    names = [n for n in names if res.wanted(n)]
    if not names:
        return
    if interp.missing:
        for n in names:
            res.skip(n, interp.missing)
        return
    tmpdir = tempfile.mkdtemp(prefix="pyspy-e2e-")
    target = None
    try:
        try:
            target = Target(interp, STATUS, [], tmpdir)
            target.wait_ready()
            truth = target.truth
            target.wait_tasks(truth["expected_tasks"])
            roles = dict((t["thread_id"], t["role"]) for t in truth["threads"])
            spinner = [t for t in truth["threads"] if t["role"] == "spinner"][0]
            # precondition, from the kernel: spinner runnable, everyone else asleep
            deadline = time.time() + 30
            while True:
                st = dict((t["name"], task_state(target.pid, t["os_tid"])) for t in truth["threads"])
                if st["spinner"] == "R" and all(s == "S" for n, s in st.items() if n != "spinner"):
                    break
                if time.time() > deadline:
                    raise Fail("precondition: kernel task states %s (want spinner R, others S)" % st)
                time.sleep(0.05)
        except Fail as e:
            for n in names:
                res.fail(n, "status target: %s" % e)
            return
        snaps = {}

        def collect(nonblocking):
            key = bool(nonblocking)
            if key not in snaps:
                docs = []
                sleepers = [t["os_tid"] for t in truth["threads"] if t["role"] != "spinner"]
                for _ in range(SNAPSHOTS):
                    st = settle_in_sleep(target.pid, sleepers)
                    if not all(x in ("S", "D") for x in st.values()):
                        raise Fail("precondition: sleepers not asleep within 30s: %s" % st)
                    docs.append(spy.json_bt(target.pid, nonblocking=nonblocking))
                    time.sleep(0.05)
                snaps[key] = docs
            return snaps[key]

        def check_active(nonblocking):
            docs = collect(nonblocking)
            probs = []
            spin_active = 0
            for i, doc in enumerate(docs):
                got = dict((t.get("thread_id"), t) for t in doc["threads"])
                for e in truth["threads"]:
                    g = got.get(e["thread_id"])
                    if g is None:
                        probs.append("snapshot %d: %s missing" % (i, tlabel(e)))
                        continue
                    if e["role"] == "spinner":
                        spin_active += g.get("active") is True
                        fr = g.get("frames") or []
                        if not nonblocking or not g.get("error"):
                            if not fr or fr[0].get("function") != truth["spin_function"]:
                                probs.append("snapshot %d: spinner innermost frame %s, expected spin()"
                                             % (i, fmt_frame(fr[0] if fr else None)))
                            elif not nonblocking and (fr[0].get("line") != truth["spin_line"] or
                                                      fr[0].get("file") != truth["spin_file"]):
                                probs.append("snapshot %d: spinner at %s, expected line %d of %s"
                                             % (i, fmt_frame(fr[0]), truth["spin_line"], truth["spin_file"]))
                    elif g.get("active") is not False:
                        probs.append("snapshot %d: sleeping %s reported active=%r"
                                     % (i, tlabel(e), g.get("active")))
            need = (len(docs) * 6 + 9) // 10
            log("%s: spinner active in %d of %d %s snapshots" % (
                interp.label, spin_active, len(docs), "nonblocking" if nonblocking else "pausing"))
            if spin_active < need:
                probs.append("spinner reported active in %d of %d snapshots (want >= %d); kernel says %s"
                             % (spin_active, len(docs), need, task_state(target.pid, spinner["os_tid"])))
            if probs:
                raise Fail("; ".join(probs[:6]))

        def check_gil():
            docs = collect(False) + collect(True)
            probs = []
            known = held = 0
            for i, doc in enumerate(docs):
                holders = [t for t in doc["threads"] if t.get("gil") is True]
                if len(holders) > 1:
                    probs.append("snapshot %d: %d threads hold the GIL: %s"
                                 % (i, len(holders), [t.get("name") for t in holders]))
                for t in doc["threads"]:
                    role = roles.get(t.get("thread_id"))
                    if role in ("sleeper", "main") and t.get("gil") is True:
                        probs.append("snapshot %d: sleeping %s reported holding the GIL" % (i, tlabel(t)))
                    if role == "spinner" and t.get("gil") is not None:
                        known += 1
                        held += t.get("gil") is True
                    if t.get("gil") not in (True, False, None):
                        probs.append("snapshot %d: gil=%r is not true/false/null" % (i, t.get("gil")))
            log("%s: spinner gil known in %d of %d snapshots, held in %d" % (interp.label, known, len(docs), held))
            if probs:
                raise Fail("; ".join(probs[:6]))
            if known == 0:
                raise Skip("gil is null for the spinner in all %d snapshots (holder unknown on this version)"
                           % len(docs))
            need = (known * 6 + 9) // 10
            if held < need:
                raise Fail("spinner reported as GIL holder in %d of %d snapshots where gil was known (want >= %d)"
                           % (held, known, need))

        res.run("status_active[%s]" % interp.label, check_active, False)
        res.run("status_active_nonblocking[%s]" % interp.label, check_active, True)
        res.run("status_gil[%s]" % interp.label, check_gil)
    finally:
        if target is not None:
            target.kill()
        shutil.rmtree(tmpdir, ignore_errors=True)


# ------------------------------------------------------------------ bad input (once)

def unused_pid():
    try:
        pid_max = int(open("/proc/sys/kernel/pid_max").read())
    except (OSError, ValueError):
        pid_max = 32768
    rnd = random.Random(12345)
    for _ in range(1000):
        pid = rnd.randint(pid_max // 2, pid_max - 1)
        if not os.path.exists("/proc/%d" % pid):
            return pid
    raise Skip("could not find an unused pid")


def t_bad_pid(spy):
    pid = unused_pid()
    for cmd in ("threads", "bt --all --json"):
        r = spy.batch(pid, cmd)
        if r.rc != EXIT_ATTACH:
            raise Fail("expected exit 2 for a pid that does not exist: %s" % r.describe())
        check_error_message(r, pid, ("no process", "no such process", "does not exist"), "pid %d" % pid)


def t_not_python(spy):
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


def t_bad_usage(spy):
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


# ------------------------------------------------------------------ main

def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description="pyspy-sh end-to-end tests")
    ap.add_argument("-k", dest="pattern", help="only tests whose name contains SUBSTR")
    ap.add_argument("--python", action="append", default=[], metavar="PATH",
                    help="test only this interpreter (repeatable); default: pyenv versions + /usr/bin/python3, "
                         "or $PYSPY_TEST_PYTHONS")
    ap.add_argument("--binary", default=os.path.join(REPO, "pyspy-sh"), help="pyspy-sh binary (default: %(default)s)")
    ap.add_argument("-v", "--verbose", action="store_true", help="progress details on stderr")
    args = ap.parse_args()
    VERBOSE = args.verbose
    res = Results(args.pattern)
    spy = Spy(os.path.abspath(args.binary))
    interps = discover(args.python)
    for it in interps:
        log("interpreter %s: %s%s" % (it.label, it.path, " (%s)" % it.missing if it.missing else ""))
    # the test modules below import this one as "run": share one copy (one Fail class)
    sys.modules.setdefault("run", sys.modules[__name__])
    import values_tests
    import shell_tests
    import tty_tests
    import profile_tests
    import lua_tests
    import native_tests
    import safety_tests
    import badinput_tests
    import hostile_tests
    try:
        for it in interps:
            group_stacks(res, it, spy)
            group_status(res, it, spy)
            values_tests.group(res, it, spy)
            profile_tests.group(res, it, spy)
            lua_tests.group(res, it, spy)
            native_tests.group(res, it, spy)
        shell_tests.run_all(res, spy, interps)
        tty_tests.run_all(res, spy, interps)
        profile_tests.run_once(res, spy, interps)
        lua_tests.run_once(res, spy, interps)
        native_tests.run_once(res, spy, interps)
        safety_tests.run_once(res, spy, interps)
        badinput_tests.run_once(res, spy, interps)
        hostile_tests.run_once(res, spy, interps)
        res.run("bad_pid", t_bad_pid, spy)
        res.run("not_python", t_not_python, spy)
        res.run("zombie", t_zombie, spy, interps)
        res.run("bad_usage", t_bad_usage, spy)
        res.run("exit_while_reading", t_exit_while_reading, spy, interps)
    except KeyboardInterrupt:
        res.fail("interrupted", "KeyboardInterrupt")
    sys.stdout.write("%d passed, %d failed, %d skipped\n" % (res.passed, res.failed, res.skipped))
    sys.stdout.flush()
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
