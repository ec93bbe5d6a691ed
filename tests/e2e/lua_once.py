"""The run-once Lua tests (used by lua_tests.py): errors, script lookup and
arguments, and Ctrl-C in the interactive shell."""
import os
import re
import shutil
import signal
import subprocess
import tempfile

import harness
import shell_tests
import tty_tests

Fail = harness.Fail
BUSY = os.path.join(harness.TARGETS, "busy.py")


def spawn_in(spy, args, home, cwd, stdin=b""):
    argv = [spy.binary] + [str(a) for a in args]
    try:
        cp = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=harness.RUN_TIMEOUT, env=shell_tests.clean_env(home), cwd=cwd)
    except subprocess.TimeoutExpired:
        raise Fail("HANG: pyspy-sh %s did not finish" % " ".join(argv[1:]))
    r = harness.Run(argv, cp.returncode, cp.stdout, cp.stderr)
    harness.sane(r)
    return r


def write(path, text):
    d = os.path.dirname(path)
    if not os.path.isdir(d):
        os.makedirs(d)
    with open(path, "w") as f:
        f.write(text)
    return path


def cases(tmp, pid):
    """(what, args, stdin, exit, stderr regex, stdout regex)."""
    bad = write(os.path.join(tmp, "syntax.lua"), "local x = 1\nx = = 2\n")
    boom = write(os.path.join(tmp, "boom.lua"), "local function inner(t)\n  return t.field.x\nend\ninner({})\n")
    args = write(os.path.join(tmp, "args.lua"), "print(arg[0], #arg, ...)\nprint(select('#', ...))\n")
    return [
        ("syntax error", ["-p", pid, "-x", bad], b"", 1,
         r"\Apyspy-sh: %s:2: unexpected symbol near '='\n\Z" % re.escape(bad), r"\A\Z"),
        ("runtime error", ["-p", pid, "-x", boom], b"", 1,
         r"\Apyspy-sh: %s:2: attempt to index a nil value \(field 'field'\)\nstack traceback:\n"
         r"(.*\n)*\t%s:2: in (local|upvalue|function) 'inner'\n" % (re.escape(boom), re.escape(boom)), r"\A\Z"),
        ("missing script", ["-p", pid, "-x", "nosuch.lua"], b"", 1,
         r"\Apyspy-sh: cannot find script 'nosuch.lua' \(looked in the current directory and the script "
         r"directories: see 'info scripts'\)\n\Z", r"\A\Z"),
        ("cannot attach", ["-p", "999999999", "-x", args], b"", 2, r"^pyspy-sh: no process", r"\A\Z"),
        ("script arguments", ["-p", pid, "-x", args, "--", "a", "b c"], b"", 0, r"\A\Z",
         r"\A%s\t2\ta\tb c\n2\n\Z" % re.escape(args)),
        ("no arguments", ["-p", pid, "-x", args], b"", 0, r"\A\Z", r"\A%s\t0\n0\n\Z" % re.escape(args)),
        ("source with arguments", ["-p", pid, "-ex", "source %s x" % args, "--batch"], b"", 0, r"\A\Z",
         r"\A%s\t1\tx\n1\n\Z" % re.escape(args)),
        ("globals kept", ["-p", pid, "-ex", "lua x = 40", "-ex", "lua x + 2", "--batch"], b"", 0, r"\A\Z", r"\A42\n\Z"),
        ("lua error in batch", ["-p", pid, "-ex", "lua nosuch()", "-ex", "lua 'after'", "--batch"], b"", 1,
         r"\Apyspy-sh: \(lua\):1: attempt to call a nil value \(global 'nosuch'\)\nstack traceback:\n",
         r"\Aafter\n\Z"),
        ("lua without code", ["-p", pid, "-ex", "lua", "--batch"], b"", 1,
         r"\Apyspy-sh: lua: missing argument\nusage: lua CODE\n\Z", r"\A\Z"),
        ("piped lua", ["-p", pid], b"lua print(pyspy.process().pid)\n", 0, r"\A\Z", r"\A%s\n\Z" % pid),
        ("print goes to pyspy.cmd", ["-p", pid, "-ex", "lua s = pyspy.cmd('lua print(\"in\")'); print(#s, s)", "--batch"],
         b"", 0, r"\A\Z", r"\A3\tin\n\n\Z"),
    ]


def t_errors(spy, interp):
    tmp = tempfile.mkdtemp(prefix="pyspy-e2e-")
    target = None
    try:
        home = os.path.join(tmp, "home")
        elsewhere = os.path.join(tmp, "elsewhere")
        os.makedirs(elsewhere)
        target = harness.Target(interp, BUSY, [], tmp)
        target.wait_ready()
        pid = str(target.pid)
        probs = []
        for what, args, stdin, rc, err, out in cases(tmp, pid):
            r = spawn_in(spy, args, home, elsewhere, stdin)
            if r.rc != rc or not re.search(err, r.err) or not re.search(out, r.out):
                probs.append("%s: exit %d (want %d), stderr %r, stdout %r" % (what, r.rc, rc, r.err[:300], r.out[:200]))
        # shipped scripts by name from another directory; a copy in ~/.pyspy-sh/scripts wins
        r = spawn_in(spy, ["-p", pid, "-x", "slow-calls.lua", "--", "0.3", "50"], home, elsewhere)
        if r.rc != 0 or "hot_leaf" not in r.out:
            probs.append("slow-calls.lua by name from elsewhere: %s" % r.describe())
        mine = write(os.path.join(home, ".pyspy-sh", "scripts", "slow-calls.lua"), "-- slow-calls.lua: my own copy\nprint('home copy')\n")
        r = spawn_in(spy, ["-p", pid, "-x", "slow-calls.lua"], home, elsewhere)
        if r.rc != 0 or r.out != "home copy\n":
            probs.append("the home copy did not win: %s" % r.describe())
        r = spawn_in(spy, ["-ex", "info scripts", "--batch"], home, elsewhere)
        want = [r"^%s \(current directory\)$" % re.escape(elsewhere),
                r"^%s \(home\)\n  slow-calls.lua +slow-calls.lua: my own copy$" % re.escape(os.path.dirname(mine)),
                r"^%s \(source tree\)\n(  .*\n)*  record.lua +record.lua: sample a process" % re.escape(os.path.join(harness.REPO, "scripts"))]
        for w in want:
            if not re.search(w, r.out, re.M):
                probs.append("info scripts lacks %r: %r" % (w, r.out[:600]))
        probs += interrupt_script(spy, pid, tmp)
        if probs:
            raise Fail("; ".join(probs))
    finally:
        if target:
            target.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def interrupt_script(spy, pid, tmp):
    """-x on a script that loops forever: SIGINT stops it, exit 1, 'interrupted'."""
    loop = write(os.path.join(tmp, "loop.lua"), "print('looping')\nio.stdout:flush()\nwhile true do end\n")
    p = subprocess.Popen([spy.binary, "-p", pid, "-x", loop], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first = p.stdout.readline()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        return ["-x loop.lua: SIGINT did not stop it within 60s"]
    err = err.decode(errors="replace")
    if first != b"looping\n" or p.returncode != 1 or not err.startswith("pyspy-sh: interrupted\nstack traceback:"):
        return ["-x loop.lua + SIGINT: exit %s, stdout %r, stderr %r" % (p.returncode, first, err[:200])]
    return []


def t_ctrl_c(spy, interp):
    ctx = tty_tests.Ctx(spy, [interp])
    s = None
    try:
        t = ctx.target(BUSY)
        s = ctx.session(t)
        for code in ("while true do end", "pyspy.sleep(1000)", "for i = 1, 1e12 do x = pyspy.now() end"):
            s.p.send("lua %s\r" % code)
            s.drain(1.0)        # let it run
            s.p.sendintr()
            text = s.prompt()
            if "interrupted" not in text:
                raise Fail("Ctrl-C during `lua %s`: no 'interrupted' before the prompt: %r" % (code, text[-300:]))
        out = s.cmd("lua 1 + 1")
        if out.strip() != "2":
            raise Fail("after Ctrl-C, `lua 1 + 1` printed %r" % out)
        out = s.cmd("lua #pyspy.threads()")
        if out.strip() != "2":
            raise Fail("after Ctrl-C, `lua #pyspy.threads()` printed %r" % out)
    finally:
        if s:
            s.close()
        ctx.close()
