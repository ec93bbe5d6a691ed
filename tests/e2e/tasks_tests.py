"""asyncio tasks through the real binary (imported by run.py): `tasks`,
`tasks --tree`, `tasks --json` and Lua's pyspy.tasks(), per interpreter, on
one tests/targets/tasks.py target (3.8+): two event loops in two threads,
a chain three coroutines deep, gather, a TaskGroup (3.11+), a Queue.get,
a task awaited by two others, a shield, two tasks awaiting each other, an
eager task (3.12+), a finished task, a third loop stuck inside a running
task, a task left pending by a thread that ended (3.14+: the interpreter's
list), and PYSPY_TASKS_BULK tasks (10000; 2000 with the ASan binary) pending
on the second loop.  One pyspy-sh run reads them four ways.

  tasks_json     every task of asyncio.all_tasks() of both loops, no other:
                 id, name, coroutine chain (function, qualname, file, line,
                 innermost first: the target's cr_await/gi_yieldfrom walk),
                 the loop thread's kernel tid, awaited_by (as the program
                 built it; on 3.14+ the target checked its own
                 _asyncio_awaited_by agrees), state pending; the finished
                 task absent; the one cycle (cyc-a, cyc-b) reported
  tasks_text     `tasks`: one line per task with its id, name, tid and
                 innermost frame; the cycle line
  tasks_tree     `tasks --tree`: each awaited task printed under each of its
                 awaiters (shared under waiter-1 and waiter-2, "(shown
                 above)" the second time), the cycle marked
  tasks_lua      tests/lua/tasks.lua: the same tasks, names, tids, innermost
                 frames and awaited_by through pyspy.tasks(); info.asyncio,
                 one cycle; p:tasks() agrees
  tasks_bt_async `bt --all --async --json` and text: the thread stuck inside
                 the task "blocker" (loop-c) names it as its running task, then
                 blocker-parent and loop-c's main task with their chains, as the
                 target recorded them; every other thread has "async": null
  tasks_sample_async  `sample 0.3s --idle --async`: the loop-c thread's samples
                 are rooted at "<task MAIN>" and run through loop-c's main task,
                 blocker-parent and blocker (their chains, lines as recorded),
                 with no event-loop frame in them
  tasks_refused  2.7-3.7 (counter.py): `tasks` fails with "asyncio tasks are
                 read on Python 3.8 and later", exit 1
Once:
  tasks_readonly under strace on the newest interpreter (tasks.py, 100 bulk
                 tasks): tasks --json/--tree, bt --all --async, pyspy.tasks(),
                 sample --async (paused, nonblocking, and with process_vm_readv
                 failing so /proc/PID/mem is read): no process_vm_writev, no
                 PTRACE_POKE*/SET*, no write to /proc/PID/mem (safety_tests.audit)
  tasks_no_asyncio  counter.py (no asyncio) on the newest pyenv interpreter
                 and on 3.15 (whose _asyncio is built in): "(no asyncio: ...)",
                 exit 0, and --json says "asyncio": false with no tasks
"""
import json
import os
import re
import shutil
import tempfile

import harness
from harness import Fail, Skip, Target

TASKS = os.path.join(harness.TARGETS, "tasks.py")
COUNTER = os.path.join(harness.TARGETS, "counter.py")
LUA = os.path.join(harness.REPO, "tests", "lua", "tasks.lua")
# the ASan pass reads fewer: it repeats the group on 8 interpreters at a third of the speed
BULK = int(os.environ.get("PYSPY_TASKS_BULK", "0")) or None


class Shared(object):
    """One target and one pyspy-sh run, read by every test of the group."""

    def __init__(self, interp, spy):
        self.interp, self.spy = interp, spy
        self.error = None
        self.truth = self.json = self.text = self.tree = self.lua = None

    def load(self):
        if self.truth is not None or self.error is not None:
            if self.error:
                raise Fail(self.error)
            return
        tmp = tempfile.mkdtemp(prefix="pyspy-e2e-tasks-")
        bulk = BULK or (2000 if "asan" in os.path.basename(self.spy.binary) else 10000)
        target = Target(self.interp, TASKS, [str(bulk)], tmp)
        try:
            target.wait_ready(timeout=120)
            r = self.spy.run(["-p", target.pid, "-ex", "tasks --json", "-ex", "lua print(\"==text\")", "-ex", "tasks",
                              "-ex", "lua print(\"==tree\")", "-ex", "tasks --tree", "-ex", "lua print(\"==lua\")",
                              "-ex", "source " + LUA, "-ex", "lua print(\"==bt\")", "-ex", "bt --all --async --json",
                              "-ex", "lua print(\"==btext\")", "-ex", "bt --all --async",
                              "-ex", "sample 0.3s --idle --async --rate 50",
                              "-ex", "save " + os.path.join(tmp, "async.folded"), "--batch"])
            if r.rc != harness.EXIT_OK:
                raise Fail("expected exit 0: %s" % r.describe())
            parts = re.split(r"^==(text|tree|lua|bt|btext)\n", r.out, flags=re.M)
            parts[-1] = parts[-1].split("\nsampled pid ")[0]
            if len(parts) != 11:
                raise Fail("output not in six parts: %r" % r.out[:300])
            self.json = json.loads(parts[0])
            self.text, self.tree, self.lua, self.bt, self.btext = parts[2], parts[4], parts[6], json.loads(parts[8]), parts[10]
            self.truth = target.truth
            self.pid = target.pid
            self.folded = [stack for stack, _ in harness.read_folded(os.path.join(tmp, "async.folded"))]
        except Fail as e:
            self.error = str(e)
            raise
        finally:
            target.kill()
            shutil.rmtree(tmp, ignore_errors=True)


def frames(chain):
    return [(f["function"], f["qualname"], f["file"], f["line"]) for f in chain]


def t_json(sh):
    sh.load()
    doc, truth = sh.json, sh.truth
    if doc.get("asyncio") is not True or doc.get("python") is None:
        raise Fail("header: asyncio %r, python %r" % (doc.get("asyncio"), doc.get("python")))
    got = dict((t["id"], t) for t in doc["tasks"])
    probs = []
    for e in truth["tasks"]:
        g = got.pop(e["id"], None)
        if g is None:
            probs.append("task %s (%s) missing" % (e["name"], e["id"]))
            continue
        if g["name"] != e["name"]:
            probs.append("task %s: name %r" % (e["name"], g["name"]))
        if frames(g["coroutine"]) != frames(e["coroutine"]):
            probs.append("%s: chain %s, expected %s" % (e["name"], frames(g["coroutine"]), frames(e["coroutine"])))
        if g["thread"] != e["thread"]:
            probs.append("%s: thread %s, expected %s" % (e["name"], g["thread"], e["thread"]))
        if sorted(g["awaited_by"]) != e["awaited_by"]:
            probs.append("%s: awaited_by %s, expected %s" % (e["name"], sorted(g["awaited_by"]), e["awaited_by"]))
        if g["state"] != e["state"]:
            probs.append("%s: state %s, expected %s" % (e["name"], g["state"], e["state"]))
    if got:
        probs.append("tasks not in asyncio.all_tasks(): %s" % sorted(t["name"] for t in got.values())[:10])
    names = dict((t["id"], t["name"]) for t in truth["tasks"])
    cycles = [sorted(names.get(i, i) for i in c) for c in doc["cycles"]]
    if cycles != [["cyc-a", "cyc-b"]]:
        probs.append("cycles %s, expected [[cyc-a, cyc-b]]" % cycles)
    if len(truth["tasks"]) < truth["nbulk"] + 10:
        probs.append("the target recorded only %d tasks" % len(truth["tasks"]))
    if probs:
        raise Fail("%d problems: %s" % (len(probs), "; ".join(probs[:6])))
    harness.log("tasks_json: %d tasks" % len(truth["tasks"]))


def t_text(sh):
    sh.load()
    lines = sh.text.splitlines()
    rows = {}
    for ln in lines[1:]:
        m = re.match(r"\s+0x([0-9a-f]+)\s+(pending|running)\s+(\d+|-)\s+\"(.*?)\"\s+(\S+) \((.*):(-?\d+)\)", ln)
        if m:
            rows[int(m.group(1), 16)] = m.groups()
    probs = []
    for e in sh.truth["tasks"]:
        r = rows.get(e["id"])
        top = e["coroutine"][0] if e["coroutine"] else None
        if r is None:
            probs.append("no line for %s" % e["name"])
        elif (r[3], r[2], r[4], r[5], int(r[6])) != (e["name"], str(e["thread"] or "-"), top["qualname"], top["file"],
                                                        top["line"]):
            probs.append("%s: line says %s" % (e["name"], r))
    if len(rows) != len(sh.truth["tasks"]):
        probs.append("%d task lines, expected %d" % (len(rows), len(sh.truth["tasks"])))
    if not any(ln.startswith("cycle: ") and '"cyc-a"' in ln and '"cyc-b"' in ln for ln in lines):
        probs.append("no cycle line for cyc-a and cyc-b")
    if probs:
        raise Fail("; ".join(probs[:6]))


def t_tree(sh):
    sh.load()
    lines = sh.tree.splitlines()
    head = re.compile(r'^([ |`-]*)"(.*?)" 0x([0-9a-f]+) \((pending|running), (?:OS tid (\d+)|no thread)\)(.*)$')
    nodes = []
    for ln in lines:
        m = head.match(ln)
        if m:
            nodes.append((len(m.group(1)), m.group(2), m.group(6)))
    # who each printed node sits under: the nearest shallower node above it
    under, path = {}, []
    for depth, name, rest in nodes:
        while path and path[-1][0] >= depth:
            path.pop()
        if path:
            under.setdefault(name, set()).add(path[-1][1])
        path.append((depth, name))
    names = dict((t["id"], t["name"]) for t in sh.truth["tasks"])
    probs = []
    for e in sh.truth["tasks"]:
        want = set(names[i] for i in e["awaited_by"])
        got = under.get(e["name"], set())
        if want - got:
            probs.append("%s not shown under %s" % (e["name"], sorted(want - got)))
    printed = set(n for _, n, _ in nodes)
    missing = [e["name"] for e in sh.truth["tasks"] if e["name"] not in printed]
    if missing:
        probs.append("tasks not in the tree: %s" % missing[:5])
    if not any("(shown above)" in rest for _, name, rest in nodes if name == "shared"):
        probs.append("'shared' (awaited by two) not marked '(shown above)' the second time")
    if not any("cycle" in rest for _, name, rest in nodes if name in ("cyc-a", "cyc-b")):
        probs.append("the cyc-a/cyc-b cycle is not marked in the tree")
    if probs:
        raise Fail("; ".join(probs[:6]))


def t_lua(sh):
    sh.load()
    got, info = {}, None
    for ln in sh.lua.splitlines():
        if ln.startswith("T "):
            f = ln[2:].split("|")
            got[int(f[0])] = f
        elif ln.startswith("I ") or ln.startswith("E "):
            info = ln
    probs = []
    for e in sh.truth["tasks"]:
        g = got.pop(e["id"], None)
        top = e["coroutine"][0] if e["coroutine"] else None
        want = [str(e["id"]), e["name"], e["state"], "nil" if e["thread"] is None else str(e["thread"]), str(len(e["coroutine"])),
                "%s:%d" % (top["qualname"], top["line"]) if top else "-", ",".join(str(i) for i in e["awaited_by"])]
        if g is None:
            probs.append("%s missing" % e["name"])
        elif g != want:
            probs.append("%s: %s, expected %s" % (e["name"], g, want))
    if got:
        probs.append("extra tasks %s" % sorted(v[1] for v in got.values())[:5])
    if info != "I asyncio=true cycles=1 same=true":
        probs.append("info line %r" % info)
    if probs:
        raise Fail("; ".join(probs[:6]))


def t_bt_async(sh):
    sh.load()
    truth = sh.truth
    run = truth["running"]
    by_name = dict((t["name"], t) for t in truth["tasks"])
    probs = []
    threads = sh.bt["threads"]
    mine = [t for t in threads if t.get("os_tid") == run["thread"]]
    if len(mine) != 1:
        raise Fail("no single thread with OS tid %s in bt --all --async --json" % run["thread"])
    a = mine[0].get("async")
    if not a or a.get("name") != run["name"] or a.get("task") != by_name[run["name"]]["id"]:
        probs.append("loop-c thread: async %r, expected the running task %s" % (a, run["name"]))
    else:
        # up the graph: blocker-parent (depth 1), then loop-c's main task (depth 2)
        want, name, depth = [], run["name"], 1
        while by_name[name]["awaited_by"]:
            up = [t for t in truth["tasks"] if t["id"] in by_name[name]["awaited_by"]][0]
            want.append((up["name"], depth, frames(up["coroutine"])))
            name, depth = up["name"], depth + 1
        got = [(w["name"], w["depth"], frames(w["coroutine"])) for w in a["awaited_by"]]
        if got != want:
            probs.append("awaited_by %s, expected %s" % (got, want))
    others = [t.get("os_tid") for t in threads if t.get("os_tid") != run["thread"] and t.get("async") is not None]
    if others:
        probs.append("threads %s show a running task; their loops are idle" % others)
    if ('running task "%s"' % run["name"]) not in sh.btext or 'awaited by task "blocker-parent"' not in sh.btext:
        probs.append("bt --all --async text lacks the running task or its awaiter")
    if "(no asyncio task running on this thread)" not in sh.btext:
        probs.append("idle threads not marked '(no asyncio task running on this thread)'")
    if probs:
        raise Fail("; ".join(probs))


def t_sample_async(sh):
    sh.load()
    truth = sh.truth
    by_name = dict((t["name"], t) for t in truth["tasks"])
    # the running task, then its awaiters outwards: the folded line reads root first
    levels, name = [], truth["running"]["name"]
    while True:
        levels.append(by_name[name])
        if not by_name[name]["awaited_by"]:
            break
        name = [t["name"] for t in truth["tasks"] if t["id"] in by_name[name]["awaited_by"]][0]
    want = ["<task %s> (<asyncio>:0)" % levels[-1]["name"]]
    for t in reversed(levels):
        want += ["%s (%s:%d)" % (f["qualname"], f["file"], f["line"]) for f in reversed(t["coroutine"])]
    want = ";".join(want)
    lines = [ln for ln in sh.folded if ln.startswith("<task ")]
    if not lines:
        raise Fail("no stack rooted at a task in `sample --idle --async`: %s" % [ln[:120] for ln in sh.folded])
    if not any(ln.startswith(want + ";") or ln == want for ln in lines):
        raise Fail("task-rooted stacks %s, expected one starting %s" % ([ln[:300] for ln in lines], want))
    if any("run_forever" in ln for ln in lines):
        raise Fail("a task-rooted stack still holds the event loop's frames: %s" % lines)


def t_refused(interp, spy):
    tmp = tempfile.mkdtemp(prefix="pyspy-e2e-tasks-")
    target = Target(interp, COUNTER, ["10"], tmp)
    try:
        target.wait_ready()
        r = spy.batch(target.pid, "tasks")
        if r.rc != harness.EXIT_PARTIAL:
            raise Fail("expected exit 1: %s" % r.describe())
        m = re.match(r"pyspy-sh: tasks: asyncio tasks are read on Python 3\.8 and later; this is Python (\S+)$",
                     r.err.strip())
        if not m or not interp.vstr.startswith(m.group(1)):
            raise Fail("stderr %r, expected the refusal naming Python %s" % (r.err.strip(), interp.vstr))
    finally:
        target.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def t_readonly(interps, spy):
    import safety_tests
    newest = [i for i in interps if not i.missing and i.version >= (3, 8)][-1:]
    if not newest:
        raise Skip("no interpreter of 3.8 or later")
    if not shutil.which("strace"):
        raise Skip("strace is not installed (apt-get install strace)")
    interp = newest[0]
    tmp = tempfile.mkdtemp(prefix="pyspy-e2e-tasks-")
    target = Target(interp, TASKS, ["100"], tmp)
    try:
        target.wait_ready(timeout=120)
        logdir = os.path.join(tmp, "traces")
        os.mkdir(logdir)
        probs = []
        for cmds, inject, nonblocking in ((["tasks --json", "tasks --tree", "bt --all --async", "lua pyspy.tasks()",
                                            "sample 200ms --idle --async"], False, False),
                                           (["tasks", "sample 200ms --async"], False, True),
                                           (["tasks"], True, False)):
            r, lines = safety_tests.strace_run(spy, logdir, target.pid, cmds, inject, nonblocking)
            p, seen = safety_tests.audit(lines, target.pid)
            probs += p
            if not inject and seen["readv"] == 0:
                probs.append("the trace saw no process_vm_readv")
            if inject and seen["memopen"] == 0:
                probs.append("with process_vm_readv failing, /proc/%d/mem was never opened" % target.pid)
        if probs:
            raise Fail("%s: %s" % (interp.label, "; ".join(probs[:5])))
    finally:
        target.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def t_no_asyncio(interps, spy):
    pyenv = [i for i in interps if not i.missing and i.label.startswith("pyenv-") and i.version >= (3, 8)]
    chosen = [i for i in interps if not i.missing and i.version >= (3, 15)][:1] + pyenv[-1:]
    if not chosen:
        raise Skip("no interpreter of 3.8 or later")
    for interp in chosen:
        tmp = tempfile.mkdtemp(prefix="pyspy-e2e-tasks-")
        target = Target(interp, COUNTER, ["10"], tmp)
        try:
            target.wait_ready()
            r = spy.run(["-p", target.pid, "-ex", "tasks", "-ex", "tasks --json", "--batch"])
            if r.rc != harness.EXIT_OK:
                raise Fail("%s: expected exit 0: %s" % (interp.label, r.describe()))
            lines = r.out.splitlines()
            if lines[0] != "(no asyncio: the program has not imported asyncio)":
                raise Fail("%s: first line %r" % (interp.label, lines[0]))
            doc = json.loads(lines[1])
            if doc.get("asyncio") is not False or doc.get("tasks") != [] or doc.get("cycles") != []:
                raise Fail("%s: JSON %r" % (interp.label, lines[1][:200]))
        finally:
            target.kill()
            shutil.rmtree(tmp, ignore_errors=True)


PER_INTERP = (("tasks_json", t_json), ("tasks_text", t_text), ("tasks_tree", t_tree), ("tasks_lua", t_lua),
              ("tasks_bt_async", t_bt_async), ("tasks_sample_async", t_sample_async), ("tasks_refused", t_refused))
ONCE = (("tasks_no_asyncio", t_no_asyncio), ("tasks_readonly", t_readonly))


def run_per_interp(res, interp, spy):
    sh = Shared(interp, spy)
    for name, fn in PER_INTERP:
        full = "%s[%s]" % (name, interp.label)
        if interp.missing:
            if res.wanted(full):
                res.skip(full, interp.missing)
            continue
        old = interp.version < (3, 8)
        if (name == "tasks_refused") != old:
            if res.wanted(full):
                res.skip(full, "asyncio tasks are read on 3.8+" if old else "only before 3.8 (this is %s)" % interp.vstr)
            continue
        res.run(full, fn, interp, spy) if old else res.run(full, fn, sh)


def run_once(res, spy, interps):
    for name, fn in ONCE:
        res.run(name, fn, interps, spy)
