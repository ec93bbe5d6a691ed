"""Native stacks through the real binary (imported by run.py): `bt --native`
and `sample --native` on every interpreter, against tests/targets/native.py.

What is checked, per interpreter:
  native_bt       the Python frames of the merged stack are exactly the
                  target's own (function, file, line, innermost first); the C
                  functions a callback goes through sit between the Python
                  callee and its caller: sorted's implementation, libc's qsort,
                  functools.reduce; the sleeping thread's innermost frame is
                  libc's sleep call and its status names the system call; the
                  lock waiter sits in a futex wait; the thread whose weakref
                  callback runs inside gc.collect is "collecting garbage".
  native_text     the same stack as text, and --native-all shows more frames
                  (the evaluation function itself).
  native_sample   `sample 2s --native` on a zlib.compress loop: most samples
                  end in zlib's code, under the Python caller.
  native_gil      a thread spinning in Python while the main thread keeps the
                  GIL in a ctypes PyDLL call is "waiting for the GIL"; the
                  holder shows libc's sleep under its Python caller.
  native_stacks   every thread of tests/targets/stacks.py (deep recursion,
                  generators, closures, a raw thread) merges and keeps exactly
                  its Python frames.
  native_args     --native with --nonblocking is refused with a clear message.
  native_late_library  a library mapped after the first look is named.
  native_jit      with PYTHON_JIT=1 (a build with the JIT): the Python stack
                  stays, a failed merge says why, sampling works.
  native_readonly under strace, native bt and sample make no write to the target
                  (no PTRACE_POKE*, PTRACE_SETREGS*, process_vm_writev), and
                  every thread is still there and asleep afterwards.

C function names come from the symbol tables.  A stripped interpreter (the
system python3: only exported symbols) cannot name its static functions
(builtin_sorted, functools_reduce): there each run of the interpreter's
unnamed C frames shows as one unnamed frame, and for those threads the test
checks that one stands between the Python callee and its caller (README.md
says so too).
"""
import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import harness

NATIVE = os.path.join(harness.TARGETS, "native.py")

# accepted C names between the Python callee and its caller, per callback thread
BETWEEN = {
    "sorted-key": ("blocking_key", "sort_caller", ("builtin_sorted", "list_sort", "list_sort_impl", "listsort")),
    "qsort": ("py_compare", "qsort_caller", ("qsort", "qsort_r", "__qsort_r", "msort_with_tmp")),
    "reduce": ("blocking_add", "reduce_caller", ("functools_reduce", "builtin_reduce")),
    "gc": ("blocking_callback", "gc_caller", ("collect", "gc_collect_main", "gc_collect", "gc_collect_impl",
                                              "handle_weakrefs", "collect_with_callback")),
}
SLEEP_CALLS = ("clock_nanosleep", "nanosleep", "__select", "select", "__clock_nanosleep", "pselect6")
# a sleep interrupted by an earlier pause continues as restart_syscall (clock_nanosleep)
SLEEP_STATUS = ("in syscall clock_nanosleep", "in syscall nanosleep", "in syscall select", "in syscall pselect6",
                "in syscall restart_syscall (")
FROM_INTERP = ("sorted-key", "reduce", "gc")   # their C functions live in the interpreter's own module


def stripped(interp):
    """True when the interpreter's ELF file has no .symtab (static functions unnamed)."""
    exe = os.path.realpath(interp.path)
    lib = None
    try:
        out = subprocess.check_output(["ldd", exe]).decode(errors="replace")
        m = re.search(r"(/\S*libpython\S*)", out)
        lib = m.group(1) if m else None
    except (OSError, subprocess.CalledProcessError):
        pass
    try:
        sections = subprocess.check_output(["readelf", "-S", "-W", lib or exe]).decode(errors="replace")
    except (OSError, subprocess.CalledProcessError):
        return True
    return ".symtab" not in sections


def start(interp, tmpdir, *args):
    target = harness.Target(interp, NATIVE, list(args), tmpdir)
    target.wait_ready()
    if not args:
        if target.truth.get("errors"):
            raise harness.Fail("target: %s" % target.truth["errors"])
        target.wait_tasks(target.truth["expected_tasks"])
        harness.settle(target.pid, [t["os_tid"] for t in target.truth["threads"]])
    return target


@contextlib.contextmanager
def running(make):
    """A target made by make(tmpdir), killed (and its directory removed) after."""
    tmpdir = tempfile.mkdtemp(prefix="pyspy-e2e-")
    target = None
    try:
        target = make(tmpdir)
        yield target, tmpdir
    finally:
        if target is not None:
            target.kill()
        shutil.rmtree(tmpdir, ignore_errors=True)


def mode_target(interp, mode):
    """native.py in one of its single-purpose modes ("zlib", "gil")."""
    return running(lambda tmpdir: start(interp, tmpdir, mode))


def start_stacks(interp, tmpdir):
    target = harness.Target(interp, harness.STACKS, [], tmpdir)
    target.wait_ready()
    target.wait_tasks(target.truth["expected_tasks"])
    harness.settle(target.pid, [t["os_tid"] for t in target.truth["threads"]])
    return target


def fn_of(f):
    return f.get("function") if f.get("kind") == "python" else None


def check_python_frames(name, truth_frames, frames, version):
    py = [f for f in frames if f.get("kind") == "python"]
    probs = harness.compare_frames(truth_frames, py, version, "thread %s (Python frames of the merged stack)" % name)
    return probs


def check_between(name, frames, interp_stripped):
    callee, caller, names = BETWEEN[name]
    idx = [i for i, f in enumerate(frames) if fn_of(f) in (callee, caller)]
    if len(idx) != 2 or fn_of(frames[idx[0]]) != callee:
        return ["thread %s: %s then %s not found in order" % (name, callee, caller)]
    mid = frames[idx[0] + 1:idx[1]]
    if any(f.get("kind") != "native" for f in mid):
        return ["thread %s: Python frames between %s and %s: %r" % (name, callee, caller, mid)]
    got = [f.get("function") for f in mid]
    if interp_stripped and name in FROM_INTERP:
        # the C function has no name there: one unnamed interpreter frame stands for it
        if not mid or any(f.get("function") is not None for f in mid):
            return ["thread %s: expected one unnamed interpreter frame between %s and %s, got %r"
                    % (name, callee, caller, mid)]
        return []
    if not any(g in names for g in got):
        return ["thread %s: C frames between %s and %s are %r, expected one of %r" % (name, callee, caller, got, names)]
    if any(not f.get("library") for f in mid):
        return ["thread %s: a native frame has no library: %r" % (name, mid)]
    return []


def libc_wrappers(frames):
    """The innermost frames without the unnamed libc ones under a named libc
    call (glibc 2.41+ enters every blocking call through __syscall_cancel_arch
    and __internal_syscall_cancel, which have no exported names)."""
    i = 0
    while i < len(frames) and frames[i].get("kind") == "native" and frames[i].get("function") is None \
            and (frames[i].get("library") or "").startswith("libc"):
        i += 1
    return frames[i:] if i < len(frames) and (frames[i].get("library") or "").startswith("libc") else frames


def check_sleep(t, frames):
    frames = libc_wrappers(frames)
    if not frames or frames[0].get("kind") != "native":
        return ["MainThread: innermost frame is not native: %r" % frames[:1]]
    f0 = frames[0]
    probs = []
    if f0.get("function") not in SLEEP_CALLS or not (f0.get("library") or "").startswith("libc"):
        probs.append("MainThread: innermost frame %r is not libc's sleep call" % f0)
    if not (t.get("native_status") or "").startswith(SLEEP_STATUS):
        probs.append("MainThread: status %r, expected a sleep syscall" % t.get("native_status"))
    first_py = next((f for f in frames if f.get("kind") == "python"), None)
    if not first_py or first_py.get("function") != "idle_forever":
        probs.append("MainThread: the first Python frame is %r, expected idle_forever" % first_py)
    return probs


def check_lock(t, frames):
    probs = []
    if not (t.get("native_status") or "").startswith(("in syscall futex", "in syscall restart_syscall (")):
        probs.append("lock-waiter: status %r, expected 'in syscall futex'" % t.get("native_status"))
    if not frames or frames[0].get("kind") != "native" or not (frames[0].get("library") or "").startswith("libc"):
        probs.append("lock-waiter: innermost frame %r is not in libc" % frames[:1])
    return probs


def t_native_bt(ctx):
    interp, spy, target = ctx
    r = spy.batch(target.pid, "bt --all --native --json")
    if r.rc != harness.EXIT_OK:
        raise harness.Fail("expected exit 0: %s" % r.describe())
    doc = harness.parse_json_doc(r)
    # by thread id: the threads' names are another feature's test (3.14 shows none yet)
    by = dict((t.get("thread_id"), t) for t in doc["threads"])
    is_stripped = stripped(interp)
    probs = []
    for tt in target.truth["threads"]:
        t = by.get(tt["thread_id"])
        if t is None:
            probs.append("thread %s missing" % tt["name"])
            continue
        if t.get("native_error"):
            probs.append("thread %s: %s" % (tt["name"], t["native_error"]))
            continue
        frames = t["frames"]
        if any(f.get("kind") not in ("python", "native") for f in frames):
            probs.append("thread %s: a frame without a kind" % tt["name"])
        probs += check_python_frames(tt["name"], tt["frames"], frames, interp.version)
        if tt["name"] in BETWEEN:
            probs += check_between(tt["name"], frames, is_stripped)
        if tt["name"] == "gc" and not is_stripped and t.get("native_status") != "collecting garbage":
            probs.append("gc: status %r, expected 'collecting garbage'" % t.get("native_status"))
        elif tt["name"] == "MainThread":
            probs += check_sleep(t, frames)
        elif tt["name"] == "lock-waiter":
            probs += check_lock(t, frames)
    if probs:
        raise harness.Fail("; ".join(probs[:6]))


def thread_block(text, truth, name):
    """The listing of the truth's thread `name`, found by its OS tid."""
    tid = next(t["os_tid"] for t in truth["threads"] if t["name"] == name)
    for block in text.split("\n\n"):
        head = block.split("\n", 1)[0]
        if block.startswith("Thread ") and ("(OS tid %s," % tid in head if tid else head.endswith('"%s"' % name)):
            return block
    raise harness.Fail("no listing of thread %r (OS tid %s) in %r" % (name, tid, text[:600]))


def t_native_text(ctx):
    interp, spy, target = ctx
    harness.settle(target.pid, [t["os_tid"] for t in target.truth["threads"]])
    halves = []
    for cmd in ("bt --all --native", "bt --all --native-all"):
        r = spy.batch(target.pid, cmd)
        if r.rc != harness.EXIT_OK:
            raise harness.Fail("expected exit 0: %s" % r.describe())
        halves.append(r.out)
    native, native_all = (thread_block(h, target.truth, "sorted-key") for h in halves)
    for text in (native, native_all):
        if "blocking_key (" not in text or "sort_caller (" not in text:
            raise harness.Fail("the sorted-key listing lacks blocking_key/sort_caller: %r" % text[:600])
        if text.index("blocking_key (") > text.index("sort_caller ("):
            raise harness.Fail("blocking_key is listed after sort_caller: %r" % text[:600])
    eval_name = "PyEval_EvalFrameEx" if interp.version < (3, 0) else "_PyEval_EvalFrameDefault"
    if "[native] %s in " % eval_name not in native_all or "[native] %s in " % eval_name in native:
        raise harness.Fail("--native-all should show %s and --native should not: %r" % (eval_name, native_all[:800]))
    if not re.search(r"^\s+#\d+\s+\[native\] \S+ in \S+", native, re.M):
        raise harness.Fail("no '[native] FUNCTION in LIBRARY' line: %r" % native[:600])
    main = thread_block(halves[0], target.truth, "MainThread")
    if "in syscall" not in main.split("\n", 1)[0]:
        raise harness.Fail("MainThread's header does not show its system call: %r" % main[:200])


def t_native_gil(ctx):
    interp, spy, _ = ctx
    with mode_target(interp, "gil") as (target, _):
        target.wait_tasks(2)
        harness.settle(target.pid, target.tasks())
        r = spy.batch(target.pid, "bt --all --native --json")
        if r.rc != harness.EXIT_OK:
            raise harness.Fail("expected exit 0: %s" % r.describe())
        threads = harness.parse_json_doc(r)["threads"]
        # by what each runs (the names are another feature's test)
        def running_fn(fn):
            return next((t for t in threads if any(f.get("function") == fn for f in t["frames"])), None)
        main, waiter = running_fn("hold_gil"), running_fn("gil_spin")
        if not main or not waiter:
            raise harness.Fail("threads running hold_gil and gil_spin expected, got %r"
                               % [[f.get("function") for f in t["frames"]] for t in threads])
        probs = []
        if waiter.get("native_status") != "waiting for the GIL":
            probs.append("gil-waiter status %r, expected 'waiting for the GIL'" % waiter.get("native_status"))
        if main.get("gil") is not True:
            probs.append("MainThread should hold the GIL, gil=%r" % main.get("gil"))
        names = [f.get("function") for f in main["frames"]]
        if "sleep" not in names or "hold_gil" not in names or names.index("sleep") > names.index("hold_gil"):
            probs.append("MainThread: libc sleep not under hold_gil: %r" % names)
        if probs:
            raise harness.Fail("; ".join(probs))


def t_native_sample(ctx):
    interp, spy, _ = ctx
    with mode_target(interp, "zlib") as (target, tmpdir):
        out = os.path.join(tmpdir, "p.txt")
        r = spy.run(["-p", target.pid, "-ex", "sample 2s --native --rate 50", "-ex", "save %s" % out, "--batch"])
        if r.rc != harness.EXIT_OK:
            raise harness.Fail("expected exit 0: %s" % r.describe())
        total = hits = 0
        for stack, count in harness.read_folded(out):
            frames = stack.split(";")
            total += count
            leaf = frames[-1]
            in_zlib = "(libz.so" in leaf or re.match(r"^(deflate|zlib_|compress|longest_match|fill_window)", leaf)
            if in_zlib and any(fr.startswith("compress_loop (") for fr in frames):
                hits += count
        m = re.search(r"^sampled pid \d+ .*?, (\d+) samples.*; mode cpu \(weights: \xb5s of CPU, (\d+) in all\)", r.out, re.M)
        if not m or int(m.group(1)) < 20 or total != int(m.group(2)):
            raise harness.Fail("fewer than 20 samples, or the folded counts (%d) are not the \xb5s of CPU the summary "
                               "states: %s" % (total, r.out[:300]))
        if hits * 10 < total * 6:
            raise harness.Fail("%d of %d \xb5s of CPU end in zlib under compress_loop, expected most; %s"
                               % (hits, total, open(out).read()[:600]))


def t_native_stacks(ctx):
    """Every thread of the stacks target (deep recursion, generator, closure,
    raw thread, unicode names...) merges, and keeps exactly its Python frames."""
    interp, spy, _ = ctx
    with running(lambda tmpdir: start_stacks(interp, tmpdir)) as (target, _):
        r = spy.batch(target.pid, "bt --all --native --json")
        if r.rc != harness.EXIT_OK:
            raise harness.Fail("expected exit 0: %s" % r.describe())
        got = dict((t.get("thread_id"), t) for t in harness.parse_json_doc(r)["threads"])
        probs = []
        for tt in target.truth["threads"]:
            t = got.get(tt["thread_id"])
            if t is None:
                probs.append("%s missing" % harness.tlabel(tt))
            elif t.get("native_error"):
                probs.append("%s: %s" % (harness.tlabel(tt), t["native_error"]))
            else:
                probs += check_python_frames(harness.tlabel(tt), tt["frames"], t["frames"], interp.version)
        if probs:
            raise harness.Fail("; ".join(probs[:5]))


def t_native_args(spy, interp):
    with mode_target(interp, "zlib") as (target, _):
        r = spy.run(["-p", target.pid, "-ex", "sample 1s --native --nonblocking", "--batch"])
        if r.rc == harness.EXIT_OK or "--native pauses the target" not in r.err:
            raise harness.Fail("sample --native --nonblocking should be refused: %s" % r.describe())


def t_native_late_library(spy, interp):
    """A library mapped after the first native look is still named: the
    symbolizer re-reads the maps when an address falls outside them."""
    with mode_target(interp, "late") as (target, _):
        p = subprocess.Popen([spy.binary, "-p", str(target.pid)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            p.stdin.write(b"bt --native --json\n")
            p.stdin.flush()
            first = p.stdout.readline()     # the command has run: its output is flushed
            open(target.truth["go"], "w").close()
            deadline = time.time() + 60
            while not os.path.exists(target.truth["phase2"]) and time.time() < deadline:
                time.sleep(0.02)
            harness.settle(target.pid, target.tasks())
            time.sleep(0.3)   # the symbolizer re-reads the maps at most every 100 ms
            out, err = p.communicate(b"bt --native --json\n", timeout=harness.RUN_TIMEOUT)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        if not first.startswith(b"{") or not out.startswith(b"{"):
            raise harness.Fail("expected two JSON documents: %r / %r; stderr %r" % (first[:200], out[:200], err[-300:]))
        frames = json.loads(out.decode())["threads"][0]["frames"]
        names = [f.get("function") for f in frames]
        if "late_wait" not in names:
            raise harness.Fail("late_wait not in the second stack: %r" % names)
        native = frames[:names.index("late_wait")]
        if not native or any(f.get("kind") != "native" or not f.get("library") for f in native):
            raise harness.Fail("native frames above late_wait without a library (maps not re-read?): %r" % native)


def t_native_jit(spy, interp):
    """With the JIT on (PYTHON_JIT=1, where the build has one), a thread in
    JIT-compiled code still shows its Python stack, and where the C stack
    cannot be merged it says why; the sampler keeps its samples."""
    with mode_target(interp, "jit") as (target, _):
        if not target.truth.get("jit"):
            raise harness.Skip("%s has no JIT compiled in" % interp.label)
        for _ in range(5):
            r = spy.batch(target.pid, "bt --all --native --json")
            if r.rc not in (harness.EXIT_OK, 1):
                raise harness.Fail("expected exit 0 or 1: %s" % r.describe())
            t = harness.parse_json_doc(r)["threads"][0]
            names = [f.get("function") for f in t["frames"] if f.get("kind") == "python"]
            if "jit_mode" not in names:
                raise harness.Fail("the Python stack lacks jit_mode: %r" % names)
            err = t.get("native_error")
            # usually "unwinding stopped at 0x...: code outside any module, such as
            # JIT-compiled code"; an unwind that ends early without passing JIT code
            # is refused by the entry-frame addresses instead
            if err and not err.startswith("native merge failed: "):
                raise harness.Fail("an unexplained merge failure: %r" % err)
        r = spy.run(["-p", target.pid, "-ex", "sample 500ms --native --rate 50", "--batch"])
        if r.rc not in (harness.EXIT_OK, 1) or "samples" not in r.out:
            raise harness.Fail("sample --native on a JIT target: %s" % r.describe())


def t_native_gc(spy, interp):
    """A thread that spends most of its time in gc.collect() with the GIL held
    is shown "collecting garbage" by bt --native in some of 10 snapshots —
    by the collector's name where the binary has it, else (stripped 3.13+
    builds) by the interpreter's own gc.collecting flag; never while its flag
    says no collection runs (checked through the Python stack: it is in
    collect_mode either way)."""
    if tuple(interp.version[:2]) < (3, 9):
        raise harness.Skip("the collecting flag is read from 3.9 on (this is %s)" % interp.vstr)
    with mode_target(interp, "collect") as (target, _):
        seen = 0
        for _ in range(10):
            r = spy.batch(target.pid, "bt --all --native --json")
            if r.rc not in (harness.EXIT_OK, 1):
                raise harness.Fail("expected exit 0 or 1: %s" % r.describe())
            t = harness.parse_json_doc(r)["threads"][0]
            names = [f.get("function") for f in t["frames"] if f.get("kind") == "python"]
            if "collect_mode" not in names:
                raise harness.Fail("the Python stack lacks collect_mode: %r" % names)
            seen += t.get("native_status") == "collecting garbage"
        if not seen:
            raise harness.Fail("no 'collecting garbage' in 10 snapshots of a thread that mostly collects")
        harness.note("  native_gc[%s]: collecting garbage in %d of 10 snapshots" % (interp.label, seen))


WRITES = re.compile(r"PTRACE_POKE|PTRACE_SET(FP)?REGS|PTRACE_SETREGSET|process_vm_writev")


def t_native_readonly(spy, interp):
    """Under strace: native bt and sample never write to the target (no POKE,
    no SETREGS, no process_vm_writev), and leave every thread as it was."""
    if not shutil.which("strace"):
        raise harness.Skip("strace is not installed")
    with running(lambda tmpdir: start(interp, tmpdir)) as (target, tmpdir):
        log = os.path.join(tmpdir, "strace.txt")
        argv = ["strace", "-f", "-o", log, "-e", "trace=ptrace,process_vm_writev,pwrite64",
                spy.binary, "-p", str(target.pid), "-ex", "bt --all --native-all",
                "-ex", "sample 500ms --native --idle --rate 50", "--batch"]
        env = dict(os.environ)   # LeakSanitizer cannot run under ptrace (an ASan build under strace)
        env["ASAN_OPTIONS"] = ":".join(o for o in (env.get("ASAN_OPTIONS"), "detect_leaks=0") if o)
        cp = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=harness.RUN_TIMEOUT, env=env)
        if cp.returncode != 0:
            raise harness.Fail("strace pyspy-sh exit %d: %s"
                               % (cp.returncode, cp.stderr.decode(errors="replace")[-400:]))
        with open(log) as f:
            calls = f.read()
        if "PTRACE_SEIZE" not in calls:
            raise harness.Fail("strace saw no PTRACE_SEIZE: the trace did not cover pyspy-sh")
        bad = [l for l in calls.splitlines() if WRITES.search(l)]
        if bad:
            raise harness.Fail("writes to the target: %s" % bad[:3])
        tids = [t["os_tid"] for t in target.truth["threads"]]
        if target.tasks() != sorted(tids):
            raise harness.Fail("threads changed: %s, were %s" % (target.tasks(), sorted(tids)))
        states = harness.settle(target.pid, tids)
        if any(st not in ("S", "D") for st in states.values()):
            raise harness.Fail("task states after native reads: %s" % states)


# ------------------------------------------------------------------ registration

def newest(usable):
    return usable[-1]


def newest_pyenv3(usable):
    """The newest pyenv 3.x interpreter, else the newest usable one."""
    pyenv3 = [i for i in usable if i.label.startswith("pyenv-3")]
    return (pyenv3 or usable)[-1]


# Per interpreter, in this order; a test's name is NAME[interpreter label].  Rows are
# (name, test, shared): the shared ones come first and run on one native.py target
# started for them, the others start their own.
# measures time or CPU: never alongside another interpreter's tests (run.py --jobs)
EXCLUSIVE = True

PER_INTERP = (("native_bt", t_native_bt, True), ("native_text", t_native_text, True),
              ("native_sample", t_native_sample, False), ("native_gil", t_native_gil, False),
              ("native_stacks", t_native_stacks, False))
# Once, in this order: (name, test, the interpreter it runs on); none reported without one.
ONCE = (("native_args", t_native_args, newest), ("native_readonly", t_native_readonly, newest),
        ("native_late_library", t_native_late_library, newest_pyenv3), ("native_jit", t_native_jit, newest),
        ("native_gc", t_native_gc, newest))


def run_per_interp(res, interp, spy):
    tests = [("%s[%s]" % (n, interp.label), fn, shared) for n, fn, shared in PER_INTERP]
    wanted = [n for n, _, _ in tests if res.wanted(n)]
    if interp.missing:
        for n in wanted:
            res.skip(n, interp.missing)
        return
    on_target = [(n, fn) for n, fn, shared in tests if shared]
    if any(n in wanted for n, _ in on_target):
        try:
            with running(lambda tmpdir: start(interp, tmpdir)) as (target, _):
                for n, fn in on_target:
                    res.run(n, fn, (interp, spy, target))
        except harness.Fail as e:   # only start() raises here: res.run catches the tests' own
            for n, _ in on_target:
                if n in wanted:
                    res.fail(n, "native target: %s" % e)
    for n, fn, shared in tests:
        if not shared:
            res.run(n, fn, (interp, spy, None))


def run_once(res, spy, interps):
    usable = [i for i in interps if not i.missing]
    if usable:
        for name, fn, pick in ONCE:
            res.run(name, fn, spy, pick(usable))
