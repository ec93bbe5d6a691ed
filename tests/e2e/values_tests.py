"""Values through the real binary, on every interpreter (imported by run.py).

tests/targets/values.py holds one local of every kind in hold_values() (frame
1; frame 0 is its closure waiter()) and writes the truth: each variable's text
with the default limits ("short": width 200, depth 3, items 100) and with none
("repr").  values_check.py checks the engine against it through a C probe;
these tests go through pyspy-sh itself:

  values_locals     `frame 1` + `locals`: every variable under Arguments (the
                    parameters) or Locals, text == "short"
  values_json       `bt --locals --json`: frames' "locals" [{name, arg, value}]
                    for hold_values and waiter == truth
  values_unlimited  `set width 100000`, `set depth 100`, `set items 100000000`:
                    text == "repr" (cut to 99997 chars + "..." when longer)
  values_print      `print EXPR` for values_check.lookups(): stdout "EXPR = TEXT",
                    exit 0; errors: stderr "pyspy-sh: print: MESSAGE", exit 1
  values_print_paths  `print EXPR` for the target's PRINT_EXPRS (str/bytes index
                    and slices, list/tuple slices, __class__, __dict__, __name__,
                    __qualname__, dict keys of int, str, bytes, tuple, None, True,
                    namedtuple fields), in one run: each line == the target's
                    own repr(eval(EXPR))
  values_thread_starting  3.12+: the target holds a thread state made as Thread.start()
                    makes one, before its thread runs (_PyThreadState_Prealloc):
                    `threads` lists it as "-  starting  0x0  (starting: no OS thread
                    yet)", `bt --all` as "(OS tid -, starting)", the JSON with
                    thread_id 0 and os_tid null; SKIP before 3.12 (a new thread
                    makes its own thread state)
  values_list_changed  values.py runs from a copy: `list` warns only once the copy
                    is touched (modified after the start), then once it is cut to 20
                    lines with an old mtime (fewer lines than the code's last line,
                    which the target records with dis.findlinestarts)
"""
import json
import os
import re
import shutil
import tempfile
import time

import harness
import values_check

VALUES = os.path.join(harness.TARGETS, "values.py")
WIDE = 100000


def short(s, n=100):
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def parse_locals(text):
    """{name: (is_arg, value)} from `locals` output, plus unparsed lines."""
    out, junk, section = {}, [], None
    for line in text.split("\n"):
        if line in ("Arguments:", "Locals:"):
            section = line
        elif line.startswith("  ") and " = " in line and section:
            name, _, value = line[2:].partition(" = ")
            out[name] = (section == "Arguments:", value)
        elif line.strip() and not line.startswith("#"):
            junk.append(line)
    return out, junk


def compare(truth, got, field, where, cut=None):
    """got: {name: (is_arg, text)}; problems as strings."""
    probs = []
    for name, want in sorted(truth.items()):
        if name not in got:
            probs.append("%s: %s not listed" % (where, name))
            continue
        is_arg, text = got[name]
        exp = want[field]
        if cut and len(exp) > cut:
            exp = exp[:cut - 3] + "..."
        if is_arg != want["arg"]:
            probs.append("%s: %s listed %s, expected %s" % (
                where, name, "as an argument" if is_arg else "as a local",
                "an argument" if want["arg"] else "a local"))
        if text != exp:
            probs.append("%s: %s = %r, expected %r" % (where, name, short(text), short(exp)))
    return probs


def raise_probs(probs):
    if probs:
        raise harness.Fail("; ".join(probs[:8]) + (" (+%d more)" % (len(probs) - 8) if len(probs) > 8 else ""))


def ok(r):
    if r.rc != harness.EXIT_OK:
        raise harness.Fail("expected exit 0: %s" % r.describe())
    return r


def t_locals(spy, target):
    r = ok(spy.run(["-p", target.pid, "-nx", "-ex", "frame 1", "-ex", "locals", "--batch"]))
    got, junk = parse_locals(r.out)
    probs = compare(target.truth["hold_values"], got, "short", "locals")
    head = r.out.split("\n")[0]
    if not head.startswith("#1  hold_values ("):
        probs.insert(0, "`frame 1` printed %r, expected '#1  hold_values (FILE:LINE)'" % head)
    if junk:
        probs.append("unparsed lines: %r" % junk[:3])
    raise_probs(probs)


def t_json(spy, target):
    r = ok(spy.run(["-p", target.pid, "-nx", "-ex", "bt --locals --json", "--batch"]))
    doc = harness.parse_json_doc(r)
    frames = doc["threads"][0].get("frames") or []
    names = [f.get("function") for f in frames]
    if names[:2] != ["waiter", "hold_values"]:
        raise harness.Fail("innermost functions %r, expected ['waiter', 'hold_values', ...]" % names)
    probs = []
    for f in frames[:2]:
        if not isinstance(f.get("locals"), list):
            probs.append("frame %s has no \"locals\" list: %r" % (f["function"], sorted(f)))
            continue
        got = {}
        for v in f["locals"]:
            if sorted(v) != ["arg", "name", "value"]:
                probs.append("%s: local entry keys %r, expected arg/name/value" % (f["function"], sorted(v)))
            got[v.get("name")] = (v.get("arg"), v.get("value"))
        probs += compare(target.truth[f["function"]], got, "short", "bt --locals --json " + f["function"])
    raise_probs(probs)


def t_unlimited(spy, target):
    r = ok(spy.run(["-p", target.pid, "-nx", "-ex", "set width %d" % WIDE, "-ex", "set depth 100",
                    "-ex", "set items 100000000", "-ex", "frame 1", "-ex", "locals", "--batch"]))
    got, _ = parse_locals(r.out)
    raise_probs(compare(target.truth["hold_values"], got, "repr", "unlimited locals", cut=WIDE))


def t_print(spy, target):
    probs = []
    for expr, good, text in values_check.lookups(target.truth):
        r = spy.run(["-p", target.pid, "-nx", "-ex", "frame 1", "-ex", "print " + expr, "--batch"])
        lines = r.out.split("\n")
        out = "\n".join(lines[1:])          # after frame 1's own line
        if good:
            want = "%s = %s\n" % (expr, text)
            if r.rc != 0 or out != want or r.err:
                probs.append("print %s: exit %d, stdout %r, stderr %r; expected exit 0, stdout %r"
                             % (expr, r.rc, short(out), r.err.strip()[:200], want))
        else:
            want = "pyspy-sh: print: %s\n" % text
            if r.rc != 1 or r.err != want or out:
                probs.append("print %s: exit %d, stderr %r, stdout %r; expected exit 1, stderr %r"
                             % (expr, r.rc, r.err[:200], short(out), want))
    raise_probs(probs)


def t_list_changed(spy, target):
    """`list` warns when the source changed under the process (values.py runs from a copy)."""
    path = target.script
    run = lambda *cmds: spy.run(["-p", target.pid, "-nx", "-ex", "frame 1"] + [a for c in cmds for a in ("-ex", c)] + ["--batch"])
    warn = "(warning: '%s' " % path
    r = ok(run("list"))
    if warn in r.out:
        raise harness.Fail("list warned about the unchanged file: %r" % r.out[:300])
    later = time.time() + 60
    os.utime(path, (later, later))
    r = ok(run("list"))
    want = "(warning: '%s' was modified after the process started: the lines below may not be the ones it runs)" % path
    if r.out.split("\n")[1] != want:
        raise harness.Fail("after touching the file, list printed %r; expected first %r" % (r.out[:400], want))
    with open(path) as f:
        head = f.readlines()[:20]
    with open(path, "w") as f:
        f.writelines(head)
    os.utime(path, (0, 0))          # an old mtime: only the line count can tell
    r = ok(run("list 1"))
    want = ("(warning: '%s' has 20 lines but the running code reaches line %d: the file changed since it was loaded)"
            % (path, target.truth["hold_values_last_line"]))
    if r.out.split("\n")[1] != want:
        raise harness.Fail("after cutting the file, list 1 printed %r; expected first %r" % (r.out[:400], want))


def t_thread_starting(spy, target):
    """A thread state no thread has taken yet (3.12+) shows as starting, not as OS tid 0."""
    if not target.truth.get("starting_thread_states"):
        raise harness.Skip("before 3.12 a new thread makes its own thread state: none is ever seen unbound")
    r = ok(spy.run(["-p", target.pid, "-nx", "-ex", "threads", "-ex", "bt --all", "-ex", "bt --all --json", "--batch"]))
    rows = [l for l in r.out.split("\n") if re.match(r"^[* ] \d+ ", l)]
    starting = [l for l in rows if re.match(r"^  (\d+) +- +starting +0x0 +\(starting: no OS thread yet\)$", l)]
    heads = re.findall(r"^Thread \d+ \(OS tid -, starting\): \(starting: no OS thread yet\)$", r.out, re.M)
    doc = json.loads(r.out[r.out.index("{\"pid\""):])
    unbound = [t for t in doc["threads"] if t["thread_id"] == 0]
    if len(starting) != 1 or len(heads) != 1 or len(unbound) != 1 or unbound[0]["os_tid"] is not None:
        raise harness.Fail("one starting thread state expected: threads %r, bt headers %r, json %r"
                           % (rows, heads, unbound))
    if any(" 0 " in l[:14] for l in rows):
        raise harness.Fail("a thread shows OS tid 0: %r" % rows)


def t_print_paths(spy, target):
    """Every path of the target's PRINT_EXPRS in one run: stdout == 'EXPR = repr(eval(EXPR))' lines."""
    prints = target.truth["prints"]
    args = ["-p", target.pid, "-nx", "-ex", "frame 1"]
    for expr, _ in prints:
        args += ["-ex", "print " + expr]
    r = ok(spy.run(args + ["--batch"]))
    lines = r.out.split("\n")[1:]
    probs = []
    for i, (expr, text) in enumerate(prints):
        want = "%s = %s" % (expr, text)
        got = lines[i] if i < len(lines) else "(no line)"
        if got != want:
            probs.append("print %s: %r, expected %r" % (expr, short(got), short(want)))
    raise_probs(probs)


# ------------------------------------------------------------------ registration

# Run in this order on one shared target; a test's name is NAME[interpreter label].
PER_INTERP = (("values_locals", t_locals), ("values_json", t_json), ("values_unlimited", t_unlimited),
              ("values_print", t_print), ("values_print_paths", t_print_paths),
              ("values_thread_starting", t_thread_starting),
              ("values_list_changed", t_list_changed))   # last: it rewrites the target's copy of values.py


def run_per_interp(res, interp, spy):
    names = ["%s[%s]" % (t, interp.label) for t, _ in PER_INTERP]
    if not any(res.wanted(n) for n in names):
        return
    if interp.missing:
        for n in names:
            if res.wanted(n):
                res.skip(n, interp.missing)
        return
    tmpdir = tempfile.mkdtemp(prefix="pyspy-e2e-")
    target = None
    try:
        try:
            script = os.path.join(tmpdir, "values.py")     # a copy: values_list_changed rewrites it
            shutil.copy(VALUES, script)
            target = harness.Target(interp, script, [], tmpdir)
            target.script = script
            target.wait_ready()
            # 'ready' comes just before the block: wait until it sits in time.sleep
            harness.settle_in_sleep(target.pid, [target.pid])
        except harness.Fail as e:
            for n in names:
                if res.wanted(n):
                    res.fail(n, "values target: %s" % e)
            return
        for t, fn in PER_INTERP:
            res.run("%s[%s]" % (t, interp.label), fn, spy, target)
    finally:
        if target is not None:
            target.kill()
        shutil.rmtree(tmpdir, ignore_errors=True)
