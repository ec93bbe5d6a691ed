"""A hostile target cannot hurt pyspy-sh (imported by run.py).

On 3.13+ pyspy-sh takes struct offsets from the target's own
_Py_DebugOffsets table, which the target can write.  tests/targets/scribble.py
overwrites one to three 8-byte slots of it through ctypes (0, 7, 4096,
100000, 2^31-1, 2^40, -8, random), then waits 20 frames deep.

  scribble_<python>          PYSPY_SCRIBBLE_RUNS (default 40) seeds (from
                             PYSPY_SCRIBBLE_SEED, default 0), run two
                             at a time: `-ex threads -ex 'bt --all --locals'
                             -ex 'sample 0.3s' -ex top --batch` must exit 0, 1
                             or 2 (2: a message on stderr; 1: on stderr or
                             where the output is cut short), never die of a
                             signal, hang or print a sanitizer report, and the
                             target must still be alive afterwards.  The exit
                             counts go to stderr.
  scribble_message_<python>  thread_state.size = 80, thread_state.current_frame
                             = 100000: exactly "pyspy-sh: the target's debug
                             offsets are inconsistent (thread_state.current_frame
                             = 100000 past its size 80)", exit 2.

Every 3.13+ interpreter under test runs, and Debian's python3.14 from
/opt/pyspy-sh-pythons when it is there and not already under test (skipped
with the reason otherwise); 3.15 is not supported yet and is left out.
"""
import concurrent.futures
import os
import shutil
import sys
import tempfile

import harness as base
from harness import Fail, Skip

SCRIBBLE = os.path.join(base.TARGETS, "scribble.py")
DEBIAN_314 = "/opt/pyspy-sh-pythons/usr/bin/python3.14"
COMMANDS = ["-ex", "threads", "-ex", "bt --all --locals", "-ex", "sample 0.3s", "-ex", "top", "--batch"]
# word index of thread_state.size in the table: 3 header words, then runtime_state, interpreter_state
TSTATE_SIZE_SLOT = {(3, 13): 19, (3, 14): 22, (3, 15): 22}
MESSAGE = ("pyspy-sh: the target's debug offsets are inconsistent "
           "(thread_state.current_frame = 100000 past its size 80)")


def runs():
    try:
        return max(1, int(os.environ.get("PYSPY_SCRIBBLE_RUNS", "40")))
    except ValueError:
        return 40


def said_why(r):
    """Exit 2 says why on stderr; exit 1 (partial) on stderr or where the output was cut."""
    if r.rc == base.EXIT_OK:
        return True
    if r.rc == base.EXIT_ATTACH:
        return r.err.strip().startswith("pyspy-sh: ")
    text = r.err + r.out_b.decode("utf-8", errors="replace")
    return any(w in text for w in ("pyspy-sh: ", "cut short", "unreadable", "error"))


def one(spy, interp, arg):
    """Scribble with arg (a seed or SLOT=VALUE list), run pyspy-sh; (rc, stderr)."""
    tmp = tempfile.mkdtemp(prefix="pyspy-scribble-")
    t = base.Target(interp, SCRIBBLE, [arg], tmp, with_truth=False)
    try:
        t.wait_ready()
        try:
            r = spy.run(["-p", t.pid] + COMMANDS, timeout=120)
        except Fail as e:
            raise Fail("scribble %s (%s): %s" % (arg, t.output_tail(), e))
        if r.rc not in (base.EXIT_OK, base.EXIT_PARTIAL, base.EXIT_ATTACH):
            raise Fail("scribble %s (%s): exit %s: %s" % (arg, t.output_tail(), r.rc, r.describe()))
        if not said_why(r):
            raise Fail("scribble %s (%s): exit %s without a message: %s" % (arg, t.output_tail(), r.rc, r.describe()))
        if t.proc.poll() is not None:
            raise Fail("scribble %s: the target died (rc %s) after %s" % (arg, t.proc.returncode, r.cmd()))
        return r.rc, r.err.strip()
    finally:
        t.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def t_scribble(spy, interp):
    n = runs()
    counts = {}
    seed0 = interp.version[1] * 100000 + int(os.environ.get("PYSPY_SCRIBBLE_SEED", "0"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for rc, _ in pool.map(lambda s: one(spy, interp, str(s)), range(seed0, seed0 + n)):
            counts[rc] = counts.get(rc, 0) + 1
    base.note("  scribble %s: %d runs, exit %s" % (
        interp.label, n, ", ".join("%d x%d" % kv for kv in sorted(counts.items()))))


def t_message(spy, interp):
    slot = TSTATE_SIZE_SLOT[tuple(interp.version[:2])]
    rc, err = one(spy, interp, "%d=80,%d=100000" % (slot, slot + 4))
    if rc != base.EXIT_ATTACH or err != MESSAGE:
        raise Fail("expected exit 2 and %r, got exit %s: %r" % (MESSAGE, rc, err))


def candidates(interps):
    """3.13+ interpreters: those under test, plus Debian's 3.14 if none is."""
    out = [it for it in interps if not it.missing and it.version and (3, 13) <= tuple(it.version[:2]) <= (3, 15)]
    if not any(tuple(it.version[:2]) == (3, 14) for it in out):
        if os.access(DEBIAN_314, os.X_OK):
            it = base.probe(base.Interp(DEBIAN_314, None))
            if not it.missing and it.version:
                it.label = "debian-%s" % it.vstr
                out.append(it)
        else:
            out.append(base.Interp(DEBIAN_314, "debian-3.14", missing="%s is not installed "
                                   "(tests/install-pythons.sh)" % DEBIAN_314))
    return out


def skipped(reason):
    def fn():
        raise Skip(reason)
    return fn


PER_INTERP = ()
# the names carry the interpreter's label: scribble_pyenv-3.13.0, scribble_message_debian-3.15.2
ONCE = (("scribble_LABEL", t_scribble), ("scribble_message_LABEL", t_message))


def run_per_interp(res, interp, spy):
    pass


def run_once(res, spy, interps):
    found = candidates(interps)
    if not found:
        res.run("scribble", skipped("no Python 3.13 or 3.14 under test: debug offsets cannot be scribbled"))
    for it in found:
        if it.missing:
            res.run("scribble_%s" % it.label, skipped(it.missing))
            continue
        res.run("scribble_%s" % it.label, t_scribble, spy, it)
        res.run("scribble_message_%s" % it.label, t_message, spy, it)
