"""Profiling through the real binary (imported by run.py): `sample`, `top`,
`save` in every format and `flamegraph`, on every interpreter, checked against
a target whose hot spot is known (tests/targets/busy.py: hot_leaf, 30 frames
deep).  The default profile weighs each stack by the CPU time its thread
used since the previous tick (µs): folded counts and speedscope weights
(unit "microseconds") must add up to the total the summary states.
profile_accuracy: tests/targets/shares.py spends 60/30/10% of its time in
three functions and records what it achieved; `top` must show each share
within 5 points of the CPU time the target measured per function (its
process CPU clock: one thread); the CPU time the profile weighs must be what the kernel's
schedstat says the target used in that window (85-101%: the window also
holds pyspy-sh's attach); and `sample 2s --rate 200 --mode wall` (one
sample per thread per tick) must give 400 +- 10% samples.  The speedscope file is checked by speedscope_check.py.  Also: an unwritable output path keeps the profile, a target that
exits mid-sample keeps the samples, and bad arguments get clear errors.
`late` in the summary counts missed ticks: at 200 kHz (unreachable) ticks +
late is the rate times the time, +-20%.
"""
import contextlib
import json
import os
import re
import shutil
import tempfile
import xml.dom.minidom

import harness
import speedscope_check
import svg_browser

BUSY = os.path.join(harness.TARGETS, "busy.py")
SHARES = os.path.join(harness.TARGETS, "shares.py")
TOP_ROW = re.compile(r"^ *(\d+\.\d+)% +(\d+\.\d+)% +[\d.]+ +[\d.]+  (\S+) \((.*)\)$", re.M)
SUMMARY = re.compile(r"^sampled pid \d+ for ([\d.]+)s at (\d+) Hz: (\d+) ticks .*?, (\d+) samples", re.M)
WEIGHT = re.compile(r"; mode cpu \(weights: \xb5s of CPU, (\d+) in all\)")


@contextlib.contextmanager
def running(interp, script, *args):
    """A started target (truth loaded) and its temporary directory, both gone afterwards."""
    tmpdir = tempfile.mkdtemp(prefix="pyspy-e2e-")
    target = None
    try:
        target = start_script(interp, tmpdir, script, *args)
        yield target, tmpdir
    finally:
        if target:
            target.kill()
        shutil.rmtree(tmpdir, ignore_errors=True)


def start_script(interp, tmpdir, script, *args):
    target = harness.Target(interp, script, list(args), tmpdir)
    target.wait_ready()
    with open(target.truth_path) as f:
        target.truth = json.load(f)
    return target


def check_folded(path, truth, weight):
    total, leaf_hits = 0, 0
    for stack, count in harness.read_folded(path):
        frames = stack.split(";")
        total += count
        # the loop's two lines (the while test and the body) share the time
        leaf = re.match(r"^hot_leaf \((.*):(\d+)\)$", frames[-1])
        if leaf and leaf.group(1) == truth["file"] and int(leaf.group(2)) in (truth["leaf_line"] - 1, truth["leaf_line"]):
            leaf_hits += count
            if len(frames) < 30:
                raise harness.Fail("hot_leaf stack has %d frames, expected at least 30" % len(frames))
    if total != weight:
        raise harness.Fail("folded counts add up to %d, the profile weighs %d \xb5s of CPU" % (total, weight))
    if leaf_hits * 10 < total * 8:
        raise harness.Fail("hot_leaf's loop is the leaf in %d of %d samples, expected most" % (leaf_hits, total))


def t_profile(ctx):
    interp, spy = ctx
    with running(interp, BUSY) as (target, tmpdir):
        out = os.path.join(tmpdir, "p")
        r = spy.run(["-p", str(target.pid), "-ex", "sample 1s --rate 200", "-ex", "top -n 3",
                     "-ex", "save %s.txt" % out, "-ex", "save %s.json" % out,
                     "-ex", "save %s.trace.json" % out, "-ex", "flamegraph %s.svg" % out, "--batch"])
        if r.rc != 0:
            raise harness.Fail("exit %d: %s" % (r.rc, r.describe()))
        m = re.search(r"^sampled pid \d+ for [\d.]+s at 200 Hz: (\d+) ticks .*?, (\d+) samples", r.out, re.M)
        if not m or int(m.group(2)) < 50:
            raise harness.Fail("sample summary missing or too few samples: %r" % r.out[:300])
        w = WEIGHT.search(r.out)
        if not w:
            raise harness.Fail("the summary does not state the weights in \xb5s of CPU: %r" % r.out[:400])
        weight = int(w.group(1))
        rows = [l for l in r.out.splitlines() if re.match(r"^\s*[\d.]+% ", l)]
        if not rows or "hot_leaf (%s)" % target.truth["file"] not in rows[0]:
            raise harness.Fail("top's first row is not hot_leaf: %r" % (rows[:1],))
        own = float(rows[0].split("%")[0])
        if own < 80:
            raise harness.Fail("hot_leaf own share %.1f%%, expected most of the samples" % own)
        check_folded(out + ".txt", target.truth, weight)
        with open(out + ".json") as f:
            doc = json.load(f)
        problems = speedscope_check.validate(doc)
        if problems:
            raise harness.Fail("speedscope file is not valid: %s" % "; ".join(problems[:5]))
        if speedscope_check.sample_weight_total(doc) != weight:
            raise harness.Fail("speedscope weights add up to %d, the profile weighs %d \xb5s of CPU"
                               % (speedscope_check.sample_weight_total(doc), weight))
        units = set(p.get("unit") for p in doc["profiles"])
        if units != {"microseconds"}:
            raise harness.Fail("speedscope profiles' units are %s, expected microseconds" % sorted(units))
        names = [fr.get("name") for fr in doc["shared"]["frames"]]
        if "hot_leaf" not in " ".join(n or "" for n in names):
            raise harness.Fail("speedscope frames do not name hot_leaf")
        with open(out + ".trace.json") as f:
            events = json.load(f)
        if not any(e.get("name", "").startswith("hot_leaf") for e in events if isinstance(e, dict)):
            raise harness.Fail("chrome trace has no hot_leaf event")
        svg = xml.dom.minidom.parse(out + ".svg")
        titles = " ".join(t.firstChild.data for t in svg.getElementsByTagName("title") if t.firstChild)
        if "hot_leaf" not in titles:
            raise harness.Fail("flame graph has no hot_leaf frame")
        check_late(spy, target)


LATE = re.compile(r"^sampled pid \d+ for ([\d.]+)s at (\d+) Hz: (\d+) ticks .*?, (\d+) late", re.M)


def check_late(spy, target):
    """A rate no sampler reaches (200 kHz): `late` counts the missed ticks, so
    ticks + late is the rate times the time (the jitter is +-10%, mean zero)."""
    r = spy.run(["-p", str(target.pid), "-ex", "sample 0.2s --rate 200000 --mode wall", "--batch"])
    m = LATE.search(r.out)
    if r.rc != 0 or not m:
        raise harness.Fail("sample 0.2s --rate 200000: %s" % r.describe())
    seconds, rate, ticks, late = float(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4))
    due = rate * seconds
    if late == 0 or not 0.8 * due <= ticks + late <= 1.2 * due:
        raise harness.Fail("at %d Hz for %.2fs: %d ticks + %d late = %d, expected about %d scheduled ticks"
                           % (rate, seconds, ticks, late, ticks + late, due))


def spent(target):
    """CPU seconds per function so far, as the target measured them (the truth for a cpu-mode profile)."""
    with open(target.truth_path) as f:
        return json.load(f).get("cpu", {})


def sample_count(spy, target):
    """Samples in `sample 2s --rate 200 --mode wall` (one per thread per tick);
    the best of three tries, so a machine busy elsewhere (which delays
    pyspy-sh's own wake-ups) does not fail it."""
    counts = []
    for _ in range(3):
        r = spy.run(["-p", str(target.pid), "-ex", "sample 2s --rate 200 --mode wall", "--batch"])
        m = SUMMARY.search(r.out)
        if r.rc != 0 or not m:
            raise harness.Fail("sample 2s --rate 200: %s" % r.describe())
        counts.append(int(m.group(4)))
        if 360 <= counts[-1] <= 440:
            return
    raise harness.Fail("sample 2s --rate 200 --mode wall on a one-thread target gave %s samples, expected 400 +- 10%%"
                       % counts)


def cpu_ns(pid):
    """The target's threads' time on a CPU (ns) by schedstat; None without schedstats."""
    total = 0
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
    except (OSError, ValueError):
        return None
    return total


def t_accuracy(ctx):
    """Shares within 5 points of the window the target measured; 2 s at 200 Hz gives 400 +- 10%."""
    interp, spy = ctx
    with running(interp, SHARES) as (target, tmpdir):
        sample_count(spy, target)
        before, cpu0 = spent(target), cpu_ns(target.pid)
        r = spy.run(["-p", str(target.pid), "-ex", "sample 2s --rate 1000", "-ex", "top -n 10", "--batch"])
        after, cpu1 = spent(target), cpu_ns(target.pid)
        if r.rc != 0:
            raise harness.Fail("exit %d: %s" % (r.rc, r.describe()))
        w = WEIGHT.search(r.out)
        if cpu0 is not None:
            used = (cpu1 - cpu0) / 1000.0
            if not w or not 0.85 * used <= int(w.group(1)) <= 1.01 * used:
                raise harness.Fail("the profile weighs %s \xb5s of CPU, schedstat says the target used %d \xb5s"
                                   % (w and w.group(1), used))
        delta = dict((k, after[k] - before.get(k, 0.0)) for k in after)
        want = dict((k, 100.0 * v / sum(delta.values())) for k, v in delta.items())
        got = dict((m.group(3), float(m.group(1))) for m in TOP_ROW.finditer(r.out)
                   if m.group(4) == target.truth["file"])
        # the truth is each function's share of the three functions' CPU time;
        # the program's own loop (main: writing its record) is not in it, and
        # on a busy machine it takes a larger share: compare among the three
        three = sum(got.get(n, 0.0) for n in ("sixty", "thirty", "ten"))
        if three > 0:
            got = dict((k, 100.0 * v / three) for k, v in got.items() if k in ("sixty", "thirty", "ten"))
        for name in ("sixty", "thirty", "ten"):
            if name not in got or abs(got[name] - want[name]) > 5:
                raise harness.Fail("%s: %s%% of the three functions' CPU time, the target spent %.1f%% of theirs there (top: %s)"
                                   % (name, got.get(name, "no"), want[name], got))


def t_flamegraph_browser(spy, interp):
    """Zoom, reset, search and tooltips of a real flame graph in headless Chromium."""
    svg_browser.find_chromium()
    with running(interp, BUSY) as (target, tmpdir):
        svg = os.path.join(tmpdir, "flame.svg")
        # --idle: the sleeping thread is a second stack beside hot_leaf's, so zooming has something to hide
        r = spy.run(["-p", str(target.pid), "-ex", "sample 1s --rate 200 --idle", "-ex", "flamegraph " + svg,
                     "--batch"])
        if r.rc != 0:
            raise harness.Fail("exit %d: %s" % (r.rc, r.describe()))
        svg_browser.check(svg, target.truth["leaf"], tmpdir)


def t_unwritable(ctx):
    interp, spy = ctx
    with running(interp, BUSY) as (target, tmpdir):
        good = os.path.join(tmpdir, "after.txt")
        r = spy.run(["-p", str(target.pid), "-ex", "sample 300ms --rate 100",
                     "-ex", "save /nonexistent-dir/x.txt", "-ex", "save %s" % good, "--batch"])
        want = "pyspy-sh: save: cannot write '/nonexistent-dir/x.txt': No such file or directory (the profile is kept: save it elsewhere)"
        if want not in r.err:
            raise harness.Fail("stderr lacks %r: %r" % (want, r.err[:300]))
        if r.rc != 1 or not os.path.getsize(good):
            raise harness.Fail("exit %d (want 1) or the later save to a good path failed" % r.rc)


def t_exit_mid_sample(ctx):
    interp, spy = ctx
    with running(interp, BUSY, "exit-after=1.0") as (target, tmpdir):
        out = os.path.join(tmpdir, "kept.txt")
        r = spy.run(["-p", str(target.pid), "-ex", "sample 20s --rate 100", "-ex", "save %s" % out, "--batch"])
        if "(stopped early: pid %d exited; the samples taken are kept)" % target.pid not in r.out:
            raise harness.Fail("no 'stopped early' line: %r" % r.out[:400])
        if not os.path.exists(out) or not os.path.getsize(out):
            raise harness.Fail("the samples taken before the exit were not saved")


def t_bad_args(spy, interp):
    cases = [
        ("sample", "pyspy-sh: sample: missing argument\nusage: "),
        ("sample 0s", "pyspy-sh: sample: '0s' is not a duration (like 500ms, 10s, 2m or unlimited)\n"),
        ("sample abc", "pyspy-sh: sample: 'abc' is not a duration (like 500ms, 10s, 2m or unlimited)\n"),
        ("sample 1s --rate 0", "pyspy-sh: sample: rate '0' must be a number of samples per second from 1 to 10000000\n"),
        ("sample 1s --rate -5", "pyspy-sh: sample: rate '-5' must be a number of samples per second from 1 to 10000000\n"),
        ("top", "pyspy-sh: top: no profile yet: run 'sample DURATION' first\n"),
        ("save x.txt", "pyspy-sh: save: no profile yet: run 'sample DURATION' first\n"),
        ("flamegraph x.svg", "pyspy-sh: flamegraph: no profile yet: run 'sample DURATION' first\n"),
        ("top --by file", "pyspy-sh: top: --by takes 'function' or 'line', not 'file'\n"),
    ]
    with running(interp, BUSY) as (target, tmpdir):
        for cmd, want in cases:
            r = spy.run(["-p", str(target.pid), "-ex", cmd, "--batch"])
            if r.rc != 1 or not r.err.startswith(want):
                raise harness.Fail("%r: exit %d, stderr %r; want exit 1 and %r" % (cmd, r.rc, r.err[:200], want))
        r = spy.run(["-p", str(target.pid), "-ex", "sample 200ms", "-ex", "save %s/x.zzz" % tmpdir, "--batch"])
        if "use --format folded|speedscope|chrometrace|svg" not in r.err or r.rc != 1:
            raise harness.Fail("unknown extension: exit %d, %r" % (r.rc, r.err[:200]))


def t_blocking(spy, interp):
    """--blocking pauses the target each tick; a paused task reads 't' in
    /proc, so running threads must be judged by the state read before the
    pause, or a blocking profile of a busy program comes back empty."""
    with running(interp, BUSY) as (target, tmpdir):
        r = spy.run(["-p", str(target.pid), "-ex", "sample 1s --blocking --rate 100", "-ex", "top -n 1", "--batch"])
        m = re.search(r"^sampled pid \d+ .*?: \d+ ticks .*?, (\d+) samples", r.out, re.M)
        if r.rc != 0 or not m or int(m.group(1)) < 50:
            raise harness.Fail("too few samples with --blocking: %s" % r.describe()[:400] + " " + r.out[:300])
        rows = [l for l in r.out.splitlines() if re.match(r"^\s*[\d.]+% ", l)]
        if not rows or "hot_leaf (" not in rows[0]:
            raise harness.Fail("top's first row is not hot_leaf: %r" % (rows[:1],))


# ------------------------------------------------------------------ registration

# Per interpreter, in this order, each on its own target; a test's name is NAME[interpreter label].
# measures time or CPU: never alongside another interpreter's tests (run.py --jobs)
EXCLUSIVE = True

PER_INTERP = (("profile", t_profile), ("profile_accuracy", t_accuracy), ("profile_unwritable", t_unwritable),
              ("profile_target_exits", t_exit_mid_sample))
# Once, on the newest usable interpreter (none reported when there is none).
ONCE = (("profile_bad_args", t_bad_args), ("flamegraph_browser", t_flamegraph_browser),
        ("profile_blocking", t_blocking))


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
