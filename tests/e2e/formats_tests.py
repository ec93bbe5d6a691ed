"""Profile formats other viewers open (imported by run.py): pstats, the
Firefox Profiler's Gecko profile.

formats (per interpreter, one target): tests/targets/shares.py spends
60/30/10% of its CPU time in sixty(), thirty() and ten() and measures what it
achieved; one `sample 1500ms` is saved as .pstats and .gecko.json.
  - pstats: the interpreter under test loads the file with its own
    pstats.Stats (and prints it sorted, and its callers, to /dev/null); each
    function's cumulative time as a share of the three's must be within
    5 points of the CPU share the target measured (the truth leaves out
    main's own time, spent writing the truth file); each key's first line is
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
import xml.dom.minidom

import gecko_check
import harness
import profile_tests
import svg_browser

SHARES = os.path.join(harness.TARGETS, "shares.py")
HEAT = os.path.join(harness.TARGETS, "heat.py")
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
    if doc["total_tt"] <= 0:
        raise harness.Fail("pstats total time is %r" % doc["total_tt"])
    for name in NAMES:
        if name not in funcs:
            raise harness.Fail("pstats has no %s in %s: %s" % (name, truth_file, sorted(funcs)))
    # the truth splits the three functions' time (main's own, writing the truth file, is left out)
    total = sum(funcs[n]["ct"] for n in NAMES)
    for name in NAMES:
        f = funcs[name]
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
    counts = dict((n, sum(1 for s in stacks if "%s (%s)" % (n, truth_file) in s)) for n in NAMES)
    for name in NAMES:
        share = 100.0 * counts[name] / max(1, sum(counts.values()))
        if abs(share - want[name]) > 5:
            raise harness.Fail("gecko: %s is in %.1f%% of the samples, the target spent %.1f%% of its CPU there"
                               % (name, share, want[name]))


def t_formats(ctx):
    interp, spy = ctx
    with profile_tests.running(interp, SHARES) as (target, tmpdir):
        out = os.path.join(tmpdir, "p")
        before = profile_tests.spent(target)
        r = spy.run(["-p", str(target.pid), "-ex", "sample 1500ms --rate 370", "-ex", "save %s.pstats" % out,
                     "-ex", "save %s.gecko.json" % out, "--batch"])
        after = profile_tests.spent(target)
        if r.rc != 0:
            raise harness.Fail("exit %d: %s" % (r.rc, r.describe()))
        want = cpu_shares(before, after)
        check_pstats(interp, out + ".pstats", target.truth["file"], want)
        check_gecko(out + ".gecko.json", target.truth["file"], want)


TIP = re.compile(r"^(\w+) \(.*? own ([\d.]+)% \(base ([\d.]+)%, ([-+][\d.]+) points\)$")


def svg_frames(path):
    """{function: (fill rgb tuple, own now, own in the base)} from a diff flame graph, and its note text."""
    doc = xml.dom.minidom.parse(path)
    out = {}
    for g in doc.getElementsByTagName("g"):
        if g.getAttribute("class") != "f":
            continue
        title = g.getElementsByTagName("title")[0].firstChild.data
        m = TIP.match(title)
        if not m:
            continue
        fill = g.getElementsByTagName("rect")[0].getAttribute("fill")
        rgb = tuple(int(x) for x in re.match(r"rgb\((\d+),(\d+),(\d+)\)", fill).groups())
        out[m.group(1)] = (rgb, float(m.group(2)), float(m.group(3)))
    note = " ".join(t.firstChild.data for t in doc.getElementsByTagName("text")
                    if "note" in t.getAttribute("class") and t.firstChild)
    return out, note


def check_diff_svg(path, now, base, gone):
    frames, note = svg_frames(path)
    for name in NAMES:
        if name not in frames:
            raise harness.Fail("%s: no frame of %s with both shares in its tooltip" % (path, name))
    # the truth is a split of the three functions' time: main's own share (writing the truth file) is left out
    sum_now, sum_was = sum(frames[n][1] for n in NAMES), sum(frames[n][2] for n in NAMES)
    for name in NAMES:
        rgb, own, was = frames[name]
        own, was = 100.0 * own / sum_now, 100.0 * was / sum_was
        if abs(own - now[name]) > 8 or abs(was - base[name]) > 8:
            raise harness.Fail("%s: %s's tooltip says own %.1f%% (base %.1f%%), the runs measured %.1f%% and %.1f%%"
                               % (path, name, own, was, now[name], base[name]))
    if not frames["sixty"][0][2] > frames["sixty"][0][0] + 60:
        raise harness.Fail("%s: sixty shrank but its fill is %r, not blue" % (path, frames["sixty"][0]))
    if not frames["ten"][0][0] > frames["ten"][0][2] + 60:
        raise harness.Fail("%s: ten grew but its fill is %r, not red" % (path, frames["ten"][0]))
    if gone and gone not in note:
        raise harness.Fail("%s: the note does not list %s: %r" % (path, gone, note[:300]))


def t_diff(spy, interp):
    # no slice shorter than 4 ms of the target's 20 ms rounds: on a loaded machine shorter ones drift
    with profile_tests.running(interp, SHARES, "split=50,30,20") as (target, tmpdir):
        base_txt, base_ps = os.path.join(tmpdir, "base.txt"), os.path.join(tmpdir, "base.pstats")
        before = profile_tests.spent(target)
        r = spy.run(["-p", str(target.pid), "-ex", "sample 1500ms --rate 370", "-ex", "save " + base_txt,
                     "-ex", "save " + base_ps, "--batch"])
        base = cpu_shares(before, profile_tests.spent(target))
        if r.rc != 0:
            raise harness.Fail("base run: exit %d: %s" % (r.rc, r.describe()))
        target.kill()
        with open(base_txt, "a") as f:
            f.write("<module> (/nowhere/gone.py);vanished (/nowhere/gone.py:3) 1000\n")
        target = profile_tests.start_script(interp, tmpdir, SHARES, "split=20,30,50")
        d1, d2 = os.path.join(tmpdir, "d1.svg"), os.path.join(tmpdir, "d2.svg")
        cut = os.path.join(tmpdir, "cut.pstats")
        with open(base_ps, "rb") as f, open(cut, "wb") as g:
            g.write(f.read()[:40])
        lua = ("lua p = pyspy.sample{duration=1.5, rate=370}; b = assert(pyspy.load('%s')); "
               "assert(p:flamegraph('%s', {diff = b})); "
               "for _, r in ipairs(b:top(10, 'function')) do print('loaded', r.qualname, 100 * r.own / b.weight) end; "
               "print('bad', pyspy.load('%s')); print('bad', pyspy.load('%s'))"
               % (base_ps, d2, cut, SHARES))
        before = profile_tests.spent(target)
        r = spy.run(["-p", str(target.pid), "-ex", "sample 1500ms --rate 370", "-ex",
                     "flamegraph %s --diff %s --by function" % (d1, base_txt), "--batch"])
        now = cpu_shares(before, profile_tests.spent(target))
        if r.rc != 0:
            raise harness.Fail("second run: exit %d: %s" % (r.rc, r.describe()))
        check_diff_svg(d1, now, base, "vanished (/nowhere/gone.py)")
        before = profile_tests.spent(target)
        r = spy.run(["-p", str(target.pid), "-ex", lua, "--batch"])
        now = cpu_shares(before, profile_tests.spent(target))
        target.kill()
        if r.rc != 0:
            raise harness.Fail("lua run: exit %d: %s" % (r.rc, r.describe()))
        check_diff_svg(d2, now, base, None)
        for want in ("bad\tnil\tcannot read '%s': not a pstats file (the file ends inside a value)" % cut,
                     "bad\tnil\tcannot read '%s': line 1 is not folded stacks ('a;b;c COUNT') nor is the file pstats"
                     % SHARES):
            if want not in r.out:
                raise harness.Fail("pyspy.load of a bad file: %r not in %r" % (want, r.out[-400:]))
        loaded = dict((m.group(1), float(m.group(2))) for m in re.finditer(r"^loaded\t(\w+)\t([\d.]+)$", r.out, re.M))
        if not all(n in loaded for n in NAMES):
            raise harness.Fail("pyspy.load(pstats) lacks a function: %r" % loaded)
        total = sum(loaded[n] for n in NAMES)
        loaded = dict((n, 100.0 * loaded[n] / total) for n in NAMES)
        for name in NAMES:
            if abs(loaded[name] - base[name]) > 8:
                raise harness.Fail("pyspy.load(pstats): %s own %s%%, the base run measured %.1f%% (%r)"
                                   % (name, loaded.get(name), base[name], loaded))


def t_heatmap(spy, interp):
    """The heatmap in headless Chromium: no script errors, the hot line found, hottest, and scrolled into view."""
    svg_browser.find_chromium()
    with profile_tests.running(interp, HEAT) as (target, tmpdir):
        page = os.path.join(tmpdir, "heat.html")
        r = spy.run(["-p", str(target.pid), "-ex", "sample 1s --rate 370", "-ex", "heatmap " + page, "--batch"])
        if r.rc != 0:
            raise harness.Fail("exit %d: %s" % (r.rc, r.describe()))
        t = target.truth
        got = svg_browser.heat_probe(page, t, tmpdir)
    if got.get("error") or got.get("errors") or got.get("scripts"):
        raise harness.Fail("in the browser: error %r, script errors %r, %r scripts of its own"
                           % (got.get("error"), got.get("errors"), got.get("scripts")))
    hot, prev = got["hot"], got["hot_prev"]
    if not hot or "# HOT" not in hot["code"] or hot["own"] + prev["own"] <= 0:
        raise harness.Fail("the hot loop's lines %d-%d: %r %r" % (t["hot_line"] - 1, t["hot_line"], prev, hot))
    want = ("#%s-l%d" % (got["rank"], t["hot_line"]), "#%s-l%d" % (got["rank"], t["hot_line"] - 1))
    if got["first_hot"] not in want or not got["hot_visible"]:
        raise harness.Fail("the first of the hottest lines is %r (want one of %r), shown after its link: %r"
                           % (got["first_hot"], want, got["hot_visible"]))
    if got["hot_func"] != ["#%s-l%d" % (got["rank"], t["hot_first"])]:
        raise harness.Fail("hot()'s link is %r, its def is line %d" % (got["hot_func"], t["hot_first"]))
    gone = got["gone"]
    if not gone or not gone["missing"] or gone["own"] <= 0 or "not found" not in got["gone_header"]:
        raise harness.Fail("the deleted module %s: line %d is %r, header %r"
                           % (t["gone_file"], t["gone_line"], gone, got["gone_header"]))
    # the target alternates 20 ms in each file's loop
    if not (20 < got["file_share"] and 20 < got["gone_share"] < 80):
        raise harness.Fail("file shares %.1f%% (heat.py) and %.1f%% (deleted module), each loop has half the time"
                           % (got["file_share"], got["gone_share"]))


# ------------------------------------------------------------------ registration

# compares shares of CPU time with the target's CPU clock: a loaded machine blurs the
# profile's split of short slices, so never alongside another interpreter's tests (run.py --jobs)
EXCLUSIVE = True

PER_INTERP = (("formats", t_formats),)
ONCE = (("diff_flamegraph", t_diff), ("heatmap_browser", t_heatmap))


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
