#!/usr/bin/python3
"""End-to-end tests for pyspy-sh: attach to real interpreters and compare what
pyspy-sh reports with what the target recorded about itself.

Run with /usr/bin/python3 (standard library only):

    tests/e2e/run.py [-k SUBSTR] [--python PATH]... [--binary PATH] [-v]

Prints one line per test (PASS name / FAIL name: reason / SKIP name: reason)
and, as the very last line, "N passed, N failed, N skipped".  Exit status 1
if anything failed.  See tests/e2e/README.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import harness
from harness import (EXIT_ATTACH, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, REPO, TARGETS, Fail, Results, Skip, Spy,
                     Target, check_error_message, discover, log, proc_state, unused_pid)

EXITING = os.path.join(TARGETS, "exiting.py")


# ------------------------------------------------------------------ bad input (once)

def t_bad_pid(spy):
    pid = unused_pid()
    for cmd in ("threads", "bt --all --json"):
        r = spy.batch(pid, cmd)
        if r.rc != EXIT_ATTACH:
            raise Fail("expected exit 2 for a pid that does not exist: %s" % r.describe())
        check_error_message(r, pid, ("no process", "no such process", "does not exist"), "pid %d" % pid)


def t_not_python(spy):
    p = subprocess.Popen(["sleep", "100"], stdin=subprocess.DEVNULL)
    try:
        for cmd in ("threads", "bt --all --json"):
            r = spy.batch(p.pid, cmd)
            if r.rc != EXIT_ATTACH:
                raise Fail("expected exit 2 for `sleep 100`: %s" % r.describe())
            check_error_message(r, p.pid, ("not a python process",), "sleep")
        if proc_state(p.pid) not in ("S",):
            raise Fail("`sleep` left in state %s" % proc_state(p.pid))
    finally:
        p.kill()
        p.wait()


def t_zombie(spy, interps):
    usable = [i for i in interps if not i.missing]
    if not usable:
        raise Skip("no usable interpreter")
    p = subprocess.Popen([usable[-1].path, "-c", "pass"], stdin=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while proc_state(p.pid) != "Z":      # do not reap: it stays a zombie
            if time.time() > deadline:
                raise Fail("child %d never became a zombie (state %s)" % (p.pid, proc_state(p.pid)))
            time.sleep(0.02)
        for cmd in ("threads", "bt --all --json"):
            r = spy.batch(p.pid, cmd)
            if r.rc != EXIT_ATTACH:
                raise Fail("expected exit 2 for a zombie: %s" % r.describe())
            check_error_message(r, p.pid, ("zombie", "defunct", "exited", "dead", "terminated", "not running"),
                                "zombie pid %d" % p.pid)
    finally:
        p.wait()


def t_bad_usage(spy):
    cases = [
        ["-p", "abc", "-ex", "threads", "--batch"],
        ["--no-such-option", "--batch"],
        ["-p", "12x", "-ex", "threads", "--batch"],
        ["-p"],
    ]
    probs = []
    for args in cases:
        r = spy.run(args)
        if r.rc != EXIT_USAGE:
            probs.append("expected exit 64: %s" % r.describe())
            continue
        try:
            check_error_message(r, what="usage error")
        except Fail as e:
            probs.append(str(e))
    if probs:
        raise Fail("; ".join(probs))


def t_exit_while_reading(spy, interps):
    usable = [i for i in interps if not i.missing]
    if not usable:
        raise Skip("no usable interpreter")
    rnd = random.Random()
    seed = rnd.randrange(1 << 30)
    rnd.seed(seed)
    commands = [("bt --all --json", False), ("bt --all --json", True), ("threads", False), ("bt --all", False)]
    modes = ["return", "os_exit", "sigkill", "thread"]
    stats = {0: 0, 1: 0, 2: 0}
    live_ok = 0
    for round_no, interp in enumerate(usable):
        mode = modes[round_no % len(modes)]
        delay = rnd.uniform(0.5, 2.5)
        tmpdir = tempfile.mkdtemp(prefix="pyspy-e2e-")
        target = None
        try:
            target = Target(interp, EXITING, ["%.3f" % delay, mode], tmpdir, with_truth=False)
            target.wait_ready()
            deadline = time.time() + 300
            i = 0
            while True:
                gone = target.proc.poll() is not None
                cmd, nb = commands[i % len(commands)]
                i += 1
                where = "round %d (%s, mode %s, delay %.2fs, seed %d), run %d: " % (
                    round_no, interp.label, mode, delay, seed, i)
                try:
                    r = spy.batch(target.pid, cmd, nonblocking=nb)
                except Fail as e:
                    raise Fail(where + str(e))
                if r.rc not in (EXIT_OK, EXIT_PARTIAL, EXIT_ATTACH):
                    raise Fail(where + "exit status must be 0, 1 or 2: " + r.describe())
                stats[r.rc] += 1
                if r.rc in (EXIT_OK, EXIT_PARTIAL) and not gone:
                    live_ok += 1
                if r.rc == EXIT_ATTACH and not r.err.strip().startswith("pyspy-sh: "):
                    raise Fail(where + "exit 2 without a 'pyspy-sh: ' message: " + r.describe())
                if r.rc == EXIT_PARTIAL and not r.err.strip() and not r.out_b.strip():
                    raise Fail(where + "exit 1 with no output and no message: " + r.describe())
                doc = None
                if cmd.endswith("--json") and (r.rc == EXIT_OK or (r.rc == EXIT_PARTIAL and r.out_b.strip())):
                    try:
                        doc = json.loads(r.out_b.decode("utf-8"))
                    except ValueError as e:
                        raise Fail(where + "exit %d but stdout is not one JSON document (%s): %r"
                                   % (r.rc, e, r.out_b[:300]))
                # partial output must say what is missing: on stderr or as an "error" in the JSON
                if (doc is not None and r.rc == EXIT_PARTIAL and not r.err.strip() and "error" not in doc and
                        not any(isinstance(t, dict) and t.get("error") for t in doc.get("threads") or [])):
                    raise Fail(where + "exit 1 but neither stderr nor the JSON says what failed: %r"
                               % r.out_b[:400])
                if gone:
                    if r.rc != EXIT_ATTACH:
                        raise Fail(where + "process is gone (reaped) but exit %d: %s" % (r.rc, r.describe()))
                    break
                if time.time() > deadline:
                    raise Fail(where + "target never exited")
        finally:
            if target is not None:
                target.kill()
            shutil.rmtree(tmpdir, ignore_errors=True)
    log("exit_while_reading: exit status counts %s, %d successful reads of a live target" % (stats, live_ok))
    if live_ok == 0:
        raise Fail("no run ever read a live target (exit counts %s)" % stats)


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description="pyspy-sh end-to-end tests")
    ap.add_argument("-k", dest="pattern", help="only tests whose name contains SUBSTR")
    ap.add_argument("--python", action="append", default=[], metavar="PATH",
                    help="test only this interpreter (repeatable); default: pyenv versions + /usr/bin/python3, "
                         "or $PYSPY_TEST_PYTHONS")
    ap.add_argument("--binary", default=os.path.join(REPO, "pyspy-sh"), help="pyspy-sh binary (default: %(default)s)")
    ap.add_argument("-v", "--verbose", action="store_true", help="progress details on stderr")
    args = ap.parse_args()
    harness.VERBOSE = args.verbose
    res = Results(args.pattern)
    spy = Spy(os.path.abspath(args.binary))
    interps = discover(args.python)
    for it in interps:
        log("interpreter %s: %s%s" % (it.label, it.path, " (%s)" % it.missing if it.missing else ""))
    import stacks_tests
    import status_tests
    import values_tests
    import shell_tests
    import tty_tests
    import profile_tests
    import lua_tests
    import native_tests
    import safety_tests
    import badinput_tests
    try:
        for it in interps:
            stacks_tests.run_per_interp(res, it, spy)
            status_tests.run_per_interp(res, it, spy)
            values_tests.group(res, it, spy)
            profile_tests.group(res, it, spy)
            lua_tests.group(res, it, spy)
            native_tests.group(res, it, spy)
        shell_tests.run_all(res, spy, interps)
        tty_tests.run_all(res, spy, interps)
        profile_tests.run_once(res, spy, interps)
        lua_tests.run_once(res, spy, interps)
        native_tests.run_once(res, spy, interps)
        safety_tests.run_once(res, spy, interps)
        badinput_tests.run_once(res, spy, interps)
        res.run("bad_pid", t_bad_pid, spy)
        res.run("not_python", t_not_python, spy)
        res.run("zombie", t_zombie, spy, interps)
        res.run("bad_usage", t_bad_usage, spy)
        res.run("exit_while_reading", t_exit_while_reading, spy, interps)
    except KeyboardInterrupt:
        res.fail("interrupted", "KeyboardInterrupt")
    sys.stdout.write("%d passed, %d failed, %d skipped\n" % (res.passed, res.failed, res.skipped))
    sys.stdout.flush()
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
