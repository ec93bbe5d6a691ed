"""The stacks group (imported by run.py): per interpreter, one
tests/targets/stacks.py target, whose 12 threads sit blocked at known points
and whose own record (frames innermost first, names, tids, creation order) is
the truth every test compares with.  The tests share that one target and run
in the order of PER_INTERP below; undisturbed runs last.

  target_truth        the target's own record is sane (and the kernel agrees
                      every thread is parked in a blocking syscall)
  python_version      "python" in the JSON equals the target's X.Y.Z
  stacks_json         bt --all --json == truth (frames, names, tids, numbering)
  stacks_text         bt --all: headers and every frame's qualname/file/line
  threads_text        threads: one line per thread with its tid and name
  stacks_nonblocking  --nonblocking bt --all --json == truth
  blocked_state       everything idle, nobody holds the GIL, nothing left stopped
  unicode             non-ASCII thread name, function, qualname, file name
  locate_methods      PYSPY_LOCATE=symbol|scan|section find the same threads
  undisturbed         afterwards the target is alive, same threads, all asleep
"""
import os
import re
import shutil
import tempfile
import time

from harness import (EXIT_OK, STACKS, Fail, Target, compare_doc, compare_frames, expected_qualname,
                     log, parse_bt_text, parse_json_doc, settle, task_state, task_syscall, tlabel)

# x86_64 numbers: select, poll, nanosleep, futex, clock_nanosleep, pselect6, ppoll, futex_waitv
BLOCKING_SYSCALLS = (23, 7, 35, 202, 230, 270, 271, 449)


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
        r = ctx.spy.batch(ctx.target.pid, "bt --all --json", env={"PYSPY_LOCATE": m})
        info = ctx.spy.batch(ctx.target.pid, "info", env={"PYSPY_LOCATE": m})
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


# ------------------------------------------------------------------ registration

# Run in this order on one shared target; a test's name is NAME[interpreter label].
PER_INTERP = (("target_truth", t_target_truth), ("python_version", t_python_version),
              ("stacks_json", t_stacks_json), ("stacks_text", t_stacks_text),
              ("threads_text", t_threads_text), ("stacks_nonblocking", t_stacks_nonblocking),
              ("blocked_state", t_blocked_state), ("unicode", t_unicode),
              ("locate_methods", t_locate_methods), ("undisturbed", t_undisturbed))


def run_per_interp(res, interp, spy):
    names = ["%s[%s]" % (t, interp.label) for t, _ in PER_INTERP]
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
        for t, fn in PER_INTERP:
            res.run("%s[%s]" % (t, interp.label), fn, ctx)
    finally:
        if target is not None:
            target.kill()
        shutil.rmtree(tmpdir, ignore_errors=True)
