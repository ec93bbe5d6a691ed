"""The interpreters group (imported by run.py): per interpreter, 3.12 and
later, one tests/targets/subinterp.py target — a main interpreter with two
threads and a thread running code in a subinterpreter, which records its own
stack from inside (traceback) and its ids.

  subinterpreters   bt --all --json lists the main interpreter's threads
                    (interpreter 0, their innermost functions as
                    sys._current_frames() saw them) and the subinterpreter's
                    thread (interpreter = its id, its frames: function,
                    file and line, as it recorded them, and on 3.13+ its
                    thread id and kernel tid — 3.12 keeps the ids of the
                    thread that created the interpreter); the main
                    interpreter's threads come first; `sample --idle` counts
                    the subinterpreter's sub_sleep too
"""
import os
import shutil
import tempfile

from harness import TARGETS, Fail, Skip, Target, log

SUBINTERP = os.path.join(TARGETS, "subinterp.py")


def t_subinterpreters(interp, spy):
    if interp.version < (3, 12):
        raise Skip("subinterpreters with their own threads need 3.12+ (this is %s)" % interp.vstr)
    tmp = tempfile.mkdtemp(prefix="pyspy-e2e-subinterp-")
    target = Target(interp, SUBINTERP, [], tmp)
    try:
        target.wait_ready()
        truth = target.truth
        doc = spy.json_bt(target.pid)
        threads = doc["threads"]
        probs = []
        main_ids = set(t["thread_id"] for t in truth["main"])
        first_sub = None
        for i, t in enumerate(threads):
            if t.get("interpreter") != 0 and first_sub is None:
                first_sub = i
            if first_sub is not None and t.get("interpreter") == 0:
                probs.append("thread %d of the main interpreter listed after a subinterpreter's" % t["number"])
        got_main = dict((t["thread_id"], t) for t in threads if t.get("interpreter") == 0)
        for e in truth["main"]:
            g = got_main.get(e["thread_id"])
            if g is None:
                probs.append("main interpreter thread %s (%s) missing" % (e["thread_id"], e["name"]))
            elif not g["frames"] or g["frames"][0]["function"] != e["function"]:
                probs.append("thread %s: innermost %r, expected %r"
                             % (e["name"], g["frames"][0]["function"] if g["frames"] else None, e["function"]))
            elif g["name"] != e["name"]:
                probs.append("thread %s: name %r" % (e["name"], g["name"]))
        extra = [t["thread_id"] for t in got_main.values() if t["thread_id"] not in main_ids]
        if extra:
            probs.append("unexpected main interpreter threads %s" % extra)
        sub = truth["sub"]
        subs = [t for t in threads if t.get("interpreter") == sub["interp_id"]]
        if len(subs) != 1:
            probs.append("expected one thread of interpreter %d, got %d" % (sub["interp_id"], len(subs)))
        else:
            g = subs[0]
            # 3.12 runs the code on the thread state the creating thread made,
            # which keeps that thread's ids: only 3.13+ records the running one
            if interp.version >= (3, 13) and (g["thread_id"] != sub["thread_id"] or g["os_tid"] != sub["os_tid"]):
                probs.append("subinterpreter thread ids: got %s/%s, expected %s/%s"
                             % (g["thread_id"], g["os_tid"], sub["thread_id"], sub["os_tid"]))
            got = [(f["function"], f["file"], f["line"]) for f in g["frames"]]
            exp = [(f["function"], f["file"], f["line"]) for f in sub["frames"]]
            if got != exp:
                probs.append("subinterpreter stack %s, expected %s" % (got, exp))
        if probs:
            raise Fail("; ".join(probs))
        r = spy.run(["-p", str(target.pid), "-ex", "sample 1s --idle --rate 50", "-ex", "top -n 40", "--batch"])
        if r.rc != 0 or "sub_sleep" not in r.out:
            raise Fail("sample --idle did not count the subinterpreter's sub_sleep (exit %s): %s"
                       % (r.rc, (r.out + r.err)[-400:]))
        log("subinterpreters: %d threads, interpreter %d" % (len(threads), sub["interp_id"]))
    finally:
        target.kill()
        shutil.rmtree(tmp, ignore_errors=True)


PER_INTERP = (("subinterpreters", t_subinterpreters),)
ONCE = ()


def run_per_interp(res, interp, spy):
    for name, fn in PER_INTERP:
        full = "%s[%s]" % (name, interp.label)
        if interp.missing:
            if res.wanted(full):
                res.skip(full, interp.missing)
            continue
        res.run(full, fn, interp, spy)


def run_once(res, spy, interps):
    pass
