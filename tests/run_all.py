#!/usr/bin/env python3
"""Run every test of pyspy-sh: the C unit tests, then the end-to-end suite.

Each part prints its own lines and ends with 'N passed, N failed[, N skipped]';
this adds them up and ends with one such line for the whole run, exiting
non-zero if anything failed (or if a part crashed without a summary).
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUMMARY = re.compile(r"^(?:\w+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$")


def run(name, argv):
    print("== %s" % name, flush=True)
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, errors="replace")
    last = None
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        m = SUMMARY.match(line.strip())
        if m:
            last = m
    rc = proc.wait()
    if last is None:
        print("FAIL %s: exited %d without a summary line" % (name, rc))
        return 0, 1, 0
    p, f, s = int(last.group(1)), int(last.group(2)), int(last.group(3) or 0)
    if rc != 0 and f == 0:
        print("FAIL %s: exited %d" % (name, rc))
        f = 1
    return p, f, s


def main():
    binary = os.environ.get("PYSPY_BINARY", "./pyspy-sh")
    parts = []
    unit_dir = os.path.join(ROOT, "build", "tests")
    for name in sorted(os.listdir(unit_dir)) if os.path.isdir(unit_dir) else []:
        path = os.path.join(unit_dir, name)
        if name.startswith("test_") and os.access(path, os.X_OK):
            parts.append(("unit " + name, [path]))
    parts.append(("end to end", [sys.executable, "tests/e2e/run.py", "--binary", binary]))
    totals = [0, 0, 0]
    for name, argv in parts:
        for i, n in enumerate(run(name, argv)):
            totals[i] += n
    print("%d passed, %d failed, %d skipped" % tuple(totals))
    return 1 if totals[1] else 0


if __name__ == "__main__":
    sys.exit(main())
