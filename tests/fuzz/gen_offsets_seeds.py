#!/usr/bin/env python3
"""Make tests/fuzz/corpus/offsets/ (the fuzz_offsets harness) from real data.

    tests/fuzz/gen_offsets_seeds.py     (after `make build/tests/capture`)

Each seed is a real _Py_DebugOffsets table (tests/unit/data/debug_offsets-
VERSION.bin: the first bytes of _PyRuntime read from live pyenv 3.13.0 and
Debian 3.14 processes) followed by a real address space of the same minor:
the 3.13 thread captures of tests/fuzz/corpus/frames/, and for 3.14 threads
of tests/targets/stacks.py recorded now with build/tests/capture when a 3.14
interpreter is found.  Every pair is written untouched and with one to three
scribbles of the kinds tests/targets/scribble.py does (see fuzz_offsets.c
for the format).
"""
import glob
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus", "offsets")
DATA = os.path.join(ROOT, "tests", "unit", "data")
CAPTURE = os.path.join(ROOT, "build", "tests", "capture")
PY314 = ["/opt/pyspy-sh-pythons/usr/bin/python3.14", os.path.expanduser("~/.pyenv/versions/3.14/bin/python")]


def header(scribbles):
    h = bytes([len(scribbles)])
    for slot, choice, rnd in scribbles + [(0, 0, 0)] * (3 - len(scribbles)):
        h += struct.pack("<BBQ", slot, choice, rnd)
    return h


def capture_314(tmp):
    python = next((p for p in PY314 if os.access(p, os.X_OK)), None)
    if not python or not os.access(CAPTURE, os.X_OK):
        return []
    r, w = os.pipe()
    p = subprocess.Popen([python, "-B", "-E", "-s", os.path.join(ROOT, "tests", "targets", "stacks.py"),
                          os.path.join(tmp, "truth.json"), str(w)], pass_fds=(w,), cwd=tmp,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    try:
        os.read(r, 64)
        time.sleep(0.3)
        subprocess.run([CAPTURE, "frames", str(p.pid), tmp, "3.14-stacks"], stdout=subprocess.DEVNULL, check=False)
    finally:
        os.close(r)
        p.kill()
        p.wait()
    return sorted(glob.glob(os.path.join(tmp, "3.14-stacks-thread*")))


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    tmp = tempfile.mkdtemp(prefix="pyspy-offsets-")
    spaces = {"3.13": sorted(glob.glob(os.path.join(ROOT, "tests", "fuzz", "corpus", "frames", "3.13*"))),
              "3.14": capture_314(tmp)}
    if not spaces["3.14"]:
        sys.stderr.write("gen_offsets_seeds: no 3.14 capture (no python3.14 or build/tests/capture): "
                         "3.14 tables are paired with 3.13 address spaces\n")
        spaces["3.14"] = spaces["3.13"]
    rng = random.Random(13)
    n = 0
    for table in sorted(glob.glob(os.path.join(DATA, "debug_offsets-*.bin"))):
        version = os.path.basename(table)[len("debug_offsets-"):-4]
        with open(table, "rb") as f:
            blob = f.read()
        for space in spaces[version[:4]]:
            with open(space, "rb") as f:
                mem = f.read()
            kinds = [[]] + [[(rng.randrange(3, len(blob) // 8), rng.randrange(9), rng.getrandbits(64))
                             for _ in range(k)] for k in (1, 2, 3)]
            for i, sc in enumerate(kinds):
                name = "%s-%s-%d" % (version, os.path.basename(space).split("-", 1)[-1], i)
                with open(os.path.join(OUT, name), "wb") as f:
                    f.write(header(sc) + struct.pack("<H", len(blob)) + blob + mem)
                n += 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("offsets: %d seeds in %s" % (n, OUT))


if __name__ == "__main__":
    main()
