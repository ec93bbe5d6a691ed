"""Heatmap target: one thread spins, 20 ms at a time, in hot() here, in
gone_hot() from a module whose source file is deleted once imported (so a
heatmap must list that file by name with its lines' counts), and in a
function compiled under the name /etc/passwd (a hostile name: a heatmap must
not put that file's text in the page).

Usage: python heat.py TRUTH_JSON READY
Writes {"pid", "file", "hot_line", "hot_first", "gone_file", "gone_line"} to
TRUTH_JSON (hot_line: the loop's body in hot(); hot_first: hot's def line;
gone_line: the loop's body in the deleted module), then "ready" to READY.
Python 2.7 and 3.x.
"""
import json
import os
import sys
import tempfile
import time

HERE = os.path.abspath(__file__)
GONE_SOURCE = (
    "import time\n"
    "\n"
    "\n"
    "def gone_hot(end):\n"
    "    n = 0\n"
    "    while time.time() < end:\n"
    "        n += 1  # GONE HOT\n"
    "    return n\n"
)


def hot(end):
    n = 0
    while time.time() < end:
        n += 1  # HOT
    return n


def line_of(marker, text):
    for i, line in enumerate(text.splitlines(), 1):
        if marker in line and "line_of" not in line:
            return i
    return -1


def main():
    truth_path, ready = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="pyspy-heat-")
    gone_file = os.path.join(tmp, "vanishing_mod.py")
    with open(gone_file, "w") as f:
        f.write(GONE_SOURCE)
    sys.path.insert(0, tmp)
    import vanishing_mod
    os.remove(gone_file)
    os.rmdir(tmp)
    with open(HERE) as f:
        here = f.read()
    truth = {"pid": os.getpid(), "file": HERE, "hot_line": line_of("# HOT", here),
             "hot_first": line_of("def hot(", here), "gone_file": vanishing_mod.__file__,
             "gone_line": line_of("# GONE HOT", GONE_SOURCE)}
    with open(truth_path, "w") as f:
        json.dump(truth, f)
    fd = int(ready) if ready.isdigit() else os.open(ready, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"ready\n")
    os.close(fd)
    ns = {}
    exec(compile(GONE_SOURCE.replace("gone_hot", "passwd_hot"), "/etc/passwd", "exec"), ns)
    while True:
        hot(time.time() + 0.02)
        vanishing_mod.gone_hot(time.time() + 0.02)
        ns["passwd_hot"](time.time() + 0.02)


main()
