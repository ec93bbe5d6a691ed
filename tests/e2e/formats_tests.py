"""Profile formats other viewers open, and the exception mode (imported by
run.py).

formats (per interpreter, one target): tests/targets/shares.py spends
50/30/20% of its time in sixty(), thirty() and ten() and measures what it
achieved; one `sample 1s --mode wall` is saved as .pstats and
.gecko.json (wall mode: on a loaded machine the CPU a short slice gets is
blurred, the wall split the ticks see is not).
  - pstats: the interpreter under test loads the file with its own
    pstats.Stats (and prints it sorted, and its callers, to /dev/null); each
    function's cumulative time as a share of the three's must be within
    5 points of the wall share the target measured (the truth leaves out
    main's own time, spent writing the truth file); each key's first line is
    the line of its `def`; sixty's one caller is main, with sixty's numbers.
  - gecko: gecko_check.validate() checks the shape the Firefox Profiler's
    importer reads, and every sample resolved back to its stack (prefix chain,
    location strings) gives each function a share of the samples within
    5 points of the truth.
  - units: the pstats times add up to samples x the achieved interval (the
    summary's seconds / ticks); cpu mode's µs -> s is test_export_load's.
exception_mode (per interpreter): tests/targets/raiser.py raises and catches
ValueError in a loop, 10 ms inside the except block and 10 ms outside, with a
bystander thread that never raises; `sample --mode exception` must keep only
stacks through one_round's except path (in_handler or one_round innermost),
none with outside() or the bystander, and find the handler in at least 15%
of the ticks (it holds half the main thread's time).
cprofile_base (per interpreter): a file the interpreter's own cProfile wrote
loads with pyspy.load (a BASE for --diff): each function's own time is what
the interpreter's pstats reads from the same file, to the µs, its total
within 1%.
diff_flamegraph (once, wall mode): a base run of shares.py at 50/30/20 saved as folded
and pstats (plus a line of a function the second run lacks), then a run at
20/30/50: `flamegraph --diff BASE.txt` and Lua's
`p:flamegraph(path, {diff = pyspy.load(BASE.pstats)})` must paint sixty
blue and ten red (fill attributes), give in the tooltips own shares within
5 points of the wall time each run measured over the run's window (each run
saves a Gecko profile, whose span is the window), and list the missing
function in the note; pyspy.load of the pstats file gives own shares within
5 points of the base run's truth, and of a cut pstats file or a text file a
clear nil, message.
heatmap_browser (once): tests/targets/heat.py alternates between a loop in
itself and one in a module whose file it deleted; `heatmap` is opened in
headless Chromium (svg_browser.heat_probe): no script errors and no script
of its own, the loop's line holds own samples, the first "hottest line" link
is the loop and clicking it brings the line into view, hot()'s function link
goes to its def line, and the deleted module is there by name with its
line's counts and no source; a function compiled under the name
/etc/passwd is listed with its counts, and no line of that file is in the page.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import xml.dom.minidom

import gecko_check
import harness
import profile_tests
import svg_browser

SHARES = os.path.join(harness.TARGETS, "shares.py")
HEAT = os.path.join(harness.TARGETS, "heat.py")
RAISER = os.path.join(harness.TARGETS, "raiser.py")
NAMES = ("sixty", "thirty", "ten")
SUMMARY = re.compile(r"^sampled pid \d+ for ([\d.]+)s at \d+ Hz: (\d+) ticks .*?, (\d+) samples", re.M)

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

# Run by the interpreter under test: a cProfile file of two functions, then
# what its own pstats reads back from that file (the truth for pyspy.load).
CPROFILE_WRITER = r"""
import cProfile, json, os, pstats, sys
def cprofiled_leaf(n):
    s = 0
    for i in range(n):
        s += i
    return s
def cprofiled_root():
    for _ in range(20):
        cprofiled_leaf(20000)
p = cProfile.Profile()
p.enable()
cprofiled_root()
p.disable()
p.dump_stats(sys.argv[1])
st = pstats.Stats(sys.argv[1], stream=open(os.devnull, "w")).stats
sys.stdout.write(json.dumps(dict((k[2], [v[2], v[3]]) for k, v in st.items() if k[2].startswith("cprofiled_"))))
"""


def t_cprofile_base(ctx):
    """A profile cProfile wrote is a BASE too: pyspy.load gives each function the own time the
    interpreter's own pstats reads from the same file (µs, exact) and its total within 1% (pyspy
    rebuilds totals from the callers' edges; cProfile measures them, a few µs apart on 2.7)."""
    interp, spy = ctx
    tmp = tempfile.mkdtemp(prefix="pyspy-e2e-cprof-")
    try:
        prof = os.path.join(tmp, "c.prof")
        out = subprocess.check_output([interp.path, "-c", CPROFILE_WRITER, prof], stderr=subprocess.STDOUT)
        truth = json.loads(out.decode())
        if sorted(truth) != ["cprofiled_leaf", "cprofiled_root"]:
            raise harness.Fail("the interpreter's pstats did not read both functions back: %r" % truth)
        lua = ("lua b = assert(pyspy.load(%s)); for _, r in ipairs(b:top(50, 'function')) do "
               "print('LOADED', r.qualname, r.own, r.total) end" % json.dumps(prof))
        r = spy.run(["-nx", "-ex", lua, "--batch"])
        if r.rc != 0:
            raise harness.Fail("pyspy.load of a cProfile file: %s" % r.describe())
        got = dict((m.group(1), (int(m.group(2)), int(m.group(3))))
                   for m in re.finditer(r"^LOADED\t(\S+)\t(\d+)\t(\d+)$", r.out, re.M))
        for name, (tt, ct) in truth.items():
            want = (int(round(tt * 1e6)), int(round(ct * 1e6)))
            total_off = abs(got[name][1] - want[1]) if name in got else None
            if name not in got or abs(got[name][0] - want[0]) > 1 or total_off > max(1, want[1] // 100):
                raise harness.Fail("pyspy.load: %s own/total %r µs, pstats reads %r from the same file (%r)"
                                   % (name, got.get(name), want, r.out[-400:]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def def_lines():
    with open(SHARES) as f:
        return dict((m.group(1), i + 1) for i, line in enumerate(f)
                    for m in [re.match(r"def (\w+)\(", line)] if m)


def shares_of(before, after):
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
    return doc["total_tt"]


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


def window_shares(target, t0, t1, key):
    """Shares of the three functions' time (key "spent": wall, "cpu": CPU) between two wall-clock
    times, interpolated in the history the target keeps (an entry every 0.1 s)."""
    with open(target.truth_path) as f:
        hist = json.load(f).get("history", [])
    pos = {"spent": 1, "cpu": 2}[key]

    def at(t):
        if hist and hist[0][0] - 0.01 <= t < hist[0][0]:
            t = hist[0][0]       # the profile's times are rounded to the ms
        for (ta, a, ca), (tb, b, cb) in zip(hist, hist[1:]):
            if ta <= t <= tb:
                x = (t - ta) / (tb - ta) if tb > ta else 0.0
                va, vb = (a, b) if pos == 1 else (ca, cb)
                return dict((n, va[n] + x * (vb[n] - va[n])) for n in NAMES)
        raise harness.Fail("the target's history (%s to %s) does not cover %.3f"
                           % (hist[0][0] if hist else None, hist[-1][0] if hist else None, t))
    return shares_of(at(t0), at(t1))


def t_formats(ctx):
    """Wall mode for the shares (a loaded machine blurs CPU accounting, not the wall split the ticks
    see); a short cpu-mode run checks that its µs of CPU become pstats seconds."""
    interp, spy = ctx
    # no slice shorter than 4 ms of the target's 20 ms rounds: on a loaded machine shorter ones drift
    with profile_tests.running(interp, SHARES, "split=50,30,20") as (target, tmpdir):
        out = os.path.join(tmpdir, "p")
        r = spy.run(["-p", str(target.pid), "-ex", "sample 1s --rate 450 --mode wall", "-ex",
                     "save %s.pstats" % out, "-ex", "save %s.gecko.json" % out, "--batch"])
        if r.rc != 0:
            raise harness.Fail("exit %d: %s" % (r.rc, r.describe()))
        time.sleep(0.25)     # the target's next history entry, past the window's end
        t0, t1 = harness.gecko_window(out + ".gecko.json")
        want = window_shares(target, t0, t1, "spent")
        total = check_pstats(interp, out + ".pstats", target.truth["file"], want)
        check_gecko(out + ".gecko.json", target.truth["file"], want)
    # wall mode: times are samples x the achieved interval, so they add up to the sampled span
    m = SUMMARY.search(r.out)
    if not m:
        raise harness.Fail("no sample summary: %r" % r.out[:300])
    secs, ticks, samples = float(m.group(1)), int(m.group(2)), int(m.group(3))
    if abs(total - samples * secs / ticks) > 0.02 * total + 0.01:
        raise harness.Fail("pstats total time %.4f s, %d samples x %.2f s / %d ticks is %.4f s"
                           % (total, samples, secs, ticks, samples * secs / ticks))


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
        if abs(own - now[name]) > 5 or abs(was - base[name]) > 5:
            raise harness.Fail("%s: %s's tooltip says own %.1f%% (base %.1f%%), the runs measured %.1f%% and %.1f%%"
                               % (path, name, own, was, now[name], base[name]))
    if not frames["sixty"][0][2] > frames["sixty"][0][0] + 60:
        raise harness.Fail("%s: sixty shrank but its fill is %r, not blue" % (path, frames["sixty"][0]))
    if not frames["ten"][0][0] > frames["ten"][0][2] + 60:
        raise harness.Fail("%s: ten grew but its fill is %r, not red" % (path, frames["ten"][0]))
    if gone and gone not in note:
        raise harness.Fail("%s: the note does not list %s: %r" % (path, gone, note[:300]))


def t_diff(spy, interp):
    # wall mode (on a loaded machine the CPU a slice gets is blurred, the wall split the ticks see
    # is not); no slice shorter than 4 ms of the target's 20 ms rounds.  Each run also saves a
    # Gecko profile: its span is the window the truth is taken over.
    with profile_tests.running(interp, SHARES, "split=50,30,20") as (target, tmpdir):
        base_txt, base_ps = os.path.join(tmpdir, "base.txt"), os.path.join(tmpdir, "base.pstats")
        g0, g1, g2 = (os.path.join(tmpdir, "g%d.gecko.json" % i) for i in range(3))
        r = spy.run(["-p", str(target.pid), "-ex", "sample 700ms --rate 450 --mode wall", "-ex", "save " + base_txt,
                     "-ex", "save " + base_ps, "-ex", "save " + g0, "--batch"])
        if r.rc != 0:
            raise harness.Fail("base run: exit %d: %s" % (r.rc, r.describe()))
        time.sleep(0.25)     # the target's next history entry, past the window's end
        base = window_shares(target, *harness.gecko_window(g0), key="spent")
        target.kill()
        with open(base_txt, "a") as f:
            f.write("<module> (/nowhere/gone.py);vanished (/nowhere/gone.py:3) 1\n")
        target = profile_tests.start_script(interp, tmpdir, SHARES, "split=20,30,50")
        d1, d2 = os.path.join(tmpdir, "d1.svg"), os.path.join(tmpdir, "d2.svg")
        cut = os.path.join(tmpdir, "cut.pstats")
        with open(base_ps, "rb") as f, open(cut, "wb") as g:
            g.write(f.read()[:40])
        r = spy.run(["-p", str(target.pid), "-ex", "sample 700ms --rate 450 --mode wall", "-ex",
                     "flamegraph %s --diff %s --by function" % (d1, base_txt), "-ex", "save " + g1, "--batch"])
        if r.rc != 0:
            raise harness.Fail("second run: exit %d: %s" % (r.rc, r.describe()))
        time.sleep(0.25)     # the target's next history entry, past the window's end
        check_diff_svg(d1, window_shares(target, *harness.gecko_window(g1), key="spent"), base, "vanished (/nowhere/gone.py)")
        lua = ("lua p = pyspy.sample{duration=0.7, rate=450, mode='wall'}; b = assert(pyspy.load('%s')); "
               "assert(p:flamegraph('%s', {diff = b})); assert(p:save('%s')); "
               "for _, r in ipairs(b:top(10, 'function')) do print('loaded', r.qualname, 100 * r.own / b.weight) end; "
               "print('bad', pyspy.load('%s')); print('bad', pyspy.load('%s'))"
               % (base_ps, d2, g2, cut, SHARES))
        r = spy.run(["-p", str(target.pid), "-ex", lua, "--batch"])
        if r.rc != 0:
            raise harness.Fail("lua run: exit %d: %s" % (r.rc, r.describe()))
        time.sleep(0.25)
        check_diff_svg(d2, window_shares(target, *harness.gecko_window(g2), key="spent"), base, None)
        target.kill()
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
        if abs(loaded[name] - base[name]) > 5:
            raise harness.Fail("pyspy.load(pstats): %s own %s%%, the base run measured %.1f%% (%r)"
                               % (name, loaded.get(name), base[name], loaded))


def t_heatmap(spy, interp):
    """The heatmap in headless Chromium: no script errors, the hot line found, hottest, and scrolled into view."""
    svg_browser.find_chromium()
    with profile_tests.running(interp, HEAT) as (target, tmpdir):
        page = os.path.join(tmpdir, "heat.html")
        r = spy.run(["-p", str(target.pid), "-ex", "sample 300ms --rate 300", "-ex", "heatmap " + page, "--batch"])
        if r.rc != 0:
            raise harness.Fail("exit %d: %s" % (r.rc, r.describe()))
        t = target.truth
        got = svg_browser.heat_probe(page, t, tmpdir)
        with open(page, encoding="utf-8") as f:
            html = f.read()
        with open("/etc/passwd") as f:
            secret = f.readline().strip()
    if secret in html or "/etc/passwd <span" not in html or "source (not shown: not a .py file)" not in html:
        raise harness.Fail("a code object named /etc/passwd: its first line in the page %s, the file listed %s"
                           % (secret in html, "/etc/passwd <span" in html))
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
    # the target alternates 20 ms in each of its three loops
    if not (15 < got["file_share"] and 15 < got["gone_share"] < 60):
        raise harness.Fail("file shares %.1f%% (heat.py) and %.1f%% (deleted module), each loop has half the time"
                           % (got["file_share"], got["gone_share"]))


def t_exception(ctx):
    """--mode exception keeps the main thread inside its except block, never outside() nor the bystander."""
    interp, spy = ctx
    with profile_tests.running(interp, RAISER) as (target, tmpdir):
        out = os.path.join(tmpdir, "exc.txt")
        r = spy.run(["-p", str(target.pid), "-ex", "sample 400ms --rate 250 --mode exception", "-ex", "save " + out,
                     "--batch"])
        if r.rc != 0:
            raise harness.Fail("exit %d: %s" % (r.rc, r.describe()))
        m = re.search(r": (\d+) ticks .*?, (\d+) samples, .*; mode exception \(weights: samples\)", r.out)
        if not m:
            raise harness.Fail("no exception-mode summary: %r" % r.out[:300])
        ticks, samples = int(m.group(1)), int(m.group(2))
        stacks = [(stack.split(";"), n) for stack, n in harness.read_folded(out)]
    where = "(%s:" % target.truth["file"]
    handler = [n for frames, n in stacks if frames[-1].startswith("in_handler " + where)
               or frames[-1].startswith("one_round " + where)]
    # the bystander never raises: it is never kept.  The main thread's state
    # is read at the tick's start and its stack after, without pausing: a
    # thread that left its except block in between is a race, a few samples
    bystander = [";".join(f.split(" (")[0] for f in frames) for frames, n in stacks
                 if any(f.startswith("bystander ") for f in frames)]
    if bystander:
        raise harness.Fail("the bystander thread was kept: %s" % bystander[:3])
    bad = [(";".join(f.split(" (")[0] for f in frames), n) for frames, n in stacks
           if not any(f.startswith("one_round " + where) for f in frames)
           or any(f.startswith("outside ") for f in frames)]
    raced = sum(n for _, n in bad)
    if raced * 100 > samples * 3:
        raise harness.Fail("%d of %d samples outside the except path were kept: %s"
                           % (raced, samples, [b for b, _ in bad][:3]))
    # the main thread spends half its time in the except block
    if sum(handler) + raced != samples or samples * 100 < ticks * 15:
        raise harness.Fail("%d samples in %d ticks, %d of them in the handler: the except block is half the time"
                           % (samples, ticks, sum(handler)))


# ------------------------------------------------------------------ registration

# shares are compared in wall mode (formats) or in the once-only tests, so this group may run
# alongside another interpreter's tests (run.py --jobs 2)

PER_INTERP = (("formats", t_formats), ("exception_mode", t_exception), ("cprofile_base", t_cprofile_base))
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
