#!/usr/bin/env python3
"""Check that #include lines follow the project's layers (README, "How it
works"): shell -> commands -> scripts -> engine -> layouts, and inside
engine/ the rooms in data-flow order, each using only the rooms above it
and engine/'s root:

    (root: error, strbuf, strtab) < os < python < values < native < profile < export

An include that points the other way, a file outside every known folder, or
a room this script does not know is a failure.  Prints one line per rule and
"N passed, N failed".
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAYERS = ["layouts", "engine", "scripts", "commands", "shell"]   # lowest first
ROOMS = ["", "os", "python", "values", "native", "profile", "export"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def place(path):
    """(layer index, room index) of a repository path, or None if outside the layers."""
    parts = path.split("/")
    if parts[0] not in LAYERS:
        return None
    layer = LAYERS.index(parts[0])
    room = 0
    if parts[0] == "engine" and len(parts) > 2:
        room = ROOMS.index(parts[1]) if parts[1] in ROOMS else -1
    return layer, room


def resolve(src, inc):
    here = os.path.join(os.path.dirname(src), inc)
    if os.path.exists(os.path.join(ROOT, here)):
        return os.path.normpath(here)
    return os.path.normpath(inc)


def main():
    files = subprocess.check_output(["git", "ls-files", "*.c", "*.h"], cwd=ROOT,
                                    universal_newlines=True).split()
    problems = []
    for f in files:
        me = place(f)
        if me is None:
            continue
        if me[1] < 0:
            problems.append("%s: engine room %r is not in the list" % (f, f.split("/")[1]))
            continue
        with open(os.path.join(ROOT, f), encoding="utf-8") as fh:
            text = fh.read()
        for inc in INCLUDE.findall(text):
            target = resolve(f, inc)
            there = place(target)
            if there is None or not os.path.exists(os.path.join(ROOT, target)):
                continue          # system or generated headers
            if there[0] > me[0]:
                problems.append("%s includes %s: %s is above %s" % (f, target, target.split("/")[0], f.split("/")[0]))
            elif there[0] == me[0] == LAYERS.index("engine") and there[1] > me[1]:
                problems.append("%s includes %s: room %s comes after room %s"
                                % (f, target, ROOMS[there[1]], ROOMS[me[1]] or "root"))
    checks = [("includes point down the layers and rooms", problems)]
    failed = 0
    for name, bad in checks:
        if bad:
            failed += 1
            print("FAIL %s:" % name)
            for b in bad:
                print("    " + b)
        else:
            print("PASS %s (%d files)" % (name, len(files)))
    print("%d passed, %d failed" % (len(checks) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
