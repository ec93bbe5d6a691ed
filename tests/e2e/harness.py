"""The shared part of the end-to-end tests: everything a test group needs and
no test of its own.  The driver (run.py) and every group file (*_tests.py)
import it as `harness`; see README for the layout.

  Results, Fail, Skip   one line per test (PASS/FAIL/SKIP), -k filtering;
                        a test raises Fail or Skip, anything else is a
                        "test error"
  Interp, discover      the interpreters under test, each probed once
  Target                a target script that says "ready" through a pipe and
                        writes its own ground truth (JSON)
  settle...             waits on the kernel's view of the target's tasks
  Spy, Run              pyspy-sh runs with a hang timeout; every run is checked
                        for crashes and sanitizer reports
  compare_frames, compare_doc, parse_bt_text, check_error_message
                        what pyspy-sh printed against the target's own record
  read_folded           a saved folded-stacks file, as (stack, count) pairs

Standard library only: run with /usr/bin/python3.
"""
import glob
import json
import os
import random
import re
import select
import subprocess
import sys
import time
import threading
import traceback

REPO = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TARGETS = os.path.join(REPO, "tests", "targets")
STACKS = os.path.join(TARGETS, "stacks.py")

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
    """Counts and PASS/FAIL/SKIP lines.  Safe to share between the worker
    threads of a parallel run: the counts are locked, and the lines of a
    thread that called buffer_output() are kept until it flushes them."""

    def __init__(self, pattern):
        self.pattern = pattern
        self.passed = self.failed = self.skipped = 0
        self._lock = threading.Lock()

    def wanted(self, name):
        return self.pattern is None or self.pattern in name

    def _emit(self, line):
        note(line.replace("\r", " ").replace("\n", " | "))

    def _count(self, attr):
        with self._lock:
            setattr(self, attr, getattr(self, attr) + 1)

    def ok(self, name):
        self._count("passed")
        self._emit("PASS %s" % name)

    def fail(self, name, reason):
        self._count("failed")
        self._emit("FAIL %s: %s" % (name, reason))

    def skip(self, name, reason):
        self._count("skipped")
        self._emit("SKIP %s: %s" % (name, reason))

    def run(self, name, fn, *args):
        if not self.wanted(name):
            return
        started = time.time()
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
        finally:
            if TIMES:
                note("  %s took %.1fs" % (name, time.time() - started))


# PYSPY_TEST_TIMES=1: each test's duration after its line (to find slow ones)
TIMES = bool(os.environ.get("PYSPY_TEST_TIMES"))
_out = threading.local()


def note(line):
    """A line of test output: straight to stdout, or into this thread's buffer."""
    buf = getattr(_out, "buf", None)
    if buf is not None:
        buf.append(line)
    else:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def buffer_output():
    _out.buf = []


def take_output():
    buf, _out.buf = getattr(_out, "buf", None) or [], None
    return buf


class CpuLock(object):
    """Shared for tests that only wait on their targets, exclusive for those
    that measure time or CPU (sampling rates, shares, active/idle status), so
    running interpreters in parallel never skews a measurement."""

    def __init__(self):
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting = 0          # writers waiting: new readers let them go first

    def shared(self):
        return _Hold(self, False)

    def exclusive(self):
        return _Hold(self, True)


class _Hold(object):
    def __init__(self, lock, exclusive):
        self.lock, self.exclusive = lock, exclusive

    def __enter__(self):
        c = self.lock._cond
        with c:
            if self.exclusive:
                self.lock._waiting += 1
                while self.lock._writer or self.lock._readers:
                    c.wait()
                self.lock._waiting -= 1
                self.lock._writer = True
            else:
                while self.lock._writer or self.lock._waiting:
                    c.wait()
                self.lock._readers += 1

    def __exit__(self, *exc):
        c = self.lock._cond
        with c:
            if self.exclusive:
                self.lock._writer = False
            else:
                self.lock._readers -= 1
            c.notify_all()


CPU = CpuLock()


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


DEBIAN_PREFIX = os.environ.get("PYSPY_PYTHONS_PREFIX", "/opt/pyspy-sh-pythons")
DEBIAN_VERSIONS = ("3.14", "3.15")


def debian_pythons():
    """Debian's own 3.14 and 3.15, as tests/install-pythons.sh installs them
    (make test runs it); one that is not there is skipped with the reason."""
    found = []
    for v in DEBIAN_VERSIONS:
        path = os.path.join(DEBIAN_PREFIX, "usr", "bin", "python" + v)
        if os.access(path, os.X_OK):
            found.append(Interp(path, None))
            continue
        why = "not installed: run tests/install-pythons.sh"
        try:
            with open(os.path.join(DEBIAN_PREFIX, "unavailable-%s.txt" % v)) as f:
                why = "not installed: " + f.read().strip()
        except OSError:
            pass
        found.append(Interp(path, "debian-" + v, missing=why))
    return found


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
        found.extend(debian_pythons())
    for it in found:
        probe(it)
        if it.label is None:
            real = os.path.realpath(it.path)
            if it.path.startswith("/usr/bin/") or real.startswith("/usr/bin/"):
                prefix = "system"
            elif real.startswith(os.path.realpath(DEBIAN_PREFIX) + "/"):
                prefix = "debian"
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

    def __init__(self, interp, script, args, tmpdir, with_truth=True, env=None):
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
                                         pass_fds=(w,), env=dict(target_env(), **(env or {})), cwd=tmpdir)
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

    def run(self, args, timeout=RUN_TIMEOUT, env=None):
        """Run pyspy-sh; env: extra environment variables for this run only
        (never os.environ: interpreters may be tested in parallel threads)."""
        self.available()
        argv = [self.binary] + [str(a) for a in args]
        full_env = dict(os.environ, **env) if env else None
        try:
            cp = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, timeout=timeout, env=full_env)
        except subprocess.TimeoutExpired as e:
            raise Fail("HANG: %s did not finish within %ds (killed); stderr: %s" % (
                " ".join(argv[1:]), timeout, (e.stderr or b"").decode(errors="replace")[-400:]))
        r = Run(argv, cp.returncode, cp.stdout, cp.stderr)
        log(r.describe()[:300])
        sane(r)
        return r

    def batch(self, pid, command, nonblocking=False, env=None):
        args = ["-p", pid]
        if nonblocking:
            args.append("--nonblocking")
        return self.run(args + ["-ex", command, "--batch"], env=env)

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


FOLDED_LINE = re.compile(r"^(.*) (\d+)$")


def gecko_window(path):
    """The wall-clock span (s) a Gecko profile's samples cover: the window a
    truth the target keeps over time is taken over."""
    with open(path) as f:
        doc = json.load(f)
    times = [s[1] for th in doc["threads"] for s in th["samples"]["data"]]
    start = doc["meta"]["startTime"] / 1000.0
    return start + min(times) / 1000.0, start + max(times) / 1000.0


def read_folded(path, errors="strict"):
    """[(stack, count)] for each line of a folded-stacks file, in file order:
    stack is the line's frames as written (root first, joined by ";"), count an
    int.  A line that is not 'STACK COUNT' fails the test."""
    out = []
    with open(path, encoding="utf-8", errors=errors) as f:
        for line in f:
            m = FOLDED_LINE.match(line.rstrip("\n"))
            if not m:
                raise Fail("folded line is not 'frames COUNT': %r" % line[:200])
            out.append((m.group(1), int(m.group(2))))
    return out
