#!/usr/bin/python3
"""End-to-end tests for pyspy-sh: attach to real interpreters and compare what
pyspy-sh reports with what the target recorded about itself.

Run with /usr/bin/python3 (standard library only):

    tests/e2e/run.py [-k SUBSTR] [--python PATH]... [--binary PATH] [-v]

Prints one line per test (PASS name / FAIL name: reason / SKIP name: reason)
and, as the very last line, "N passed, N failed, N skipped".  Exit status 1
if anything failed.  See tests/e2e/README.

This file is only the driver.  The shared machinery is harness.py; the tests
live in one file per group, listed below.  A group file names each of its
tests once, in a PER_INTERP table (run on every interpreter, reported as
NAME[label]) and/or a ONCE table (run once), each row starting with the
name, and runs them with run_per_interp(res, interp, spy) and
run_once(res, spy, interps).  test_names() reads those tables.
"""
import argparse
import os
import sys
import threading

import harness
import badinput_tests
import core_tests
import formats_tests
import hostile_tests
import interp_tests
import launch_tests
import lua_tests
import native_tests
import profile_tests
import safety_tests
import shell_tests
import stacks_tests
import status_tests
import subproc_tests
import tasks_tests
import truth_tests
import tty_tests
import values_tests

# Run order: each interpreter in turn through PER_INTERP_GROUPS, then ONCE_GROUPS.
PER_INTERP_GROUPS = (stacks_tests, status_tests, interp_tests, values_tests, profile_tests, truth_tests, lua_tests,
                     native_tests, launch_tests, tasks_tests, core_tests, formats_tests, subproc_tests)
ONCE_GROUPS = (shell_tests, tty_tests, profile_tests, truth_tests, lua_tests, native_tests, safety_tests, badinput_tests,
               launch_tests, hostile_tests, tasks_tests, core_tests, formats_tests)


def test_names(labels):
    """Every test name, in run order, for interpreters with these labels."""
    names = ["%s[%s]" % (row[0], label) for label in labels
             for group in PER_INTERP_GROUPS for row in group.PER_INTERP]
    return names + [row[0] for group in ONCE_GROUPS for row in group.ONCE]


# --timing-pick: the interpreters on which the groups that measure time or CPU
# run (None: all); on the others those tests are skipped with this reason.
TIMING_PICK = None


def run_one_interp(res, spy, it):
    for group in PER_INTERP_GROUPS:
        exclusive = getattr(group, "EXCLUSIVE", False)
        if exclusive and TIMING_PICK is not None and not any(it.label.startswith(p) for p in TIMING_PICK):
            for row in group.PER_INTERP:
                full = "%s[%s]" % (row[0], it.label)
                if res.wanted(full):
                    res.skip(full, "measures time or CPU; this run times only %s (--timing-pick)"
                             % ", ".join(TIMING_PICK))
            continue
        hold = harness.CPU.exclusive() if exclusive else harness.CPU.shared()
        with hold:
            group.run_per_interp(res, it, spy)


def run_interps(res, spy, interps, jobs):
    """Every interpreter through PER_INTERP_GROUPS, `jobs` at a time; each
    interpreter's lines are printed together, in interpreter order."""
    if jobs == 1:
        for it in interps:
            run_one_interp(res, spy, it)
        return
    lines = [None] * len(interps)
    todo = list(range(len(interps)))
    cond = threading.Condition()

    def worker():
        while True:
            with cond:
                if not todo:
                    return
                i = todo.pop(0)
            harness.buffer_output()
            try:
                run_one_interp(res, spy, interps[i])
            except Exception as e:   # a bug in a group: report it, keep the others going
                res.fail("group[%s]" % interps[i].label, "test error: %r" % e)
            with cond:
                lines[i] = harness.take_output()
                cond.notify_all()

    threads = [threading.Thread(target=worker) for _ in range(min(jobs, len(interps)))]
    for t in threads:
        t.daemon = True
        t.start()
    for i in range(len(interps)):
        with cond:
            while lines[i] is None:
                cond.wait(1.0)
        for line in lines[i]:
            harness.note(line)
    for t in threads:
        t.join()


def main():
    ap = argparse.ArgumentParser(description="pyspy-sh end-to-end tests")
    ap.add_argument("-k", dest="pattern", help="only tests whose name contains SUBSTR")
    ap.add_argument("--python", action="append", default=[], metavar="PATH",
                    help="test only this interpreter (repeatable); default: pyenv versions + /usr/bin/python3, "
                         "or $PYSPY_TEST_PYTHONS")
    ap.add_argument("--binary", default=os.path.join(harness.REPO, "pyspy-sh"),
                    help="pyspy-sh binary (default: %(default)s)")
    ap.add_argument("-v", "--verbose", action="store_true", help="progress details on stderr")
    ap.add_argument("--pick", metavar="LABELS",
                    help="only the interpreters whose label starts with one of these comma-separated "
                         "prefixes (e.g. pyenv-2.7,system,debian); the rest are named as left out")
    ap.add_argument("--timing-pick", metavar="LABELS",
                    help="run the groups that measure time or CPU only on the interpreters whose label "
                         "starts with one of these prefixes; skip them, with the reason, on the others")
    ap.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("PYSPY_TEST_JOBS", "1")),
                    help="interpreters tested at once (default $PYSPY_TEST_JOBS or 1); groups that "
                         "measure time or CPU still run alone")
    args = ap.parse_args()
    harness.VERBOSE = args.verbose
    global TIMING_PICK
    if args.timing_pick:
        TIMING_PICK = [p for p in args.timing_pick.split(",") if p]
    res = harness.Results(args.pattern)
    spy = harness.Spy(os.path.abspath(args.binary))
    interps = harness.discover(args.python)
    if args.pick:
        prefixes = [p for p in args.pick.split(",") if p]
        keep = [it for it in interps if any(it.label.startswith(p) for p in prefixes)]
        left = [it.label for it in interps if it not in keep]
        if left:
            harness.note("(this run covers %s; left out by --pick: %s)"
                         % (", ".join(it.label for it in keep), ", ".join(left)))
        interps = keep
    for it in interps:
        harness.log("interpreter %s: %s%s" % (it.label, it.path, " (%s)" % it.missing if it.missing else ""))
    try:
        run_interps(res, spy, interps, max(1, args.jobs))
        for group in ONCE_GROUPS:
            group.run_once(res, spy, interps)
    except KeyboardInterrupt:
        res.fail("interrupted", "KeyboardInterrupt")
    sys.stdout.write("%d passed, %d failed, %d skipped\n" % (res.passed, res.failed, res.skipped))
    sys.stdout.flush()
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
