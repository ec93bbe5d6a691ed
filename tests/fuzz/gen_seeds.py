#!/usr/bin/env python3
"""Make the seed corpora in tests/fuzz/corpus/ from real data.

    tests/fuzz/gen_seeds.py        (after `make build/tests/capture pyspy-sh`)

  linetable  every code object's table in tests/unit/data (CPython's own
             tables, 2.7-3.13), as model byte + firstlineno + probe + bytes;
  frames     thread states and frame chains recorded by build/tests/capture
             from tests/targets/stacks.py and values.py on every interpreter;
  pyobj      each local of values.py (every kind of value) recorded the same way;
  elf        small ELF files built here with cc: shared objects with GNU and
             SysV hash tables, a PIE, a static-ish executable, a stripped one,
             each holding Python-like symbols and a .PyRuntime section.
Seeds larger than 64 KiB are left out so the corpora stay small.  The
corpora are committed; run this again only to refresh them.
"""
import glob
import os
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
CAPTURE = os.path.join(ROOT, "build", "tests", "capture")
MAX_SEED = 65536
MODELS = {"lnotab": 0, "lnotab27": 1, "310": 2, "locations": 3}


def fresh(name):
    d = os.path.join(CORPUS, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def linetable_seeds():
    out = fresh("linetable")
    n = 0
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "unit", "data", "linetable_*.txt"))):
        model = None
        lines = open(path).read().splitlines()
        for i, line in enumerate(lines):
            if line.startswith("model "):
                model = MODELS[line.split()[1]]
            elif line.startswith("code ") and i + 1 < len(lines):
                first = int(line.split()[2])
                hexed = lines[i + 1].strip()
                table = b"" if hexed == "-" else bytes.fromhex(hexed)
                data = bytes([model]) + struct.pack("<ii", first, len(table)) + table
                if len(data) <= MAX_SEED:
                    with open(os.path.join(out, "%s-%d" % (os.path.basename(path)[10:-4], n)), "wb") as f:
                        f.write(data)
                    n += 1
    return n


def interpreters():
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/*/bin/python")))
    if os.path.exists("/usr/bin/python3"):
        found.append("/usr/bin/python3")
    return found


def start(python, script, tmp):
    r, w = os.pipe()
    p = subprocess.Popen([python, "-B", "-E", "-s", script, os.path.join(tmp, "truth.json"), str(w)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         pass_fds=(w,), cwd=tmp)
    os.close(w)
    buf, deadline = b"", time.time() + 60
    while b"ready" not in buf and time.time() < deadline:
        if select.select([r], [], [], 1)[0]:
            chunk = os.read(r, 64)
            if not chunk:
                break
            buf += chunk
    os.close(r)
    time.sleep(0.3)
    return p


def capture(mode, pid, out, prefix):
    subprocess.run([CAPTURE, mode, str(pid), out, prefix], stdout=subprocess.DEVNULL, check=False)


def live_seeds():
    frames, objects = fresh("frames"), fresh("pyobj")
    for python in interpreters():
        tag = os.path.basename(os.path.dirname(os.path.dirname(python))) if "pyenv" in python else "system"
        tmp = tempfile.mkdtemp(prefix="pyspy-seeds-")
        try:
            for script, modes in (("stacks.py", ("frames",)), ("values.py", ("frames", "objects"))):
                p = start(python, os.path.join(ROOT, "tests", "targets", script), tmp)
                try:
                    for mode in modes:
                        capture(mode, p.pid, frames if mode == "frames" else objects,
                                "%s-%s" % (tag, script[:-3]))
                finally:
                    p.kill()
                    p.wait()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    for d in (frames, objects):
        for f in os.listdir(d):
            if os.path.getsize(os.path.join(d, f)) > MAX_SEED:
                os.unlink(os.path.join(d, f))
    return len(os.listdir(frames)), len(os.listdir(objects))


ELF_SRC = r"""
struct rt { char cookie[8]; unsigned long version; void *head; } _PyRuntime
    __attribute__((section(".PyRuntime"))) = { "xdebugpy", 0x030d00f0, 0 };
const unsigned Py_Version = 0x030b07f0;
const char version_text[] = "3.11.7 (main, Jan  1 2024, 00:00:00) [GCC 12.2.0]";
static void *interp_head;
void *PyCode_Type[8];
void Py_Initialize(void) { interp_head = &_PyRuntime; }
int main(void) { Py_Initialize(); return interp_head == 0; }
"""


def elf_seeds():
    out = fresh("elf")
    tmp = tempfile.mkdtemp(prefix="pyspy-elf-")
    src = os.path.join(tmp, "py.c")
    with open(src, "w") as f:
        f.write(ELF_SRC)
    builds = {
        "so-gnuhash": ["-shared", "-fPIC", "-Wl,--hash-style=gnu"],
        "so-sysvhash": ["-shared", "-fPIC", "-Wl,--hash-style=sysv"],
        "pie": ["-fPIE", "-pie", "-rdynamic"],
        "exe-nopie": ["-no-pie", "-rdynamic"],
        "so-stripped": ["-shared", "-fPIC", "-s"],
    }
    n = 0
    for name, flags in builds.items():
        dst = os.path.join(tmp, name)
        if subprocess.run(["cc", "-Os", "-o", dst, src] + flags).returncode == 0 and os.path.getsize(dst) <= MAX_SEED:
            shutil.copy(dst, os.path.join(out, name))
            n += 1
    shutil.rmtree(tmp, ignore_errors=True)
    return n


def main():
    if not os.access(CAPTURE, os.X_OK):
        sys.exit("gen_seeds: build %s first (make build/tests/capture)" % CAPTURE)
    print("linetable: %d seeds" % linetable_seeds())
    print("elf: %d seeds" % elf_seeds())
    print("frames: %d seeds, pyobj: %d seeds" % live_seeds())


if __name__ == "__main__":
    main()
