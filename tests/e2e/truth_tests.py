"""The truth group (imported by run.py): profiles checked against what the
program really did, under the shapes that used to make them wrong.

  churn_names   tests/targets/churn_names.py: the main thread spins for 5 s
                while short-lived threads job-N come and go (glibc hands a
                finished thread's id to the next one).  `sample 3s --rate 100`
                then `save --threads`: the spinning main thread is in at least
                85% of the ticks (its kernel tid must be known afresh every
                tick to see it running), job threads are sampled, and every
                sample labelled with a job's name carries the name that the
                thread with that kernel tid logged for itself (at most 2% may
                be wrong; before the fix 3.12 had 75 of 78 wrong), and at
                least half of them are named.  Samples taken before a thread
                registered with threading and ended before the next tick stay
                unnamed; their count is printed.
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
SUMMARY = re.compile(r"^sampled pid \d+ for ([\d.]+)s at \S+ Hz: (\d+) ticks", re.M)
ROOT = re.compile(r"^thread (.*) \((\d+)\)$")


def t_churn_names(interp, spy):
    tmp = tempfile.mkdtemp(prefix="pyspy-e2e-churn-")
    truth_path = os.path.join(tmp, "jobs.json")
    target = harness.Target(interp, CHURN_NAMES, ["5", truth_path], tmp, with_truth=False)
    try:
        target.wait_ready()
        out = os.path.join(tmp, "out.txt")
        r = spy.run(["-p", str(target.pid), "-ex", "sample 3s --rate 100", "-ex", "save --threads " + out, "--batch"])
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
        with open(out, encoding="utf-8") as f:
            for line in f:
                stack, n = line.rstrip("\n").rsplit(" ", 1)
                m = ROOT.match(stack.split(";")[0])
                if not m:
                    continue
                name, tid, n = m.group(1), m.group(2), int(n)
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
        harness.note("  churn_names[%s]: %d ticks, main thread in %d, job samples %d: %d named right, %d wrong, "
              "%d unnamed (%d jobs ran)" % (interp.label, ticks, main_n, job_n, right, wrong, unnamed, len(jobs)))
        probs = []
        if main_n < ticks * 0.85:
            probs.append("the spinning main thread is in %d of %d ticks (expected >= 85%%)" % (main_n, ticks))
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


# measures time or CPU: never alongside another interpreter's tests (run.py --jobs)
EXCLUSIVE = True

PER_INTERP = (("churn_names", t_churn_names),)
ONCE = ()


def run_per_interp(res, interp, spy):
    for name, fn in PER_INTERP:
        full = "%s[%s]" % (name, interp.label)
        if interp.missing:
            if res.wanted(full):
                res.skip(full, interp.missing)
            continue
        res.run(full, fn, interp, spy)


def run_once(res, spy, interps):
    pass
