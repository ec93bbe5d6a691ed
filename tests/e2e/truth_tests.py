"""The truth group (imported by run.py): profiles checked against what the
program really did, under the shapes that used to make them wrong.

  churn_names   tests/targets/churn_names.py: the main thread spins for 3.5 s
                while short-lived threads job-N come and go (glibc hands a
                finished thread's id to the next one).  `sample 2s --rate 100`
                then `save --threads`: the spinning main thread weighs at
                least 85% of the CPU time schedstat gives it over the run
                (its kernel tid must be known afresh every tick to read its
                CPU time), job threads are sampled, and every
                sample labelled with a job's name carries the name that the
                thread with that kernel tid logged for itself (at most 2% may
                be wrong; before the fix 3.12 had 75 of 78 wrong), and at
                least half of them are named.  Samples taken before a thread
                registered with threading and ended before the next tick stay
                unnamed; their count is printed.
  contention    tests/targets/contention.py: 100 threads loop on
                time.sleep(0.02) while one computes.  The test reads every
                thread's /proc/PID/task/TID/schedstat (ns on a CPU) right
                before and after `sample 3s` (default mode: cpu) and the
                profile's per-thread shares (save --threads, folded: thread
                roots carry the tid, counts are µs of CPU) must match the
                schedstat deltas' shares within 5 points for the computing
                thread (the one with the largest delta) and for all the
                others together; the folded total equals the weight the
                summary states.  Before weighting by CPU time the computing
                thread got 48-63% against the scheduler's 84-90%.
  blocking_idle contention.py's idle shape: every thread waits on a lock
                that is never released.  `sample 2s --blocking` (cpu mode)
                must weigh (almost) nothing: pausing wakes the waiters, and
                the CPU that costs them is ours, not theirs.  At most 0.5% of
                one CPU over the run; `--mode wall` on the same target gives
                every thread every tick (a check that the threads were seen).
  torn_deep     tests/targets/deep_recursion.py: one thread recurses 300-600
                deep and hops up and down a 1-40 deep recursion on top, so its
                stack never stands still.  `sample 1s --rate 500 --mode wall`
                (nonblocking: a walk that comes back torn is read again within
                the tick, six times, then once with its thread held): at
                most 2% of the stacks read may stay torn, on every version
                (2.7-3.10 need the held read for 14-25% of them), and
                at most 20% of the stacks kept may be ones the program
                cannot have, by the markers in its source: each frame but the top
                sits on a line that calls the next frame's function, the top
                on a line of its own function's body (or its def line: not
                started yet), the root is <module>.  (Read without pausing, a
                stack torn so that it still looks whole cannot always be told
                from a real one; the count is printed: 0-5% measured alone,
                up to 14% with two interpreters tested at once, after the
                read-ahead learned to copy the pointer to the top frame before
                the chunk and the data-stack top after it; it was 20-25% on
                3.11-3.13 when address order copied them the other way.  What
                is left is a frame that returned and another pushed in its
                place between the two copies.)  With the ASan
                build, which walks several times slower, the two shares are
                printed, not checked.
  gil_turns     tests/targets/gil_turns.py: 4 threads take turns with the GIL,
                each looping over phase_a() and phase_b(), 4 ms of wall time
                each; a thread waiting for the GIL waits inside its phase.
                `sample 1.5s --rate 1000 --mode wall` then `save --threads`:
                a thread that has not held the GIL since its stack was read
                keeps it without a read, so the test checks that what is kept
                is true: each thread's share of samples in phase_a matches the
                wall time it spent there (its own clock, interpolated in
                the history it keeps every 0.05 s, over exactly the window
                the samples cover: the Gecko save's first and last sample;
                the whole run, attach included, once missed by 22 points
                on a loaded machine) within 10 points, and (3.7+, where
                the GIL counts its handoffs) the summary says stacks were
                kept, and that some ticks read only the thread state of the
                thread that held the GIL since the tick before (the list
                and the other states kept: a 5 ms switch interval leaves
                several 1 ms ticks between handoffs).
  no_schedstat  (once) PYSPY_NO_SCHEDSTAT=1 makes the kernel look as if it
                had no schedstats: cpu mode falls back to one sample per
                thread shown running and the summary and info say so.
"""
import json
import os
import re
import shutil
import tempfile
import time

import harness
from harness import Fail

CHURN_NAMES = os.path.join(harness.TARGETS, "churn_names.py")
CONTENTION = os.path.join(harness.TARGETS, "contention.py")
DEEP = os.path.join(harness.TARGETS, "deep_recursion.py")
TURNS = os.path.join(harness.TARGETS, "gil_turns.py")
KEPT_STACKS = re.compile(r"^\((\d+) stacks were kept from an earlier tick", re.M)
QUIET_TICKS = re.compile(r"^\((\d+) ticks read only the thread state of the thread that held the GIL", re.M)
WEIGHT = re.compile(r"; mode (\w+) \(weights: \xb5s of CPU, (\d+) in all\)")
SUMMARY = re.compile(r"^sampled pid \d+ for ([\d.]+)s at \S+ Hz: (\d+) ticks", re.M)
KEPT = re.compile(r"ticks \(\d+/s\), (\d+) samples, (\d+) errors, (\d+) torn")
FOLDED_FRAME = re.compile(r"^(.*) \((.*):(\d+)\)$")
ROOT = re.compile(r"^thread (.*) \((\d+)\)$")


def t_churn_names(interp, spy):
    tmp = tempfile.mkdtemp(prefix="pyspy-e2e-churn-")
    truth_path = os.path.join(tmp, "jobs.json")
    target = harness.Target(interp, CHURN_NAMES, ["3.5", truth_path], tmp, with_truth=False)
    try:
        target.wait_ready()
        out = os.path.join(tmp, "out.txt")
        main0 = schedstat(target.pid).get(target.pid, 0)
        r = spy.run(["-p", str(target.pid), "-ex", "sample 2s --rate 100", "-ex", "save --threads " + out, "--batch"])
        main_cpu = (schedstat(target.pid).get(target.pid, 0) - main0) // 1000
        if r.rc != 0:
            raise Fail("sample failed: %s" % r.describe())
        m = SUMMARY.search(r.out)
        if not m:
            raise Fail("no summary line in %r" % r.out[:300])
        ticks = int(m.group(2))
        deadline = time.time() + 60
        while not os.path.exists(truth_path):
            if time.time() > deadline or target.proc.poll() not in (None, 0):
                raise Fail("the target wrote no log; output: %s" % target.output_tail())
            time.sleep(0.1)
        with open(truth_path) as f:
            truth = json.load(f)
        jobs, main = truth["jobs"], str(truth["main_tid"])
        main_n = job_n = right = wrong = unnamed = 0
        wrong_eg = []
        for stack, n in harness.read_folded(out):
            m = ROOT.match(stack.split(";")[0])
            if not m:
                continue
            name, tid = m.group(1), m.group(2)
            if tid == main:
                main_n += n
            elif tid in jobs:
                job_n += n
                if name == jobs[tid]:
                    right += n
                elif name.startswith("0x"):
                    unnamed += n
                else:
                    wrong += n
                    wrong_eg.append("%s labelled %r" % (jobs[tid], name))
        harness.note("  churn_names[%s]: %d ticks, main thread weighs %d \xb5s of the %d \xb5s of CPU schedstat gives it, "
              "job weights %d: %d named right, %d wrong, %d unnamed (%d jobs ran)"
              % (interp.label, ticks, main_n, main_cpu, job_n, right, wrong, unnamed, len(jobs)))
        probs = []
        if main_n < main_cpu * 0.85:
            probs.append("the spinning main thread weighs %d \xb5s, schedstat says it used %d \xb5s (expected >= 85%%)"
                         % (main_n, main_cpu))
        if job_n == 0:
            probs.append("no sample of a job thread")
        if right < job_n * 0.5:
            probs.append("only %d of %d job samples carry their thread's name" % (right, job_n))
        if wrong > job_n * 0.02:
            probs.append("%d of %d job samples carry another thread's name (%s)" % (wrong, job_n, "; ".join(wrong_eg[:3])))
        if probs:
            raise Fail("; ".join(probs))
    finally:
        target.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def schedstat(pid):
    """{tid: ns on a CPU} for every task of pid, from the kernel's own accounting."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                out[int(tid)] = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return out


def folded_by_tid(path):
    """{tid: weight} from a folded file saved with --threads."""
    got = {}
    for stack, n in harness.read_folded(path):
        m = ROOT.match(stack.split(";")[0])
        tid = int(m.group(2)) if m else -1
        got[tid] = got.get(tid, 0) + n
    return got


def t_contention(interp, spy):
    if not os.path.exists("/proc/self/schedstat"):
        raise harness.Skip("this kernel has no schedstat: nothing to compare with")
    tmp = tempfile.mkdtemp(prefix="pyspy-e2e-contention-")
    target = harness.Target(interp, CONTENTION, ["100"], tmp, with_truth=False)
    try:
        target.wait_ready()
        out = os.path.join(tmp, "out.txt")
        before = schedstat(target.pid)
        r = spy.run(["-p", str(target.pid), "-ex", "sample 3s", "-ex", "save --threads " + out, "--batch"])
        after = schedstat(target.pid)
        if r.rc != 0:
            raise Fail("sample failed: %s" % r.describe())
        m = WEIGHT.search(r.out)
        if not m or m.group(1) != "cpu":
            raise Fail("the summary does not say 'mode cpu (weights: \xb5s of CPU, N in all)': %r" % r.out[:400])
        delta = dict((tid, after[tid] - before.get(tid, 0)) for tid in after)
        compute = max(delta, key=delta.get)
        want = 100.0 * delta[compute] / sum(delta.values())
        got = folded_by_tid(out)
        total = sum(got.values())
        share = 100.0 * got.get(compute, 0) / total if total else 0.0
        others = 100.0 * sum(v for k, v in got.items() if k != compute) / total if total else 0.0
        harness.note("  contention[%s]: computing thread %.1f%% of the CPU time in the profile, %.1f%% by schedstat "
              "(sleepers %.1f%% vs %.1f%%); %d \xb5s in the profile, %d \xb5s by schedstat"
              % (interp.label, share, want, others, 100 - want, total, sum(delta.values()) // 1000))
        probs = []
        if total != int(m.group(2)):
            probs.append("the folded counts add up to %d, the summary says %s \xb5s" % (total, m.group(2)))
        if abs(share - want) > 5:
            probs.append("the computing thread has %.1f%% of the profile, %.1f%% of the CPU time" % (share, want))
        if abs(others - (100 - want)) > 5:
            probs.append("the sleepers have %.1f%% of the profile, %.1f%% of the CPU time" % (others, 100 - want))
        if probs:
            raise Fail("; ".join(probs))
    finally:
        target.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def t_blocking_idle(interp, spy):
    if not os.path.exists("/proc/self/schedstat"):
        raise harness.Skip("this kernel has no schedstat: cpu mode counts running threads instead")
    tmp = tempfile.mkdtemp(prefix="pyspy-e2e-idle-")
    target = harness.Target(interp, CONTENTION, ["10", "idle"], tmp, with_truth=False)
    try:
        target.wait_ready()
        r = spy.run(["-p", str(target.pid), "-ex", "sample 2s --blocking", "-ex", "top -n 3",
                     "-ex", "sample 500ms --blocking --mode wall --rate 20", "--batch"])
        if r.rc != 0:
            raise Fail("sample failed: %s" % r.describe())
        m = WEIGHT.search(r.out)
        sums = [s for s in SUMMARY.finditer(r.out)]
        if not m or len(sums) != 2:
            raise Fail("no cpu-mode summary and a wall one: %r" % r.out[:600])
        weight, elapsed = int(m.group(2)), float(sums[0].group(1))
        walls = re.search(r"; mode wall .*?(\d+) ticks.*", r.out)
        wall = re.search(r"^sampled pid \d+ for [\d.]+s at \S+ Hz: (\d+) ticks .*?, (\d+) samples.*; mode wall", r.out, re.M)
        harness.note("  blocking_idle[%s]: %d \xb5s of CPU weighed over %.2fs (%.3f%% of one CPU); wall: %s"
              % (interp.label, weight, elapsed, weight / (elapsed * 1e4), wall.group(0)[:120] if wall else walls))
        if weight > elapsed * 1e6 * 0.005:
            raise Fail("an all-idle target weighed %d \xb5s of CPU in %.2fs of blocking sampling" % (weight, elapsed))
        if not wall or int(wall.group(2)) < int(wall.group(1)) * 11:
            raise Fail("--mode wall did not sample the 11 waiting threads every tick: %r" % (wall and wall.group(0)))
    finally:
        target.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def t_no_schedstat(spy, interp):
    """A kernel without schedstats (PYSPY_NO_SCHEDSTAT=1 makes it look so):
    cpu mode counts the threads shown running, one sample each, and says so
    in the summary and in info; --mode wall is unchanged."""
    tmp = tempfile.mkdtemp(prefix="pyspy-e2e-nosched-")
    target = harness.Target(interp, CONTENTION, ["3"], tmp, with_truth=False)
    os.environ["PYSPY_NO_SCHEDSTAT"] = "1"
    try:
        target.wait_ready()
        r = spy.run(["-p", str(target.pid), "-ex", "sample 1s --rate 50", "-ex", "info", "--batch"])
        if r.rc != 0:
            raise Fail("sample failed: %s" % r.describe())
        m = re.search(r"^sampled pid \d+ .*?: (\d+) ticks .*?, (\d+) samples.*; mode cpu \(weights: samples of "
                      r"threads the kernel shows running: no schedstat\)", r.out, re.M)
        if not m:
            raise Fail("the summary does not say it fell back: %r" % r.out[:500])
        if "no schedstat on this kernel" not in r.out or "weights in samples (no schedstat" not in r.out:
            raise Fail("info does not say there is no schedstat: %r" % r.out[-800:])
        # the computing thread runs (R) at most ticks; the sleepers rarely
        if not int(m.group(1)) * 0.5 <= int(m.group(2)) <= int(m.group(1)) * 4:
            raise Fail("%s samples in %s ticks of a target with one computing thread" % (m.group(2), m.group(1)))
    finally:
        del os.environ["PYSPY_NO_SCHEDSTAT"]
        target.kill()
        shutil.rmtree(tmp, ignore_errors=True)


# measures time or CPU: never alongside another interpreter's tests (run.py --jobs)
def source_marks(path):
    """{function: (def line, {call line: callee}, {body lines})} from the
    # CALL / # BODY markers of a target's source."""
    marks = {"<module>": (0, {}, set())}
    func = "<module>"
    with open(path) as f:
        for n, line in enumerate(f, 1):
            m = re.match(r"def (\w+)\(", line)
            if m:
                func = m.group(1)
                marks[func] = (n, {}, set())
            elif line and not line[0].isspace() and not line.startswith("#"):
                func = "<module>"
            m = re.search(r"# CALL (\S+)$", line.rstrip())
            if m:
                marks[func][1][n] = m.group(1)
            elif line.rstrip().endswith("# BODY"):
                marks[func][2].add(n)
    return marks


REALPATHS = {}


def impossible(stack, marks, path):
    """Why a folded stack (root first) cannot happen in the program, or None."""
    frames = []
    real = REALPATHS.setdefault(path, os.path.realpath(path))
    for text in stack.split(";"):
        m = FOLDED_FRAME.match(text)
        if m and m.group(2) not in REALPATHS:
            REALPATHS[m.group(2)] = os.path.realpath(m.group(2))
        if not m or REALPATHS[m.group(2)] != real or m.group(1) not in marks:
            return "frame %r is not one of the program's functions" % text
        frames.append((m.group(1), int(m.group(3))))
    if frames[0][0] != "<module>":
        return "the root is %s, not <module>" % frames[0][0]
    for i, (func, line) in enumerate(frames):
        first, calls, body = marks[func]
        if i + 1 < len(frames):
            if calls.get(line) != frames[i + 1][0]:
                return "%s at line %d does not call %s" % (func, line, frames[i + 1][0])
        elif line not in body and line not in calls and line != first:
            return "the top frame %s is at line %d, not in its body" % (func, line)
    if sum(1 for f in frames if f[0] == "descend") > 601 or sum(1 for f in frames if f[0] == "hop") > 41:
        return "deeper than the program goes"
    return None


HELD = re.compile(r"(\d+) of them at last with their thread held \((\d+) us each\)")


def t_torn_deep(interp, spy):
    tmp = tempfile.mkdtemp(prefix="pyspy-e2e-torn-")
    target = harness.Target(interp, DEEP, [], tmp, with_truth=False)
    try:
        target.wait_ready()
        out = os.path.join(tmp, "out.txt")
        r = spy.run(["-p", str(target.pid), "-ex", "sample 1s --rate 500 --mode wall", "-ex", "save " + out, "--batch"])
        if r.rc != 0:
            raise Fail("sample failed: %s" % r.describe())
        m = KEPT.search(r.out)
        if not m:
            raise Fail("no summary line: %r" % r.out[:400])
        kept, errors, torn = int(m.group(1)), int(m.group(2)), int(m.group(3))
        lost = 100.0 * torn / (kept + torn) if kept + torn else 100.0
        marks = source_marks(DEEP)
        bad, total = [], 0
        for stack, n in harness.read_folded(out):
            total += n
            why = impossible(stack, marks, DEEP)
            if why:
                bad.append((n, why))
        held = HELD.search(r.out)
        harness.note("  torn_deep[%s]: %d stacks kept, %d still torn after retries (%.2f%%), %d errors; %s"
                     % (interp.label, kept, torn, lost, errors,
                        "%s read with the thread held, %s us each" % held.groups() if held else "none read held"))
        probs = []
        # the sanitizer build reads the same way but walks several times
        # slower: its rates say nothing of the product's; it runs for memory
        # safety and must still keep samples
        asan = "asan" in os.path.basename(spy.binary)
        if kept < (50 if asan else 150):
            probs.append("only %d samples" % kept)
        # 2.7-3.10 keep frames as heap objects read one list link at a time:
        # this stack tears there in 14-25% of the walks even after six
        # re-reads; those are read once more with their thread held
        limit = 2.0
        if lost >= limit and not asan:
            probs.append("%.2f%% of the stacks read stayed torn (%d of %d), more than %g%%"
                         % (lost, torn, kept + torn, limit))
        if errors:
            probs.append("%d errors" % errors)
        if total != kept:
            probs.append("the file holds %d samples, the summary says %d" % (total, kept))
        nbad = sum(b[0] for b in bad)
        harness.note("  torn_deep[%s]: %d of %d samples kept are stacks the program cannot have%s"
                     % (interp.label, nbad, total, (", e.g. " + bad[0][1]) if bad else ""))
        if nbad > 0.20 * total and not asan:
            probs.append("%d samples are stacks the program cannot have, e.g. %s" % (nbad, bad[0][1]))
        # --nonblocking never holds a thread: what the re-reads leave torn is lost
        r = spy.run(["-p", str(target.pid), "-ex", "sample 0.4s --rate 500 --mode wall --nonblocking", "--batch"])
        m = KEPT.search(r.out)
        if r.rc != 0 or not m:
            probs.append("sample --nonblocking failed: %s" % r.describe())
        elif HELD.search(r.out):
            probs.append("sample --nonblocking held a thread: %s" % r.out.strip().splitlines()[-1])
        else:
            harness.note("  torn_deep[%s]: --nonblocking: %s kept, %s torn" % (interp.label, m.group(1), m.group(3)))
        if probs:
            raise Fail("; ".join(probs))
    finally:
        target.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def read_json(path):
    for _ in range(50):
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            time.sleep(0.05)
    raise Fail("the target wrote no truth to %s" % path)


def history_covers(path, t, within=10.0):
    """The target's record once its history reaches past wall time t (its
    writer waits for the GIL behind four spinning threads)."""
    deadline = time.time() + within
    while True:
        try:
            doc = read_json(path)
        except (OSError, ValueError):
            doc = {}
        hist = doc.get("history") or []
        if len(hist) >= 2 and hist[-1][0] > t:
            return doc
        if time.time() > deadline:
            raise Fail("the target's history did not reach %.3f within %gs (last %s)"
                       % (t, within, hist[-1][0] if hist else None))
        time.sleep(0.02)


def spent_at(doc, t):
    """Each thread's phase totals at wall time t, interpolated in the history
    gil_turns.py keeps (an entry every 0.05 s)."""
    hist = doc.get("history") or []
    for (ta, a), (tb, b) in zip(hist, hist[1:]):
        if ta <= t <= tb:
            x = (t - ta) / (tb - ta) if tb > ta else 0.0
            return dict((tid, dict((ph, a.get(tid, {}).get(ph, 0.0) + x * (v - a.get(tid, {}).get(ph, 0.0)))
                                   for ph, v in phases.items()))
                        for tid, phases in b.items())
    raise Fail("the target's history (%s to %s) does not cover %.3f"
               % (hist[0][0] if hist else None, hist[-1][0] if hist else None, t))


def t_gil_turns(interp, spy):
    tmp = tempfile.mkdtemp(prefix="pyspy-e2e-turns-")
    truth = os.path.join(tmp, "turns.json")
    target = harness.Target(interp, TURNS, [truth], tmp, with_truth=False)
    try:
        target.wait_ready()
        out, gecko = os.path.join(tmp, "out.txt"), os.path.join(tmp, "out.gecko.json")
        history_covers(truth, time.time() + 0.1)
        r = spy.run(["-p", str(target.pid), "-ex", "sample 1.5s --rate 1000 --mode wall", "-ex",
                     "save --threads " + out, "-ex", "save " + gecko, "--batch"])
        if r.rc != 0:
            raise Fail("sample failed: %s" % r.describe())
        # the truth over exactly the sampled window (attaching took a while on
        # a loaded machine, and a thread's split moves from second to second)
        t0, t1 = harness.gecko_window(gecko)
        doc = history_covers(truth, t1)
        before, after = spent_at(doc, t0), spent_at(doc, t1)
        got = {}
        for stack, n in harness.read_folded(out):
            m = ROOT.match(stack.split(";")[0])
            if not m or not m.group(1).startswith("turn-"):
                continue
            row = got.setdefault(m.group(2), [0, 0])
            if ";phase_a (" in stack:
                row[0] += n
            elif ";phase_b (" in stack:
                row[1] += n
        probs, notes = [], []
        for tid, now in sorted(after.items()):
            was = before.get(tid, {"phase_a": 0.0, "phase_b": 0.0})
            a, b = now["phase_a"] - was["phase_a"], now["phase_b"] - was["phase_b"]
            want = 100.0 * a / (a + b) if a + b > 0 else 50.0
            ga, gb = got.get(tid, [0, 0])
            if ga + gb < 100:
                probs.append("thread %s: %d samples in its phases" % (tid, ga + gb))
                continue
            share = 100.0 * ga / (ga + gb)
            notes.append("%s %.0f%%/%.0f%%" % (tid, share, want))
            if abs(share - want) > 10:
                probs.append("thread %s: %.1f%% of its samples in phase_a, it spent %.1f%% of its time there"
                             % (tid, share, want))
        kept, quiet = KEPT_STACKS.search(r.out), QUIET_TICKS.search(r.out)
        harness.note("  gil_turns[%s]: phase_a share, profile/truth: %s; %s stacks kept, %s ticks read the holder alone"
                     % (interp.label, ", ".join(notes), kept.group(1) if kept else "no", quiet.group(1) if quiet else "no"))
        if interp.version >= (3, 7) and not kept:
            probs.append("no stack was kept from an earlier tick: the case this test is for did not happen")
        if interp.version >= (3, 7) and not quiet:
            probs.append("no tick read the GIL holder's thread state alone: the other case this test is for did not happen")
        if probs:
            raise Fail("; ".join(probs))
    finally:
        target.kill()
        shutil.rmtree(tmp, ignore_errors=True)


EXCLUSIVE = True

PER_INTERP = (("churn_names", t_churn_names), ("contention", t_contention), ("blocking_idle", t_blocking_idle),
              ("torn_deep", t_torn_deep), ("gil_turns", t_gil_turns))
ONCE = (("no_schedstat", t_no_schedstat),)


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
    if usable:
        for name, fn in ONCE:
            res.run(name, fn, spy, usable[-1])
