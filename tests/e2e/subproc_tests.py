"""Process trees through the real binary (imported by run.py), per 3.x
interpreter, on one tests/targets/subprocs.py target: a multiprocessing
'fork' child (spin_fork), a 'spawn' child (spin_spawn), a Python grandchild
under sh (spin_grand), a fork child that exits 0.5 s after the test says go
(spin_short), one that starts 0.3 s after it (spin_late).  One pyspy-sh run:
ps, sample 1.5s --subprocesses --idle, top, save (folded), bt --all
--subprocesses, a Lua line.

  subproc_tree  ps lists every child the target recorded with its parent
                (the grandchild under the shell, which is 'not Python') and
                Python version; sampling attributes each long-lived child's
                samples to its pid (the folded file's root frame 'process PID
                (COMMAND)', top's process column) within 10% of the tick
                count (wall mode: one sample per tick); the late child is
                picked up and the exited one keeps its samples; bt --all
                --subprocesses shows each long-lived child's spin function
                under its process header; pyspy.processes() gives what ps
                gives, and sample{subprocesses=true}'s on_sample sees each
                long-lived child's pid.
"""
import json
import os
import re
import shutil
import tempfile

import harness
from harness import Fail, Target

SUBPROCS = os.path.join(harness.TARGETS, "subprocs.py")
LUA = ("lua for _, p in ipairs(pyspy.processes()) do print('LUAP', p.pid, p.ppid, p.depth, p.python or 'no') end "
       "local seen = {} pyspy.sample{duration=0.2, mode='wall', subprocesses=true, "
       "on_sample=function(s) seen[s.pid] = (seen[s.pid] or 0) + 1 end} "
       "for pid, n in pairs(seen) do print('LUAS', pid, n) end")


def t_tree(interp, spy):
    tmp = tempfile.mkdtemp(prefix="pyspy-e2e-subproc-")
    target = Target(interp, SUBPROCS, [], tmp)
    try:
        target.wait_ready(timeout=120)
        kids = target.truth["children"]
        out = os.path.join(tmp, "prof.txt")
        open(os.path.join(tmp, "go"), "w").close()
        r = spy.run(["-p", target.pid, "-ex", "sample 1.5s --subprocesses --idle", "-ex", "top -n 40",
                     "-ex", "save " + out, "-ex", "bt --all --subprocesses", "-ex", "ps", "-ex", LUA,
                     "-ex", "sample 1s --subprocesses --async", "-ex", "bt --all --json --subprocesses", "--batch"])
        want_err = ("pyspy-sh: sample: --async and --subprocesses cannot be combined\n"
                    "pyspy-sh: bt: --subprocesses and --json cannot be combined (one document per process: "
                    "use bt --all --json after attach PID)\n")
        if r.rc != harness.EXIT_PARTIAL or r.err != want_err:
            raise Fail("expected exit 1 and the two refusals on stderr: %s" % r.describe())
        text = r.out
        # ps
        ps = {}
        for line in text.splitlines():
            m = re.match(r"\s*(\d+)\s+(\d+)\s+(not Python|\S+)\s+(.*)$", line)
            if m:
                ps[int(m.group(1))] = (int(m.group(2)), m.group(3))
        want = dict((k["pid"], k["ppid"]) for k in kids.values())
        want[kids["grand"]["shell"]] = target.pid
        for pid, ppid in want.items():
            if pid not in ps or ps[pid][0] != ppid:
                raise Fail("ps: pid %d (parent %d) missing or wrong: %r" % (pid, ppid, ps.get(pid)))
        if ps[kids["grand"]["shell"]][1] != "not Python":
            raise Fail("ps: the shell %d is %r, not 'not Python'" % (kids["grand"]["shell"], ps[kids["grand"]["shell"]][1]))
        for k in (kids["fork"], kids["spawn"], kids["grand"]):
            if not interp.vstr.startswith(ps[k["pid"]][1]) and not ps[k["pid"]][1].startswith(interp.vstr):
                raise Fail("ps: pid %d Python %r, expected %s" % (k["pid"], ps[k["pid"]][1], interp.vstr))
        m = re.search(r"sampled pid %d and (\d+) subprocesses for [\d.]+s at 100 Hz: (\d+) ticks" % target.pid, text)
        if not m:
            raise Fail("no summary line: %s" % text[:800])
        ticks = int(m.group(2))
        # the folded file: samples per (process, spin function)
        with open(os.path.join(tmp, "child-late.json")) as f:
            kids["late"] = json.load(f)
        counts = {}
        with open(out, encoding="utf-8") as f:
            for line in f:
                stack, n = line.rstrip("\n").rsplit(" ", 1)
                frames = stack.split(";")
                m = re.match(r"process (\d+) \(", frames[0])
                if not m:
                    raise Fail("folded stack not rooted at its process: %r" % line[:200])
                for fr in frames[1:]:
                    fn = fr.split(" (")[0]
                    if fn.startswith("spin_"):
                        key = (int(m.group(1)), fn)
                        counts[key] = counts.get(key, 0) + int(n)
        for name in ("fork", "spawn", "grand"):
            k = kids[name]
            got = counts.get((k["pid"], k["function"]), 0)
            if abs(got - ticks) > 0.1 * ticks:
                raise Fail("%s child pid %d: %d samples in %s, expected %d (the ticks) within 10%%; counts %r"
                           % (name, k["pid"], got, k["function"], ticks, counts))
        for name in ("late", "short"):
            k = kids[name]
            got = counts.get((k["pid"], k["function"]), 0)
            full = counts.get((kids["fork"]["pid"], "spin_fork"), 0)
            if got < 3 or got > 0.9 * full:
                raise Fail("%s child pid %d: %d samples in %s, the fork child %d in all (expected part of the run)"
                           % (name, k["pid"], got, k["function"], full))
        # top's process column
        for name in ("fork", "spawn", "grand"):
            k = kids[name]
            if not re.search(r"^\s*[\d.]+%\s+[\d.]+%\s+[\d.]+\s+[\d.]+\s+" + str(k["pid"]) + r"\s+" + k["function"] + r" \(",
                             text, re.M):
                raise Fail("top has no row for %s in process %d" % (k["function"], k["pid"]))
        # bt --all --subprocesses
        bt = text[text.index("wrote "):text.index("    PID     PPID")]
        for name in ("fork", "spawn", "grand"):
            k = kids[name]
            i = bt.find("process %d (" % k["pid"])
            if i < 0:
                raise Fail("bt --all --subprocesses: no header for pid %d" % k["pid"])
            section = bt[i:].split("\nprocess ", 1)[0]
            if k["function"] not in section:
                raise Fail("bt: pid %d's section lacks %s: %s" % (k["pid"], k["function"], section[:600]))
        # Lua: pyspy.processes() agrees with ps, sample{subprocesses=true} reaches each child
        luap = dict((int(l.split("\t")[1]), l.split("\t")[2:]) for l in text.splitlines() if l.startswith("LUAP\t"))
        for pid, (ppid, python) in ps.items():
            if pid not in luap or int(luap[pid][0]) != ppid or (luap[pid][2] == "no") != (python == "not Python"):
                raise Fail("pyspy.processes(): pid %d is %r, ps said parent %d, %s" % (pid, luap.get(pid), ppid, python))
        luas = dict((int(l.split("\t")[1]), int(l.split("\t")[2])) for l in text.splitlines() if l.startswith("LUAS\t"))
        for name in ("fork", "spawn", "grand"):
            if luas.get(kids[name]["pid"], 0) < 5:
                raise Fail("sample{subprocesses=true}: on_sample saw %r samples of pid %d"
                           % (luas.get(kids[name]["pid"]), kids[name]["pid"]))
    finally:
        target.kill()   # the children notice the parent is gone within 0.1 s and end
        shutil.rmtree(tmp, ignore_errors=True)


PER_INTERP = (("subproc_tree", t_tree),)
ONCE = ()


def run_per_interp(res, interp, spy):
    for name, fn in PER_INTERP:
        full = "%s[%s]" % (name, interp.label)
        if interp.missing:
            if res.wanted(full):
                res.skip(full, interp.missing)
            continue
        if interp.version < (3, 0):
            if res.wanted(full):
                res.skip(full, "multiprocessing has no 'spawn' start method on 2.7")
            continue
        res.run(full, fn, interp, spy)


def run_once(res, spy, interps):
    pass
