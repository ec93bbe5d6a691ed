#!/usr/bin/env python3
"""Run every libFuzzer harness for a bounded time; a part of `make test`.

    tests/fuzz/run_fuzz.py [--seconds N] [--only NAME] [--no-build]

Builds the harnesses (`make fuzz-build`, clang with libFuzzer, ASan and
UBSan), then runs each over its committed seed corpus (tests/fuzz/corpus/NAME,
read only: new inputs go to a scratch directory) for N seconds (default 15,
$FUZZ_SECONDS), with a per-input timeout and memory limits so a hang or an
unbounded allocation fails like a crash does.  Prints one line per harness
(PASS fuzz_NAME: E executions ..., FAIL with the crash and the input saved
under build-fuzz/artifacts/, or SKIP when clang or libFuzzer is missing),
then "N passed, N failed, N skipped".
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAMES = ("linetable", "pyobj", "frames", "elf", "offsets")
LIMITS = ["-timeout=10", "-rss_limit_mb=1024", "-malloc_limit_mb=256", "-max_len=65536",
          "-print_final_stats=1", "-close_fd_mask=3"]


def why_no_fuzzer():
    cc = os.environ.get("FUZZ_CC", "clang")
    if not shutil.which(cc):
        return "%s not found (Debian: apt-get install clang)" % cc
    probe = tempfile.mkdtemp(prefix="pyspy-fuzzprobe-")
    try:
        src = os.path.join(probe, "p.c")
        with open(src, "w") as f:
            f.write("#include <stdint.h>\n#include <stddef.h>\n"
                    "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n")
        r = subprocess.run([cc, "-fsanitize=fuzzer", "-o", os.path.join(probe, "p"), src],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode:
            return "%s cannot link libFuzzer (Debian: apt-get install libclang-rt-14-dev): %s" % (
                cc, r.stdout.decode(errors="replace").strip()[-200:])
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    return None


def run_one(name, seconds):
    binary = os.path.join(ROOT, "build-fuzz", "fuzz_" + name)
    corpus = os.path.join(ROOT, "tests", "fuzz", "corpus", name)
    artifacts = os.path.join(ROOT, "build-fuzz", "artifacts")
    os.makedirs(artifacts, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="pyspy-fuzz-%s-" % name)
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    argv = [binary, "-max_total_time=%d" % seconds, "-artifact_prefix=%s/%s-" % (artifacts, name)] + LIMITS + [
        scratch, corpus]
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                           timeout=seconds * 3 + 120)
        out = r.stdout.decode(errors="replace")
        rc = r.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        rc = "timeout"
    finally:
        grown = len(os.listdir(scratch)) if os.path.isdir(scratch) else 0
        shutil.rmtree(scratch, ignore_errors=True)
    m = re.search(r"stat::number_of_executed_units:\s*(\d+)", out)
    execs = int(m.group(1)) if m else 0
    cov = re.findall(r"cov: (\d+) ft: (\d+)", out)
    seeds = len(os.listdir(corpus))
    if rc != 0:
        crash = re.search(r"^(==\d+==ERROR: .*|.*runtime error: .*|.*deadly signal.*|.*-timeout.*|.*out-of-memory.*)$",
                          out, re.M)
        saved = re.findall(r"Test unit written to (\S+)", out)
        print("FAIL fuzz_%s: exit %s after %d executions: %s; input saved to %s" % (
            name, rc, execs, crash.group(0).strip() if crash else out.strip()[-300:],
            saved[-1] if saved else "(none)"))
        sys.stdout.write("".join("    " + l + "\n" for l in out.strip().splitlines()[-40:]))
        return False
    print("PASS fuzz_%s: %d executions in %ds from %d seeds, %d new inputs, coverage %s edges / %s features" % (
        name, execs, seconds, seeds, grown, cov[-1][0] if cov else "?", cov[-1][1] if cov else "?"))
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", "15")))
    ap.add_argument("--only", action="append", choices=NAMES)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    names = args.only or NAMES
    passed = failed = skipped = 0
    reason = why_no_fuzzer()
    if not reason and not args.no_build:
        r = subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, "fuzz-build"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode:
            print(r.stdout.decode(errors="replace")[-2000:])
            print("FAIL fuzz_build: make fuzz-build exited %d" % r.returncode)
            print("0 passed, 1 failed, 0 skipped")
            return 1
    for name in names:
        if reason:
            print("SKIP fuzz_%s: %s" % (name, reason))
            skipped += 1
        elif run_one(name, args.seconds):
            passed += 1
        else:
            failed += 1
        sys.stdout.flush()
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
