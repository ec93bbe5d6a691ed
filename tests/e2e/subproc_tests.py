"""Process trees through the real binary (imported by run.py), per 3.x
interpreter, on one tests/targets/subprocs.py target: a multiprocessing 'fork'
Pool whose worker spins in a task (spin_fork), a 'spawn' Pool likewise
(spin_spawn; it also starts multiprocessing's resource tracker, one more
Python child), a Python grandchild under sh (spin_grand) run by another Python
than the one under test (the system's python3, or Debian's 3.15, or the newest
pyenv 3.x: the tree mixes versions, and ps must give each process its own), a
fork child that exits 0.15 s after a file 'go' appears (spin_short), one that
starts 0.1 s after it (spin_late). One pyspy-sh --subprocesses run: sample
0.6s --idle, top, save (folded), bt --all --subprocesses, threads, ps, a Lua
line (pyspy.processes(), then a 0.6 s sample{subprocesses=true} whose first
on_sample writes 'go', so the children's schedule starts inside that sample
whatever attaching cost), and two refused combinations (sample --async, bt
--json with --subprocesses).

  subproc_tree  ps lists every child the target recorded under its parent
                (the grandchild under the shell, which is 'not Python') with
                its Python version; the shell sample attributes each
                long-lived child's samples to its pid (the folded file's root
                frame 'process PID (COMMAND)', top's process column) within
                10% of the tick count (wall mode: one sample per tick); bt
                --all --subprocesses shows each long-lived child's spin
                function under its process header, and so does threads
                (their main threads active in spin); pyspy.processes() gives
                what ps gives; in the Lua sample on_sample sees every child's
                pid, the late child is picked up (samples, the first after
                the fork child's first: it may still be in multiprocessing's
                bootstrap) and the exiting one keeps its samples (its last
                before the fork child's last); the refusals' exact messages,
                exit 1; `attach PID` to the grandchild: info names it and
                its version, bt shows its spin function.
"""
import glob
import json
import os
import re
import shutil
import tempfile

import harness
from harness import Fail, Target

SUBPROCS = os.path.join(harness.TARGETS, "subprocs.py")
# pyspy.processes(), then a Lua sample whose first on_sample writes 'go' (the
# children's schedule starts then, whatever attaching cost), counting samples
# per (pid, spin_* function)
LUA = ("lua for _, p in ipairs(pyspy.processes()) do print('LUAP', p.pid, p.ppid, p.depth, p.python or 'no') end "
       "local seen, go = {}, %s "
       "pyspy.sample{duration=0.6, mode='wall', subprocesses=true, on_sample=function(s) "
       "  if go then io.open(go, 'w'):close() go = nil end "
       "  local f = 'other' "
       "  for _, fr in ipairs(s.frames) do if fr['function']:sub(1, 5) == 'spin_' then f = fr['function'] end end "
       "  local k = s.pid .. ' ' .. f "
       "  local e = seen[k] or {0, s.time, s.time} e[1] = e[1] + 1 e[3] = s.time seen[k] = e end} "
       "for k, e in pairs(seen) do print('LUAS', k, e[1], e[2], e[3]) end")


def other_python(interp):
    """Another CPython 3.6+ than the one under test, for the grandchild: the
    system's python3, else Debian's 3.15, else the newest pyenv 3.x; None if
    there is none (the tree is then one version)."""
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    cands = ["/usr/bin/python3", os.path.join(harness.DEBIAN_PREFIX, "usr", "bin", "python3.15")]
    cands += sorted(glob.glob(os.path.join(pyenv, "versions", "3.*", "bin", "python")), key=harness.version_key,
                    reverse=True)
    mine = os.path.realpath(interp.path)
    for c in cands:
        if os.access(c, os.X_OK) and os.path.realpath(c) != mine:
            return c
    return None


def t_tree(interp, spy):
    tmp = tempfile.mkdtemp(prefix="pyspy-e2e-subproc-")
    other = other_python(interp)
    target = Target(interp, SUBPROCS, [], tmp, env={"SUBPROCS_GRAND": other} if other else None)
    try:
        target.wait_ready(timeout=120)
        kids = target.truth["children"]
        out = os.path.join(tmp, "prof.txt")
        lua = LUA % json.dumps(os.path.join(tmp, "go"))
        # pyspy-sh --subprocesses: sample and threads take it by default
        r = spy.run(["-p", target.pid, "--subprocesses", "-ex", "sample 0.6s --idle", "-ex", "top -n 200",
                     "-ex", "save " + out, "-ex", "bt --all --subprocesses", "-ex", "threads", "-ex", "ps", "-ex", lua,
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
            m = re.match(r"\s*(\d+)\s+(\d+)\s+(not Python|\d+\.\d+\S*)\s+(.*)$", line)
            if m:
                ps[int(m.group(1))] = (int(m.group(2)), m.group(3))
        want = dict((k["pid"], k["ppid"]) for k in kids.values())
        want[kids["grand"]["shell"]] = target.pid
        for pid, ppid in want.items():
            if pid not in ps or ps[pid][0] != ppid:
                raise Fail("ps: pid %d (parent %d) missing or wrong: %r" % (pid, ppid, ps.get(pid)))
        if ps[kids["grand"]["shell"]][1] != "not Python":
            raise Fail("ps: the shell %d is %r, not 'not Python'" % (kids["grand"]["shell"], ps[kids["grand"]["shell"]][1]))
        # each child's own version (the grandchild's may be another Python's)
        for k in (kids["fork"], kids["spawn"], kids["grand"]):
            v = k.get("python") or interp.vstr
            if not v.startswith(ps[k["pid"]][1]) and not ps[k["pid"]][1].startswith(v):
                raise Fail("ps: pid %d Python %r, expected %s" % (k["pid"], ps[k["pid"]][1], v))
        m = re.search(r"sampled pid %d and (\d+) subprocesses for [\d.]+s at 100 Hz: (\d+) ticks" % target.pid, text)
        if not m:
            raise Fail("no summary line: %s" % text[:800])
        ticks = int(m.group(2))
        # the folded file: samples per (process, spin function)
        counts = {}
        for stack, n in harness.read_folded(out):
            frames = stack.split(";")
            m = re.match(r"process (\d+) \(", frames[0])
            if not m:
                raise Fail("folded stack not rooted at its process: %r" % stack[:200])
            for fr in frames[1:]:
                fn = fr.split(" (")[0]
                if fn.startswith("spin_"):
                    key = (int(m.group(1)), fn)
                    counts[key] = counts.get(key, 0) + n
        for name in ("fork", "spawn", "grand"):
            k = kids[name]
            got = counts.get((k["pid"], k["function"]), 0)
            if abs(got - ticks) > 0.1 * ticks:
                raise Fail("%s child pid %d: %d samples in %s, expected %d (the ticks) within 10%%; counts %r"
                           % (name, k["pid"], got, k["function"], ticks, counts))
        # top's process column
        for name in ("fork", "spawn", "grand"):
            k = kids[name]
            if not re.search(r"^\s*[\d.]+%\s+[\d.]+%\s+[\d.]+\s+[\d.]+\s+" + str(k["pid"]) + r"\s+" + k["function"] + r" \(",
                             text, re.M):
                raise Fail("top has no row for %s in process %d" % (k["function"], k["pid"]))
        # bt --all --subprocesses
        bt = text[text.index("wrote "):text.index("  #   OS tid")]
        threads = text[text.index("  #   OS tid") - 300:text.index("    PID     PPID")]
        for name in ("fork", "spawn", "grand"):
            k = kids[name]
            if not re.search(r"^process %d \(.*\), Python \S+:\n  #   OS tid .*\n\* 1   %d +active\S* .* in spin \("
                             % (k["pid"], k["pid"]), threads, re.M):
                raise Fail("threads (pyspy-sh --subprocesses): no header and spinning main thread for pid %d: %s"
                           % (k["pid"], threads[:1500]))
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
        # "LUAS\tPID FUNCTION\tsamples\tfirst time\tlast time" (s since the sample began)
        luas = {}
        for l in text.splitlines():
            if l.startswith("LUAS\t"):
                f = l.split("\t")
                luas[f[1]] = (int(f[2]), float(f[3]), float(f[4]))
        with open(os.path.join(tmp, "child-late.json")) as f:
            kids["late"] = json.load(f)
        seen = lambda name: luas.get("%d %s" % (kids[name]["pid"], kids[name]["function"]), (0, 0.0, 0.0))

        def whole(name):
            """(samples, first, last) of a child, whatever function it was in"""
            rows = [v for k, v in luas.items() if k.split(" ")[0] == str(kids[name]["pid"])]
            if not rows:
                return (0, 0.0, 0.0)
            return (sum(r[0] for r in rows), min(r[1] for r in rows), max(r[2] for r in rows))
        for name in ("fork", "spawn", "grand", "short"):
            if seen(name)[0] < 1:
                raise Fail("sample{subprocesses=true}: on_sample saw no sample of pid %d in %s; saw %r"
                           % (kids[name]["pid"], kids[name]["function"], luas))
        # a child that starts mid-sample is picked up (its first sample comes after the
        # fork child's); one that exits keeps its samples (its last comes before the
        # fork child's).  Times, not counts: picking a child up can hold a tick back.
        late, short, fork = whole("late"), whole("short"), whole("fork")
        if late[0] < 1 or not late[1] > fork[1] or not short[2] < fork[2]:
            raise Fail("late child (samples, first, last) %s, short child %s, fork child %s: expected the late "
                       "one picked up and the short one to end within the run; saw %r" % (late, short, fork, luas))
        # attach PID switches the session to a child: info names it, bt shows its spin
        g = kids["grand"]
        r = spy.run(["-p", target.pid, "-nx", "-ex", "attach %d" % g["pid"], "-ex", "info", "-ex", "bt", "--batch"])
        if (r.rc != 0 or not re.search(r"^process:\s+%d\b" % g["pid"], r.out, re.M)
                or not re.search(r"^python:\s+%s$" % re.escape(g.get("python") or interp.vstr), r.out, re.M)
                or not re.search(r"#\d+\s+%s \(" % g["function"], r.out)):
            raise Fail("attach %d (the grandchild): %s" % (g["pid"], r.describe()))
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
