"""Lua scripting through the real binary (imported by run.py).

Per interpreter:
  lua_threads      tests/lua/threads.lua on stacks.py: threads, names, tids and
                   every frame (function, qualname, file, line) against the
                   target's own record; stale thread handles, detached and
                   stale processes, bad argument messages, pyspy.cmd, stop/cont
  lua_locals       tests/lua/locals.lua on values.py: locals as Lua values
  lua_sample       tests/lua/sample.lua on busy.py: on_sample count == profile
                   count, top/stacks/save/merge, error() in on_sample keeps the
                   profile
  lua_record       scripts/record.lua: the flame graph holds hot_leaf, the
                   speedscope file names it, the top-20 report starts with it
  lua_report       scripts/report.lua: the module and the hottest line
  lua_slow_calls   scripts/slow-calls.lua: hot_leaf listed, called from descend
  lua_hang_fires   scripts/hang-watch.lua on hangs.py deadlock: the report file
                   holds both workers in take_second
  lua_hang_quiet   scripts/hang-watch.lua on hangs.py working: no report
Once:
  lua_errors       syntax and runtime errors (file:line, traceback, exit 1),
                   a missing script, could not attach (exit 2), script
                   arguments, globals kept between `lua` lines, `source x.lua`,
                   scripts found by name from elsewhere and in ~/.pyspy-sh/scripts,
                   `info scripts`
  lua_ctrl_c       a runaway `lua while true do end` and `pyspy.sleep(1000)`
                   stopped by Ctrl-C in the interactive shell
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import xml.dom.minidom

import harness

LUA_TESTS = os.path.join(harness.REPO, "tests", "lua")
SCRIPTS = os.path.join(harness.REPO, "scripts")
BUSY = os.path.join(harness.TARGETS, "busy.py")
VALUES = os.path.join(harness.TARGETS, "values.py")
HANGS = os.path.join(harness.TARGETS, "hangs.py")
Fail = harness.Fail


def to_lua(v):
    """A JSON value as a Lua expression."""
    if v is None:
        return "nil"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"%s"' % "".join(c if c.isalnum() or c in " ._-/<>()[]{},:=+*'#@" else
                                "".join("\\%d" % b for b in c.encode("utf-8")) for c in v)
    if isinstance(v, list):
        return "{%s}" % ", ".join(to_lua(x) for x in v)
    return "{%s}" % ", ".join("[%s] = %s" % (to_lua(k), to_lua(x)) for k, x in v.items())


def write_truth(target, tmpdir):
    path = os.path.join(tmpdir, "truth.lua")
    with open(path, "w") as f:
        f.write("return " + to_lua(target.truth) + "\n")
    return path


class Started(object):
    def __init__(self, interp, script, args=()):
        self.tmpdir = tempfile.mkdtemp(prefix="pyspy-e2e-")
        self.target = None
        self.target = harness.Target(interp, script, list(args), self.tmpdir)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.target:
            self.target.kill()
        shutil.rmtree(self.tmpdir, ignore_errors=True)


def run_lua_test(spy, target, tmpdir, name, *extra):
    r = spy.run(["-p", target.pid, "-nx", "-x", os.path.join(LUA_TESTS, name), "--",
                 write_truth(target, tmpdir)] + list(extra))
    if r.rc != 0 or not re.search(r"^%s: \d+ checks passed, 0 failed$" % re.escape(name), r.out, re.M):
        fails = [l for l in r.out.splitlines() if l.startswith("FAIL")]
        raise Fail("%s: exit %d; %s; stderr: %s" % (name, r.rc, " | ".join(fails[:6]) or r.out[-300:], r.err[-500:]))


def t_threads(interp, spy):
    with Started(interp, harness.STACKS) as st:
        st.target.wait_ready()
        st.target.wait_tasks(st.target.truth["expected_tasks"])
        harness.settle(st.target.pid, st.target.tasks())
        run_lua_test(spy, st.target, st.tmpdir, "threads.lua")


def t_locals(interp, spy):
    with Started(interp, VALUES) as st:
        st.target.wait_ready()
        harness.settle_in_sleep(st.target.pid, [st.target.pid])
        run_lua_test(spy, st.target, st.tmpdir, "locals.lua")


def t_sample(interp, spy):
    with Started(interp, BUSY) as st:
        st.target.wait_ready()
        run_lua_test(spy, st.target, st.tmpdir, "sample.lua", st.tmpdir)


def run_script(spy, target, name, *args):
    r = spy.run(["-p", target.pid, "-nx", "-x", name, "--"] + [str(a) for a in args])
    if r.rc != 0:
        raise Fail("%s: %s" % (name, r.describe()))
    return r


def t_record(interp, spy):
    with Started(interp, BUSY) as st:
        st.target.wait_ready()
        prefix = os.path.join(st.tmpdir, "rec")
        r = run_script(spy, st.target, "record.lua", 1, 200, prefix)
        svg = xml.dom.minidom.parse(prefix + ".svg")
        titles = " ".join(t.firstChild.data for t in svg.getElementsByTagName("title") if t.firstChild)
        if "hot_leaf" not in titles:
            raise Fail("the flame graph has no hot_leaf frame")
        with open(prefix + ".speedscope.json") as f:
            doc = json.load(f)
        if not any(fr.get("name", "").startswith("hot_leaf") for fr in doc["shared"]["frames"]):
            raise Fail("the speedscope file does not name hot_leaf")
        with open(prefix + ".top.txt") as f:
            lines = f.read().splitlines()
        if len(lines) < 3 or not re.match(r"^ *\d+\.\d\d%% +\d+\.\d\d%%  hot_leaf \(%s\)$" % re.escape(st.target.truth["file"]), lines[2]):
            raise Fail("top report's first row is not hot_leaf: %r" % lines[:3])
        if "wrote %s.svg" % prefix not in r.out:
            raise Fail("record.lua did not say what it wrote: %r" % r.out[-300:])


def t_report(interp, spy):
    with Started(interp, BUSY) as st:
        st.target.wait_ready()
        r = run_script(spy, st.target, "report.lua", 1, 200, 3)
        out = r.out
        mod = re.search(r"^Time by module\n.*\n +(\d+\.\d\d)% +\d+\.\d\d% +busy$", out, re.M)
        if not mod or float(mod.group(1)) < 80:
            raise Fail("module 'busy' is not first with most own time: %r" % out[:500])
        f = re.escape(st.target.truth["file"])
        hot = re.search(r"^  %s  \(.*\n +(\d+\.\d\d)%%  line (\d+) +hot_leaf$" % f, out, re.M)
        leaf = st.target.truth["leaf_line"]
        if not hot or int(hot.group(2)) not in (leaf - 1, leaf):
            raise Fail("hottest line is not hot_leaf's loop (line %d): %r" % (leaf, out[-600:]))


def t_slow_calls(interp, spy):
    with Started(interp, BUSY) as st:
        st.target.wait_ready()
        r = run_script(spy, st.target, "slow-calls.lua", 1, 50, 200)
        f = re.escape(st.target.truth["file"])
        m = re.search(r"^ *(\d+\.\d\d)%% +(\d+\.\d\d)%%  hot_leaf \(%s\)\n +called from +(\d+\.\d\d)%%  descend \(%s:(\d+)\)$"
                      % (f, f), r.out, re.M)
        if not m or float(m.group(2)) < 80 or float(m.group(3)) != 100.0:
            raise Fail("hot_leaf not listed as called from descend: %r" % r.out[:600])
        if re.search(r"^ *\d+\.\d\d% +\d+\.\d\d%  descend .*\n +called from .*descend", r.out, re.M):
            raise Fail("a recursive function is listed as its own caller: %r" % r.out[:600])


def t_hang_fires(interp, spy):
    with Started(interp, HANGS, ["deadlock"]) as st:
        st.target.wait_ready()
        out = os.path.join(st.tmpdir, "hang.txt")
        r = run_script(spy, st.target, "hang-watch.lua", 2, out, 60, "^worker")
        if not re.search(r"^hang-watch.lua: thread worker-[ab] made no progress for \d+s: wrote %s$" % re.escape(out), r.out, re.M):
            raise Fail("hang-watch did not report the hang: %r" % r.out[-400:])
        with open(out) as f:
            text = f.read()
        for name in ("worker-a", "worker-b"):
            if not re.search(r'"%s".*\n(.*\n)*?.*take_second \(%s:\d+\)' % (name, re.escape(st.target.truth["file"])), text):
                raise Fail("the report lacks %s in take_second: %r" % (name, text[:800]))
        if "Locals:" not in text and "first = " not in text:
            raise Fail("the report has no locals: %r" % text[:800])


def t_hang_quiet(interp, spy):
    with Started(interp, HANGS, ["working"]) as st:
        st.target.wait_ready()
        out = os.path.join(st.tmpdir, "hang.txt")
        r = run_script(spy, st.target, "hang-watch.lua", 2, out, 3)
        if "hang-watch.lua: no hang in 3s" not in r.out or os.path.exists(out):
            raise Fail("hang-watch fired on a working program: %r" % r.out[-400:])


# ------------------------------------------------------------------ registration

from lua_once import t_errors, t_ctrl_c   # noqa: E402  (the run-once tests, kept apart for size)

# Per interpreter, in this order, each on its own target; a test's name is NAME[interpreter label].
# samples and checks where the time went: never alongside another interpreter's tests
EXCLUSIVE = True

PER_INTERP = (("lua_threads", t_threads), ("lua_locals", t_locals), ("lua_sample", t_sample),
              ("lua_record", t_record), ("lua_report", t_report), ("lua_slow_calls", t_slow_calls),
              ("lua_hang_fires", t_hang_fires), ("lua_hang_quiet", t_hang_quiet))
# Once, on the newest usable interpreter.
ONCE = (("lua_errors", t_errors), ("lua_ctrl_c", t_ctrl_c))


def run_per_interp(res, interp, spy):
    for name, fn in PER_INTERP:
        full = "%s[%s]" % (name, interp.label)
        if interp.missing:
            if res.wanted(full):
                res.skip(full, interp.missing)
            continue
        res.run(full, fn, interp, spy)


def run_once(res, spy, interps):
    usable = [i for i in interps if not i.missing]
    if not usable:
        # as before: with no usable interpreter only the first is reported, even under -k
        res.skip(ONCE[0][0], "no usable interpreter")
        return
    for name, fn in ONCE:
        res.run(name, fn, spy, usable[-1])
