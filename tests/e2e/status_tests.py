"""The status group (imported by run.py): per interpreter, one
tests/targets/status.py target, a pure-Python spinner plus sleepers.  Each
test reads SNAPSHOTS documents of `bt --all --json` (pausing, or
--nonblocking); the documents are taken once per mode and shared.

  status_active               the spinner is active in >= 60% of the pausing
                              snapshots, in spin() at its recorded line; the
                              sleepers never are
  status_active_nonblocking   the same with --nonblocking (the spinner's frame
                              only when the walk reported no error)
  status_gil                  <= 1 holder per snapshot, sleepers never, the
                              spinner in >= 60% of the snapshots where gil is
                              not null (SKIP if it is always null)
  status_back_to_back         one pyspy-sh run, BACK_TO_BACK pausing
                              `bt --all --json` in a row, nothing waited for
                              between them: each pause wakes the sleepers, and
                              the next snapshot must still show them idle (the
                              state they were in, not the one the last pause
                              caused); the spinner active in >= 60% of them
"""
import json
import os
import shutil
import tempfile
import time

from harness import TARGETS, Fail, Skip, Target, fmt_frame, log, settle_in_sleep, task_state, tlabel

STATUS = os.path.join(TARGETS, "status.py")
SNAPSHOTS = 8
BACK_TO_BACK = 6


class StatusContext(object):
    """The running target, its truth, and the snapshots taken so far."""

    def __init__(self, interp, spy, target):
        self.interp, self.spy, self.target = interp, spy, target
        self.truth = target.truth
        self.roles = dict((t["thread_id"], t["role"]) for t in self.truth["threads"])
        self.spinner = [t for t in self.truth["threads"] if t["role"] == "spinner"][0]
        self.snaps = {}

    def collect(self, nonblocking):
        key = bool(nonblocking)
        if key not in self.snaps:
            docs = []
            sleepers = [t["os_tid"] for t in self.truth["threads"] if t["role"] != "spinner"]
            for _ in range(SNAPSHOTS):
                st = settle_in_sleep(self.target.pid, sleepers)
                if not all(x in ("S", "D") for x in st.values()):
                    raise Fail("precondition: sleepers not asleep within 30s: %s" % st)
                docs.append(self.spy.json_bt(self.target.pid, nonblocking=nonblocking))
                time.sleep(0.05)
            self.snaps[key] = docs
        return self.snaps[key]


def check_active(ctx, nonblocking, docs=None):
    truth = ctx.truth
    docs = docs or ctx.collect(nonblocking)
    probs = []
    spin_active = 0
    for i, doc in enumerate(docs):
        got = dict((t.get("thread_id"), t) for t in doc["threads"])
        for e in truth["threads"]:
            g = got.get(e["thread_id"])
            if g is None:
                probs.append("snapshot %d: %s missing" % (i, tlabel(e)))
                continue
            if e["role"] == "spinner":
                spin_active += g.get("active") is True
                fr = g.get("frames") or []
                if not nonblocking or not g.get("error"):
                    if not fr or fr[0].get("function") != truth["spin_function"]:
                        probs.append("snapshot %d: spinner innermost frame %s, expected spin()"
                                     % (i, fmt_frame(fr[0] if fr else None)))
                    elif not nonblocking and (fr[0].get("line") != truth["spin_line"] or
                                              fr[0].get("file") != truth["spin_file"]):
                        probs.append("snapshot %d: spinner at %s, expected line %d of %s"
                                     % (i, fmt_frame(fr[0]), truth["spin_line"], truth["spin_file"]))
            elif g.get("active") is not False:
                probs.append("snapshot %d: sleeping %s reported active=%r"
                             % (i, tlabel(e), g.get("active")))
    need = (len(docs) * 6 + 9) // 10
    log("%s: spinner active in %d of %d %s snapshots" % (
        ctx.interp.label, spin_active, len(docs), "nonblocking" if nonblocking else "pausing"))
    if spin_active < need:
        probs.append("spinner reported active in %d of %d snapshots (want >= %d); kernel says %s"
                     % (spin_active, len(docs), need, task_state(ctx.target.pid, ctx.spinner["os_tid"])))
    if probs:
        raise Fail("; ".join(probs[:6]))


def t_status_back_to_back(ctx):
    sleepers = [t["os_tid"] for t in ctx.truth["threads"] if t["role"] != "spinner"]
    st = settle_in_sleep(ctx.target.pid, sleepers)
    if not all(x in ("S", "D") for x in st.values()):
        raise Fail("precondition: sleepers not asleep within 30s: %s" % st)
    args = ["-p", str(ctx.target.pid)]
    for _ in range(BACK_TO_BACK):
        args += ["-ex", "bt --all --json"]
    r = ctx.spy.run(args + ["--batch"])
    if r.rc != 0:
        raise Fail("expected exit 0: %s" % r.describe())
    docs, dec, text = [], json.JSONDecoder(), r.out.strip()
    while text:
        doc, end = dec.raw_decode(text)
        docs.append(doc)
        text = text[end:].strip()
    if len(docs) != BACK_TO_BACK:
        raise Fail("%d JSON documents, expected %d" % (len(docs), BACK_TO_BACK))
    check_active(ctx, False, docs)


def t_status_active(ctx):
    check_active(ctx, False)


def t_status_active_nonblocking(ctx):
    check_active(ctx, True)


def t_status_gil(ctx):
    docs = ctx.collect(False) + ctx.collect(True)
    probs = []
    known = held = 0
    for i, doc in enumerate(docs):
        holders = [t for t in doc["threads"] if t.get("gil") is True]
        if len(holders) > 1:
            probs.append("snapshot %d: %d threads hold the GIL: %s"
                         % (i, len(holders), [t.get("name") for t in holders]))
        for t in doc["threads"]:
            role = ctx.roles.get(t.get("thread_id"))
            if role in ("sleeper", "main") and t.get("gil") is True:
                probs.append("snapshot %d: sleeping %s reported holding the GIL" % (i, tlabel(t)))
            if role == "spinner" and t.get("gil") is not None:
                known += 1
                held += t.get("gil") is True
            if t.get("gil") not in (True, False, None):
                probs.append("snapshot %d: gil=%r is not true/false/null" % (i, t.get("gil")))
    log("%s: spinner gil known in %d of %d snapshots, held in %d" % (ctx.interp.label, known, len(docs), held))
    if probs:
        raise Fail("; ".join(probs[:6]))
    if known == 0:
        raise Skip("gil is null for the spinner in all %d snapshots (holder unknown on this version)"
                   % len(docs))
    need = (known * 6 + 9) // 10
    if held < need:
        raise Fail("spinner reported as GIL holder in %d of %d snapshots where gil was known (want >= %d)"
                   % (held, known, need))


# ------------------------------------------------------------------ registration

# Run in this order on one shared target; a test's name is NAME[interpreter label].
# measures time or CPU: never alongside another interpreter's tests (run.py --jobs)
EXCLUSIVE = True

PER_INTERP = (("status_active", t_status_active), ("status_active_nonblocking", t_status_active_nonblocking),
              ("status_gil", t_status_gil), ("status_back_to_back", t_status_back_to_back))


def run_per_interp(res, interp, spy):
    names = ["%s[%s]" % (t, interp.label) for t, _ in PER_INTERP]
    names = [n for n in names if res.wanted(n)]
    if not names:
        return
    if interp.missing:
        for n in names:
            res.skip(n, interp.missing)
        return
    tmpdir = tempfile.mkdtemp(prefix="pyspy-e2e-")
    target = None
    try:
        try:
            target = Target(interp, STATUS, [], tmpdir)
            target.wait_ready()
            truth = target.truth
            target.wait_tasks(truth["expected_tasks"])
            # precondition, from the kernel: spinner runnable, everyone else asleep
            deadline = time.time() + 30
            while True:
                st = dict((t["name"], task_state(target.pid, t["os_tid"])) for t in truth["threads"])
                if st["spinner"] == "R" and all(s == "S" for n, s in st.items() if n != "spinner"):
                    break
                if time.time() > deadline:
                    raise Fail("precondition: kernel task states %s (want spinner R, others S)" % st)
                time.sleep(0.05)
        except Fail as e:
            for n in names:
                res.fail(n, "status target: %s" % e)
            return
        ctx = StatusContext(interp, spy, target)
        for t, fn in PER_INTERP:
            res.run("%s[%s]" % (t, interp.label), fn, ctx)
    finally:
        if target is not None:
            target.kill()
        shutil.rmtree(tmpdir, ignore_errors=True)
