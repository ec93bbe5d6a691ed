"""Post-mortem: `pyspy-sh --core CORE` through the real binary (imported by run.py).

Cores are made of the targets the live tests use, which record their own
truth first: with gcore (gdb's, when installed) while the target sleeps, and by
the kernel from SIGABRT (RLIMIT_CORE raised on the target with prlimit, the
core written where /proc/sys/kernel/core_pattern says; a pattern that pipes to
a helper such as systemd-coredump or apport is a SKIP with that reason).

Per interpreter, one stacks.py target and one values.py target:
  core_gcore_bt     `bt --all --json` on the gcore core == the stacks target's
                    own record (threads, names, tids, numbering, every frame);
                    where gdb wrote zeros for frames (Debian's 3.14/3.15, see
                    allow_lost_bottoms) the stack must stop there saying so,
                    the core file must hold zeros there and the live process
                    bytes, and the frames above must be the recorded ones
  core_kernel_bt    the kernel's core after SIGABRT: the same record, `info`
                    names signal 6 (SIGABRT) and the thread it hit, and
                    `threads` marks that thread, and only it, SIGABRT
  core_native       `bt --all --native --json` on the gcore core (the kernel's
                    where gdb's lost frames): every thread merges, and its
                    Python frames are exactly the recorded ones
  core_locals       on the values target's core (the kernel's; gcore's where
                    the kernel's cores go to a helper): `frame 1` + `locals`,
                    `bt --locals --json`, `print EXPR` for every lookup and
                    every print path, and tests/lua/locals.lua run with -x ==
                    the target's recorded reprs
Once:
  core_bad          not an ELF file, an ELF that is no core, a truncated core,
                    another architecture, a missing executable, --exe naming
                    another Python, a core of a program that is not Python:
                    each exit 2 with "pyspy-sh: " and what is wrong
  core_live_only    sample, top --live, stop, continue, attach on a core: each
                    "CMD: not available on a core file", exit 1; and Lua's
                    pyspy.process() is the core (its pid)
"""
import os
import re
import resource
import shutil
import signal
import struct
import subprocess
import tempfile
import time

import harness
import lua_tests
import values_tests

VALUES = os.path.join(harness.TARGETS, "values.py")
# one malloc arena: gdb writes every thread's 64 MB arena reservation into its
# core (870 MB and 8 s for stacks.py instead of 100 MB and 1 s)
TARGET_ENV = {"MALLOC_ARENA_MAX": "1"}


def gcore_path():
    return shutil.which("gcore")


def make_gcore(pid, tmpdir, name="gcore"):
    exe = gcore_path()
    if not exe:
        raise harness.Skip("gcore (gdb) is not installed")
    prefix = os.path.join(tmpdir, name)
    cp = subprocess.run([exe, "-o", prefix, str(pid)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, timeout=120)
    path = "%s.%d" % (prefix, pid)
    if cp.returncode != 0 or not os.path.isfile(path):
        raise harness.Fail("gcore %d failed (rc %d): %s" % (pid, cp.returncode, cp.stdout.decode(errors="replace")[-300:]))
    return path


def kernel_core_pattern():
    try:
        with open("/proc/sys/kernel/core_pattern") as f:
            return f.read().strip()
    except OSError:
        return ""


def make_kernel_core(target, tmpdir):
    """SIGABRT the target (a harness.Target or a Popen) and find its core; the
    target is gone afterwards."""
    proc = getattr(target, "proc", target)
    pattern = kernel_core_pattern()
    if not pattern or pattern.startswith("|"):
        raise harness.Skip("core_pattern is %r: cores go to a helper, not a file" % pattern)
    if "/" in pattern and not pattern.startswith(tmpdir):
        raise harness.Skip("core_pattern %r writes outside the test's directory" % pattern)
    try:
        resource.prlimit(target.pid, resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (OSError, ValueError) as e:
        raise harness.Skip("cannot raise RLIMIT_CORE of the target: %s" % e)
    before = set(os.listdir(tmpdir))
    os.kill(target.pid, signal.SIGABRT)
    proc.wait(timeout=60)
    cores = [n for n in set(os.listdir(tmpdir)) - before if n.startswith("core")]
    if not cores:
        raise harness.Skip("no core appeared in the target's directory (core_pattern %r)" % pattern)
    return os.path.join(tmpdir, cores[0])


class CoreSpy(object):
    """A Spy whose "-p PID" runs on a core file instead."""

    def __init__(self, spy, core):
        self.spy, self.core = spy, core

    def run(self, args, **kw):
        args = list(args)
        if args[:1] == ["-p"]:
            args[:2] = ["--core", self.core]
        return self.spy.run(args, **kw)


def core_bt_run(spy, core, extra=()):
    """(the run, its document) of `bt --all --json` on core, whatever the exit."""
    r = spy.run(["--core", core, "-nx"] + list(extra) + ["-ex", "bt --all --json", "--batch"])
    return r, harness.parse_json_doc(r)


def core_bt(spy, core, extra=()):
    r, doc = core_bt_run(spy, core, extra)
    if r.rc != harness.EXIT_OK:
        raise harness.Fail("expected exit 0: %s" % r.describe())
    return doc


def any_core(target, tmpdir, name):
    """The kernel's core (cheap), else gcore's; the target may be gone after."""
    try:
        return make_kernel_core(target, tmpdir)
    except harness.Skip:
        return make_gcore(target.pid, tmpdir, name)


def check_against_truth(doc, ctx):
    probs = harness.compare_doc(doc, ctx["truth"], ctx["interp"].version)
    if probs:
        raise harness.Fail("; ".join(probs[:6]))


# gdb 13's gcore writes zeros for a whole mapping it cannot read in one piece,
# as with the guard pages a newer glibc puts inside thread-stack mappings
# (madvise MADV_GUARD_INSTALL, Linux 6.13+): Debian's 3.14 and 3.15 run on
# their own such glibc, and a thread's bottom frames lie in that mapping.  The
# core then has zeros where the process had those frames; pyspy-sh must say so
# (never show a frame it made up), and the kernel's core of the same target
# has them (core_kernel_bt).
ZEROS_RE = re.compile(r"frame 0x([0-9a-f]+) is all zeros in the core file")


def live_bytes(pid, addr, n=64):
    with open("/proc/%d/mem" % pid, "rb", buffering=0) as m:
        m.seek(addr)
        return m.read(n)


def core_bytes(path, addr, n=64):
    """n bytes at addr as the core file holds them (its PT_LOAD segments, read
    here, not by pyspy-sh), or None where the core has no data for them."""
    with open(path, "rb") as f:
        eh = f.read(64)
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, _, off, vaddr, _, filesz, _, _ = struct.unpack("<IIQQQQQQ", f.read(56))
            if p_type == 1 and vaddr <= addr and addr + n <= vaddr + filesz:
                f.seek(off + addr - vaddr)
                return f.read(n)
    return None


def allow_lost_bottoms(doc, ctx, core):
    """For every thread the core cut at a frame it did not save: check that the
    core file has zeros there and the still-running target does not (it has a
    frame there), and compare what was shown with the top of the recorded stack."""
    truth = dict(ctx["truth"])
    truth["threads"] = [dict(t) for t in truth["threads"]]
    by_id = dict((t["thread_id"], t) for t in truth["threads"])
    cut = 0
    for g in doc["threads"]:
        m = ZEROS_RE.search(g.get("error") or "")
        e = by_id.get(g.get("thread_id"))
        if not m or e is None:
            continue
        addr = int(m.group(1), 16)
        saved = core_bytes(core, addr)
        if saved is None or saved.strip(b"\0"):
            raise harness.Fail("%s: pyspy-sh says the core has zeros at 0x%x; the core file holds %r"
                               % (harness.tlabel(e), addr, saved))
        live = live_bytes(ctx["target"].pid, addr)
        if not live.strip(b"\0"):
            raise harness.Fail("%s: the core's zeros at 0x%x are zeros in the process too: the frame chain is wrong"
                               % (harness.tlabel(e), addr))
        n = len(g.get("frames") or [])
        if not 0 < n <= len(e["frames"]):
            raise harness.Fail("%s: %d frames shown before the lost frame, %d recorded"
                               % (harness.tlabel(e), n, len(e["frames"])))
        e["frames"] = e["frames"][:n]
        del g["error"]
        cut += 1
    return truth, cut


def t_gcore_bt(spy, ctx):
    ctx["gcore"] = make_gcore(ctx["target"].pid, ctx["tmpdir"])
    r, doc = core_bt_run(spy, ctx["gcore"])
    # a stack cut short makes the result partial: exit 1, and only for that
    errors = [t.get("error") for t in doc["threads"] if t.get("error")]
    want = 1 if errors and all(ZEROS_RE.search(x) for x in errors) else harness.EXIT_OK
    if r.rc != want:
        raise harness.Fail("expected exit %d: %s" % (want, r.describe()))
    truth, cut = allow_lost_bottoms(doc, ctx, ctx["gcore"])
    probs = harness.compare_doc(doc, truth, ctx["interp"].version)
    if probs:
        raise harness.Fail("; ".join(probs[:6]))
    if cut:
        # the note a test run prints: how many stacks gdb's core cut
        print("  core_gcore_bt[%s]: %d of %d stacks end where gdb's core has zeros (the live process has frames there)"
              % (ctx["interp"].label, cut, len(doc["threads"])))
    ctx["gcore_cut"] = cut


def t_native(spy, ctx):
    # the kernel's core where gdb's lost frames (see allow_lost_bottoms) or is not there
    core = ctx.get("kernel") if ctx.get("gcore_cut") or not ctx.get("gcore") else ctx["gcore"]
    if not core:
        raise harness.Skip("no core of the stacks target (see core_gcore_bt, core_kernel_bt)")
    r = spy.run(["--core", core, "-nx", "-ex", "bt --all --native --json", "--batch"])
    doc = harness.parse_json_doc(r)
    probs = []
    for t in doc["threads"]:
        if t.get("native_error"):
            probs.append("%s: native_error %r" % (harness.tlabel(t), t["native_error"]))
        kinds = set(f.get("kind") for f in t.get("frames") or [])
        if "native" not in kinds:
            probs.append("%s: no native frame in the merged stack" % harness.tlabel(t))
        t["frames"] = [f for f in t.get("frames") or [] if f.get("kind") != "native"]
    if probs:
        raise harness.Fail("; ".join(probs[:6]))
    check_against_truth(doc, ctx)


def t_kernel_bt(spy, ctx):
    core = ctx["kernel"] = make_kernel_core(ctx["target"], ctx["tmpdir"])
    check_against_truth(core_bt(spy, core), ctx)
    r = spy.run(["--core", core, "-nx", "-ex", "info", "--batch"])
    sig = [l for l in r.out.splitlines() if l.startswith("signal:")]
    if r.rc != 0 or not sig or "6 (SIGABRT" not in sig[0]:
        raise harness.Fail("info on a SIGABRT core: expected 'signal: 6 (SIGABRT...': %s" % r.describe())
    tids = [str(t["os_tid"]) for t in ctx["truth"]["threads"]]
    hit = [tid for tid in tids if ("in thread %s" % tid) in sig[0]]
    if not hit:
        raise harness.Fail("info's signal line names no thread of the target: %r" % sig[0])
    r = spy.run(["--core", core, "-nx", "-ex", "threads", "--batch"])
    rows = [re.match(r"^[* ] (\d+)\s+(\d+)\s+(\S+)", l) for l in r.out.splitlines()[1:]]
    marked = [[m.group(2), m.group(3)] for m in rows if m and m.group(3) != "-"]
    if r.rc != 0 or marked != [[hit[0], "SIGABRT"]] or not all(rows):
        raise harness.Fail("threads on the core: expected thread %s alone marked SIGABRT, got %r: %s"
                           % (hit[0], marked, r.describe()))


def t_locals(spy, ctx):
    try:
        core = make_kernel_core(ctx["values"], os.path.join(ctx["tmpdir"], "values"))
    except harness.Skip:
        core = make_gcore(ctx["values"].pid, ctx["tmpdir"], "values")
    cs = CoreSpy(spy, core)
    values_tests.t_locals(cs, ctx["values"])
    values_tests.t_json(cs, ctx["values"])
    # print and its paths, as live: exact output against the target's own repr()
    values_tests.t_print(cs, ctx["values"])
    values_tests.t_print_paths(cs, ctx["values"])
    # a Lua script (-x) on the core: the same locals through pyspy's Lua module
    lua_tests.run_lua_test(cs, ctx["values"], ctx["tmpdir"], "locals.lua")


PER_INTERP = (("core_gcore_bt", t_gcore_bt), ("core_kernel_bt", t_kernel_bt), ("core_native", t_native),
              ("core_locals", t_locals))


def start_stacks(interp, tmpdir):
    target = harness.Target(interp, harness.STACKS, [], tmpdir, env=TARGET_ENV)
    target.wait_ready()
    target.wait_tasks(target.truth["expected_tasks"])
    harness.settle(target.pid, [t["os_tid"] for t in target.truth["threads"]])
    return target


def run_per_interp(res, interp, spy):
    names = [("%s[%s]" % (t, interp.label), fn) for t, fn in PER_INTERP]
    names = [(n, fn) for n, fn in names if res.wanted(n)]
    if not names:
        return
    if interp.missing:
        for n, _ in names:
            res.skip(n, interp.missing)
        return
    tmpdir = tempfile.mkdtemp(prefix="pyspy-e2e-core-")
    ctx = {"interp": interp, "tmpdir": tmpdir}
    try:
        try:
            vdir = os.path.join(tmpdir, "values")
            os.mkdir(vdir)
            ctx["values"] = harness.Target(interp, VALUES, [], vdir, env=TARGET_ENV)   # starts while the other does
            ctx["target"] = start_stacks(interp, tmpdir)
            ctx["truth"] = ctx["target"].truth
            ctx["values"].wait_ready()
            harness.settle_in_sleep(ctx["values"].pid, [ctx["values"].pid])
        except harness.Fail as e:
            for n, _ in names:
                res.fail(n, "core targets: %s" % e)
            return
        for n, fn in names:
            res.run(n, fn, spy, ctx)
    finally:
        for k in ("target", "values"):
            if ctx.get(k) is not None:
                ctx[k].kill()
        shutil.rmtree(tmpdir, ignore_errors=True)


# ------------------------------------------------------------------ once

def first_interp(interps):
    for i in interps:
        if not i.missing:
            return i
    raise harness.Skip("no usable interpreter")


def expect_refusal(spy, args, words, what):
    r = spy.run(args + ["-nx", "-ex", "bt --all", "--batch"])
    if r.rc != harness.EXIT_ATTACH or r.out.strip():
        raise harness.Fail("%s: expected exit 2 and no output: %s" % (what, r.describe()))
    harness.check_error_message(r, words=words, what=what)


def t_bad(spy, interps):
    interp = first_interp(interps)
    tmpdir = tempfile.mkdtemp(prefix="pyspy-e2e-core-")
    target = sleeper = None
    try:
        target = harness.Target(interp, VALUES, [], tmpdir, env=TARGET_ENV)
        target.wait_ready()
        harness.settle_in_sleep(target.pid, [target.pid])
        core = any_core(target, tmpdir, "gcore")
        data = open(core, "rb").read()
        def write(name, blob):
            p = os.path.join(tmpdir, name)
            with open(p, "wb") as f:
                f.write(blob)
            return p
        expect_refusal(spy, ["--core", write("text", b"not a core\n" * 10)], ["not a core", "not elf"], "a text file")
        expect_refusal(spy, ["--core", interp.path], ["not a core"], "an executable as the core")
        expect_refusal(spy, ["--core", write("trunc", data[:len(data) // 2])], ["truncated"], "a truncated core")
        other = bytearray(data[:4096 * 4])
        other[18:20] = struct.pack("<H", 183)          # e_machine = EM_AARCH64
        expect_refusal(spy, ["--core", write("arm", bytes(other))], ["aarch64", "architecture"], "an aarch64 core")
        expect_refusal(spy, ["--core", core, "--exe", os.path.join(tmpdir, "no-such-python")],
                       ["cannot be read"], "--exe naming a missing file")
        wrong = next((i for i in interps if not i.missing and os.path.realpath(i.path) != os.path.realpath(interp.path)
                      and i.version != interp.version), None)
        if wrong is not None:
            expect_refusal(spy, ["--core", core, "--exe", wrong.path], ["build-id", "not the executable"],
                           "--exe naming another Python")
        sdir = os.path.join(tmpdir, "sleep")
        os.mkdir(sdir)
        sleeper = subprocess.Popen(["sleep", "600"], cwd=sdir)
        time.sleep(0.2)
        plain = any_core(sleeper, sdir, "sleep")
        expect_refusal(spy, ["--core", plain], ["not a python"], "a core of sleep(1)")
    finally:
        for p in (target,):
            if p is not None:
                p.kill()
        if sleeper is not None:
            sleeper.kill()
            sleeper.wait()
        shutil.rmtree(tmpdir, ignore_errors=True)


def t_live_only(spy, interps):
    interp = first_interp(interps)
    tmpdir = tempfile.mkdtemp(prefix="pyspy-e2e-core-")
    target = None
    try:
        target = harness.Target(interp, VALUES, [], tmpdir, env=TARGET_ENV)
        target.wait_ready()
        harness.settle_in_sleep(target.pid, [target.pid])
        pid = target.pid
        core = any_core(target, tmpdir, "gcore")
        probs = []
        for cmd, name in (("sample 1", "sample"), ("top --live", "top --live"), ("stop", "stop"),
                          ("continue", "continue"), ("attach %d" % os.getpid(), "attach"), ("ps", "ps"),
                          ("bt --all --subprocesses", "--subprocesses")):
            r = spy.run(["--core", core, "-nx", "-ex", cmd, "--batch"])
            want = "pyspy-sh: %s: not available on a core file\n" % name
            if r.rc != harness.EXIT_PARTIAL or r.err != want:
                probs.append("%r: exit %d, stderr %r; expected exit 1, %r" % (cmd, r.rc, r.err[:200], want))
        r = spy.run(["--core", core, "-nx", "-ex", "lua print(pyspy.process().pid)", "--batch"])
        if r.rc != 0 or r.out.strip() != str(pid):
            probs.append("lua pyspy.process().pid: %s; expected %d" % (r.describe(), pid))
        if probs:
            raise harness.Fail("; ".join(probs))
    finally:
        if target is not None:
            target.kill()
        shutil.rmtree(tmpdir, ignore_errors=True)


ONCE = (("core_bad", t_bad), ("core_live_only", t_live_only))


def run_once(res, spy, interps):
    for name, fn in ONCE:
        res.run(name, fn, spy, interps)
