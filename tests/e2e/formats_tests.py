"""Profile formats other viewers open (imported by run.py): pstats, the
Firefox Profiler's Gecko profile.

formats (per interpreter, one target): tests/targets/shares.py spends
60/30/10% of its CPU time in sixty(), thirty() and ten() and measures what it
achieved; one `sample 1500ms` is saved as .pstats and .gecko.json.
  - pstats: the interpreter under test loads the file with its own
    pstats.Stats (and prints it sorted, and its callers, to /dev/null); each
    function's cumulative time as a share of the total own time must be within
    5 points of the CPU share the target measured; each key's first line is
    the line of its `def`; sixty's one caller is main, with sixty's numbers.
  - gecko: gecko_check.validate() checks the shape the Firefox Profiler's
    importer reads, and every sample resolved back to its stack (prefix chain,
    location strings) gives each function a share of the samples within
    5 points of the truth.
"""
import json
import os
import re
import subprocess

import gecko_check
import harness
import profile_tests

SHARES = os.path.join(harness.TARGETS, "shares.py")
NAMES = ("sixty", "thirty", "ten")

# Run by the interpreter under test (2.7 syntax too).
PSTATS_LOADER = r"""
import json, os, pstats, sys
devnull = open(os.devnull, "w")
s = pstats.Stats(sys.argv[1], stream=devnull)
s.sort_stats("cumulative").print_stats()
s.print_callers()
out = {"total_tt": s.total_tt, "funcs": []}
for (fn, line, name), (cc, nc, tt, ct, callers) in s.stats.items():
    out["funcs"].append({"file": fn, "line": line, "name": name, "cc": cc, "nc": nc, "tt": tt, "ct": ct,
                         "callers": [[k[2], list(v)] for k, v in callers.items()]})
sys.stdout.write(json.dumps(out))
"""


def def_lines():
    with open(SHARES) as f:
        return dict((m.group(1), i + 1) for i, line in enumerate(f)
                    for m in [re.match(r"def (\w+)\(", line)] if m)


def cpu_shares(before, after):
    delta = dict((k, after[k] - before.get(k, 0.0)) for k in NAMES)
    return dict((k, 100.0 * v / sum(delta.values())) for k, v in delta.items())


def load_pstats(interp, path):
    p = subprocess.run([interp.path, "-c", PSTATS_LOADER, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    if p.returncode != 0:
        raise harness.Fail("%s's pstats cannot load the file: %s" % (interp.label, p.stderr.decode()[-500:]))
    return json.loads(p.stdout.decode())


def check_pstats(interp, path, truth_file, want):
    doc = load_pstats(interp, path)
    lines = def_lines()
    funcs = dict((f["name"], f) for f in doc["funcs"] if f["file"] == truth_file)
    total = doc["total_tt"]
    if total <= 0:
        raise harness.Fail("pstats total time is %r" % total)
    for name in NAMES:
        f = funcs.get(name)
        if not f:
            raise harness.Fail("pstats has no %s in %s: %s" % (name, truth_file, sorted(funcs)))
        share = 100.0 * f["ct"] / total
        if abs(share - want[name]) > 5:
            raise harness.Fail("pstats: %s's cumulative time is %.1f%% of the total, the target spent %.1f%%"
                               % (name, share, want[name]))
        if f["line"] != lines[name]:
            raise harness.Fail("pstats key of %s has line %d, its def is on line %d" % (name, f["line"], lines[name]))
        if f["cc"] != f["nc"] or f["nc"] <= 0 or f["tt"] > f["ct"] + 1e-9:
            raise harness.Fail("pstats numbers of %s are inconsistent: %r" % (name, f))
    callers = funcs["sixty"]["callers"]
    if len(callers) != 1 or callers[0][0] != "main" or abs(callers[0][1][3] - funcs["sixty"]["ct"]) > 1e-9:
        raise harness.Fail("pstats: sixty's callers are %r, want main with its cumulative time" % callers)


def check_gecko(path, truth_file, want):
    with open(path) as f:
        doc = json.load(f)
    problems = gecko_check.validate(doc)
    if problems:
        raise harness.Fail("gecko profile is not valid: %s" % "; ".join(problems[:5]))
    stacks = gecko_check.stacks(doc)
    if len(stacks) < 100:
        raise harness.Fail("gecko profile holds %d samples" % len(stacks))
    for name in NAMES:
        label = "%s (%s)" % (name, truth_file)
        share = 100.0 * sum(1 for s in stacks if label in s) / len(stacks)
        if abs(share - want[name]) > 5:
            raise harness.Fail("gecko: %s is in %.1f%% of the samples, the target spent %.1f%% of its CPU there"
                               % (name, share, want[name]))


def t_formats(ctx):
    interp, spy = ctx
    with profile_tests.running(interp, SHARES) as (target, tmpdir):
        out = os.path.join(tmpdir, "p")
        before = profile_tests.spent(target)
        r = spy.run(["-p", str(target.pid), "-ex", "sample 1500ms --rate 500", "-ex", "save %s.pstats" % out,
                     "-ex", "save %s.gecko.json" % out, "--batch"])
        after = profile_tests.spent(target)
        if r.rc != 0:
            raise harness.Fail("exit %d: %s" % (r.rc, r.describe()))
        want = cpu_shares(before, after)
        check_pstats(interp, out + ".pstats", target.truth["file"], want)
        check_gecko(out + ".gecko.json", target.truth["file"], want)


# ------------------------------------------------------------------ registration

# compares shares of CPU time: the target's own CPU clock is the truth, so load elsewhere does not matter
PER_INTERP = (("formats", t_formats),)
ONCE = ()


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
    if usable:
        for name, fn in ONCE:
            res.run(name, fn, spy, usable[-1])
