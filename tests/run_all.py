#!/usr/bin/env python3
"""Run every test of pyspy-sh: the C unit tests, the end-to-end suite, the
fuzz harnesses for a bounded time (tests/fuzz/run_fuzz.py, FUZZ_SECONDS each),
and the end-to-end suite once more against the ASan/UBSan build
(./pyspy-sh-asan, when `make asan` built it; PYSPY_SKIP_ASAN=1 leaves it out).

Each part prints its own lines and ends with 'N passed, N failed[, N skipped]';
this adds them up and ends with one such line for the whole run, exiting
non-zero if anything failed (or if a part crashed without a summary).
"""
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUMMARY = re.compile(r"^(?:\w+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$")


def run(name, argv, env=None):
    print("== %s" % name, flush=True)
    start = time.time()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, errors="replace", env=env)
    last = None
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        m = SUMMARY.match(line.strip())
        if m:
            last = m
    rc = proc.wait()
    print("(%s took %.0f s)" % (name, time.time() - start), flush=True)
    if last is None:
        print("FAIL %s: exited %d without a summary line" % (name, rc))
        return 0, 1, 0
    p, f, s = int(last.group(1)), int(last.group(2)), int(last.group(3) or 0)
    if rc != 0 and f == 0:
        print("FAIL %s: exited %d" % (name, rc))
        f = 1
    return p, f, s


# The ASan pass covers one interpreter of each frame and string model (2.7's
# str and 3.x's; frame objects, 3.11-3.12's cframe, 3.13's debug offsets),
# the stripped static system build and Debian's stripped 3.14/3.15 (the plain
# pass covers all twelve); 3.6-3.9's line tables, which only 3.6 brought, are
# decoded under ASan by the fuzz harnesses with seeds from every version.
# The whole suite twice over every version would not fit make test's 20
# minutes on two cores.
ASAN_PICK = os.environ.get("PYSPY_ASAN_PICK",
                           "pyenv-2.7,pyenv-3.10,pyenv-3.12,pyenv-3.13,system,debian")
# Of those, the groups that measure time or CPU (they run alone, so they cost
# wall time in full) run under ASan on one interpreter of each frame model:
# 2.7's frame objects, 3.12's interpreter frames read through the generated
# layout, 3.15's read through the target's own debug offsets.  They still run
# on all twelve in the plain pass; under ASan they are there for the memory
# errors of the sampling paths, which these three walk.
ASAN_TIMING_PICK = os.environ.get("PYSPY_ASAN_TIMING_PICK", "pyenv-2.7,pyenv-3.12,debian-3.15")


def main():
    binary = os.environ.get("PYSPY_BINARY", "./pyspy-sh")
    parts = []
    unit_dir = os.path.join(ROOT, "build", "tests")
    for name in sorted(os.listdir(unit_dir)) if os.path.isdir(unit_dir) else []:
        path = os.path.join(unit_dir, name)
        if name.startswith("test_") and os.access(path, os.X_OK):
            parts.append(("unit " + name, [path], None))
    parts.append(("layers", [sys.executable, "tests/unit/check_layers.py"], None))
    # two interpreters at a time (the groups that measure time or CPU still run alone)
    jobs = ["--jobs", os.environ.get("PYSPY_TEST_JOBS", "2")]
    parts.append(("end to end", [sys.executable, "tests/e2e/run.py", "--binary", binary] + jobs, None))
    parts.append(("fuzz", [sys.executable, "tests/fuzz/run_fuzz.py"], None))
    asan = os.path.join(ROOT, "pyspy-sh-asan")
    if os.access(asan, os.X_OK) and not os.environ.get("PYSPY_SKIP_ASAN"):
        env = dict(os.environ)
        # leaks are checked (LeakSanitizer works here: pyspy-sh is not itself
        # traced, except under strace, where the test turns it off)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:halt_on_error=1")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        parts.append(("end to end (asan)", [sys.executable, "tests/e2e/run.py", "--binary", asan, "--pick", ASAN_PICK,
                                            "--timing-pick", ASAN_TIMING_PICK] + jobs, env))
    totals = [0, 0, 0]
    for name, argv, env in parts:
        for i, n in enumerate(run(name, argv, env)):
            totals[i] += n
    print("%d passed, %d failed, %d skipped" % tuple(totals))
    return 1 if totals[1] else 0


if __name__ == "__main__":
    sys.exit(main())
