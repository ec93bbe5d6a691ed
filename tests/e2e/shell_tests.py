"""The shell around the engine: command table, usage errors, source, init
file, piped stdin, attach inside a session, launch mode (imported by run.py).

Run once, against one interpreter (the newest pyenv one, else any usable):

  cmd_help_table    every line of `help` is "  USAGE SUMMARY" of `help NAME`;
                    `NAME -h` == `help NAME`, exit 0, nothing on stderr
  cmd_prefixes      every prefix of every name: `help P` / `P -h` pick the
                    command a unique prefix or alias names; an ambiguous one
                    lists the candidates and fails (exit 1); aliases unique
  cmd_matrix        every command: no arguments, a valid call, too many
                    arguments, --bogus: exact stderr, stdout shape, exit status
  cli_usage         --help, --version, bad options (exit 64, exact message)
  source_file       `source F` runs F and stops at the first failing line (F:N)
  init_file         ~/.pyspyinit runs at start (set width 20 cuts values); -nx skips it
  piped_stdin       `echo bt | pyspy-sh -p PID`; a failing piped line -> exit 1
  attach_bad_pid    `attach PID-THAT-DOES-NOT-EXIST` in a session: the shell goes on
  launch_mode       pyspy-sh -ex bt --batch -- PYTHON launched.py: its stack,
                    its output, its exit status (3)
"""
import os
import re
import shutil
import subprocess
import tempfile
import time

import harness

Fail = harness.Fail
VALUES = os.path.join(harness.TARGETS, "values.py")
LAUNCHED = os.path.join(harness.TARGETS, "launched.py")


def pick(interps):
    usable = [i for i in interps if not i.missing]
    if not usable:
        raise harness.Skip("no usable interpreter")
    pyenv = [i for i in usable if i.label.startswith("pyenv")]
    return (pyenv or usable)[-1]


def clean_env(home):
    env = dict(os.environ)
    env["HOME"] = home
    env.pop("NO_COLOR", None)
    return env


def spawn(spy, args, home, stdin=b"", timeout=harness.RUN_TIMEOUT):
    """Run pyspy-sh with HOME=home and stdin bytes; a harness.Run."""
    spy.available()
    argv = [spy.binary] + [str(a) for a in args]
    try:
        cp = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=timeout, env=clean_env(home))
    except subprocess.TimeoutExpired:
        raise Fail("HANG: pyspy-sh %s did not finish within %ds" % (" ".join(argv[1:]), timeout))
    r = harness.Run(argv, cp.returncode, cp.stdout, cp.stderr)
    harness.sane(r)
    return r


def expect(r, rc, err=None, out=None, what=None):
    """Problems (list) unless r exits rc, stderr == err (when given) and stdout
    matches the regex out (when given; None: anything, "": empty)."""
    what = what or r.cmd()
    probs = []
    if r.rc != rc:
        probs.append("%s: exit %d, expected %d" % (what, r.rc, rc))
    if err is not None and r.err != err:
        probs.append("%s: stderr %r, expected %r" % (what, r.err[:300], err))
    if out == "" and r.out:
        probs.append("%s: stdout %r, expected nothing" % (what, r.out[:200]))
    elif out and not re.search(out, r.out, re.M):
        probs.append("%s: stdout %r does not match %r" % (what, r.out[:300], out))
    return probs


def raise_probs(probs):
    if probs:
        raise Fail("; ".join(probs[:10]) + (" (+%d more)" % (len(probs) - 10) if len(probs) > 10 else ""))


class Ctx(object):
    """One values target and a temporary HOME shared by the tests below."""

    def __init__(self, spy, interps):
        self.spy, self.interps = spy, interps
        self.tmp = tempfile.mkdtemp(prefix="pyspy-e2e-")
        self.home = os.path.join(self.tmp, "home")
        os.mkdir(self.home)
        self.target = None
        self.error = None

    def values_target(self):
        if self.error:
            raise Fail(self.error)
        if self.target is None:
            interp = pick(self.interps)
            try:
                self.target = harness.Target(interp, VALUES, [], self.tmp)
                self.target.wait_ready()
            except Fail as e:
                self.error = "values target: %s" % e
                raise Fail(self.error)
        return self.target

    def run(self, args, stdin=b""):
        return spawn(self.spy, args, self.home, stdin)

    def close(self):
        if self.target is not None:
            self.target.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


# ------------------------------------------------------------------ the command table

HELP_LINE = re.compile(r"^  (\S+)")


def command_table(ctx):
    """[(name, usage, summary, aliases)] from `help` and `help NAME`."""
    r = ctx.run(["-nx", "-ex", "help", "--batch"])
    if r.rc != 0 or r.err:
        raise Fail("help: %s" % r.describe())
    lines = r.out.split("\n")
    if lines[0] != "commands:":
        raise Fail("help output starts %r, expected 'commands:'" % lines[0])
    table, probs = [], []
    for line in lines[1:]:
        if not line.strip():
            break
        m = HELP_LINE.match(line)
        if not m:
            probs.append("help line %r" % line)
            continue
        name = m.group(1)
        h = ctx.run(["-nx", "-ex", "help " + name, "--batch"])
        hl = h.out.split("\n")
        if h.rc != 0 or h.err or not hl[0].startswith("usage: ") or hl[1] != "" or not hl[2]:
            probs.append("help %s: %s; stdout %r" % (name, h.describe(), h.out[:200]))
            continue
        usage, summary = hl[0][len("usage: "):], hl[2]
        if not (usage == name or usage.startswith(name + " ")):
            probs.append("help %s: usage %r does not start with the name" % (name, usage))
        if line != "  %-28s %s" % (usage, summary):
            probs.append("`help` line %r, but `help %s` says usage %r, summary %r" % (line, name, usage, summary))
        aliases = []
        for l in hl:
            if l.startswith("aliases:"):
                aliases = l.split()[1:]
        table.append((name, usage, summary, aliases, h.out))
    if not table:
        raise Fail("`help` lists no commands: %r" % r.out[:300])
    return table, probs


def t_help_table(ctx):
    table, probs = command_table(ctx)
    for name, usage, summary, aliases, text in table:
        for flag in ("-h", "--help"):
            r = ctx.run(["-nx", "-ex", "%s %s" % (name, flag), "--batch"])
            if r.rc != 0 or r.err or r.out != text:
                probs.append("`%s %s`: exit %d, stderr %r, stdout %s `help %s`" % (
                    name, flag, r.rc, r.err[:200], "==" if r.out == text else "!=", name))
        if not summary.endswith(".") or len(summary) < 10:
            probs.append("%s: summary %r is not a sentence" % (name, summary))
    raise_probs(probs)


def resolve(table, word):
    """(command name, None) / (None, [candidates]) / (None, []) as the
    dispatcher should see word: exact name or alias first, then unique prefix."""
    for name, _, _, aliases, _ in table:
        if word == name or word in aliases:
            return name, None
    cands = [t[0] for t in table if t[0].startswith(word)]
    if len(cands) == 1:
        return cands[0], None
    return None, cands


def t_prefixes(ctx):
    table, probs = command_table(ctx)
    seen = {}
    for name, _, _, aliases, _ in table:
        for a in [name] + aliases:
            if a in seen:
                probs.append("%r names both %s and %s" % (a, seen[a], name))
            seen[a] = name
    words = set(seen)
    for name, _, _, _, _ in table:
        words.update(name[:i] for i in range(1, len(name)))
    texts = dict((t[0], t[4]) for t in table)
    for w in sorted(words):
        cmd, cands = resolve(table, w)
        h = ctx.run(["-nx", "-ex", "help " + w, "--batch"])
        r = ctx.run(["-nx", "-ex", w + " -h", "--batch"])
        if cmd:
            probs += expect(h, 0, "", None, "help %s" % w)
            if h.out != texts[cmd]:
                probs.append("`help %s` is not the help of %s: %r" % (w, cmd, h.out[:80]))
            probs += expect(r, 0, "", None, "%s -h" % w)
            if r.out != texts[cmd]:
                probs.append("`%s -h` is not the help of %s: %r" % (w, cmd, r.out[:80]))
        elif cands:
            probs += expect(h, 1, "pyspy-sh: help: ambiguous command '%s'\n" % w, "", "help %s" % w)
            probs += expect(r, 1, "pyspy-sh: ambiguous command '%s': %s\n" % (w, " ".join(cands)), "",
                            "%s -h" % w)
    for w in ("zzz", "backtracex"):
        probs += expect(ctx.run(["-nx", "-ex", w, "--batch"]), 1,
                        "pyspy-sh: unknown command '%s' (try 'help')\n" % w, "")
        probs += expect(ctx.run(["-nx", "-ex", "help " + w, "--batch"]), 1,
                        "pyspy-sh: help: no such command '%s'\n" % w, "")
    raise_probs(probs)


def usage_err(cmd, usage, msg):
    return "pyspy-sh: %s: %s\nusage: %s\n" % (cmd, msg, usage)


def matrix(pid, src, nthreads=1):
    """(name, [-ex commands], exit, stderr or None, stdout regex or None).
    The last -ex is the one under test; frozen from the binary's behaviour."""
    F = r"^#%d  \S+ \(.*:\d+\)$"
    return {
        "attach": [("", 1, usage_err("attach", "attach PID", "missing argument"), ""),
                   ("%d" % pid, 0, "", r"^attached to pid %d \(.*\), Python \d+\.\d+\.\d+$" % pid),
                   ("%d 2" % pid, 1, usage_err("attach", "attach PID", "unexpected argument '2'"), ""),
                   ("abc", 1, "pyspy-sh: attach: 'abc' is not a process id\n", "")],
        "bt": [("", 0, "", r"^  #1  \S*hold_values \("),
               ("1", 0, "", r"\A[^\n]*\n  #0  \S*waiter \([^\n]*\n  \(3 more frames\)\n\Z"),
               ("1 2", 1, usage_err("bt", "bt [N] [--all] [--locals] [--native|--native-all] [--async] [--json] [--subprocesses]", "unexpected argument '2'"), ""),
               ("--subprocesses", 1, "pyspy-sh: bt: --subprocesses shows every thread of every process: give --all too\n", ""),
               ("--all --subprocesses", 0, "", r"\Aprocess %d \(.*\), Python \S+:\nThread " % pid)],
        "continue": [("", 0, "", r"\Apid %d is not stopped\n\Z" % pid),
                     ("", 0, "", r"\Apid %d stopped .*\npid %d continues\n\Z" % (pid, pid), ["stop"]),
                     ("1", 1, usage_err("continue", "continue", "unexpected argument '1'"), "")],
        "detach": [("", 0, "", r"\Adetached from pid %d\n\Z" % pid),
                   ("1", 1, usage_err("detach", "detach", "unexpected argument '1'"), "")],
        "down": [("", 1, "pyspy-sh: bottom (innermost) frame selected; you cannot go down\n", F % 0),
                 ("", 0, "", r"\A#2 .*\n#1  \S*hold_values .*\n\Z", ["frame 2"]),
                 ("1 2", 1, usage_err("down", "down [N]", "unexpected argument '2'"), ""),
                 ("x", 1, "pyspy-sh: down: 'x' is not a valid number\n", "")],
        "frame": [("", 0, "", r"\A#0  \S*waiter \(.*\n\Z"),
                  ("1", 0, "", r"\A#1  hold_values \(.*values\.py:\d+\)\n\Z"),
                  ("1 2", 1, usage_err("frame", "frame [N]", "unexpected argument '2'"), ""),
                  ("99", 1, "pyspy-sh: no frame 99: the stack has frames 0 to 3\n", "")],
        "globals": [("", 0, "", r"^  GLOBAL_NAME = 'a global'$"),
                    ("1", 1, usage_err("globals", "globals", "unexpected argument '1'"), "")],
        "help": [("", 0, "", r"\Acommands:\n"),
                 ("bt", 0, "", r"\Ausage: bt "),
                 ("bt x", 1, usage_err("help", "help [COMMAND]", "unexpected argument 'x'"), "")],
        "info": [("", 0, "", r"^process: +%d " % pid),
                 ("scripts", 0, "", r"^\S+/scripts \(source tree\)\n  hang-watch.lua "),
                 ("1", 1, usage_err("info", "info [scripts]", "unexpected argument '1'"), "")],
        "list": [("", 0, "", r"^>  *\d+  "),
                 ("10", 0, "", r"\A(    [ \d]\d  .*\n){11}\Z"),
                 ("1 2", 1, usage_err("list", "list [LINE]", "unexpected argument '2'"), ""),
                 ("0", 1, "pyspy-sh: list: '0' is not a line number\n", "")],
        "lua": [("", 1, usage_err("lua", "lua CODE", "missing argument"), ""),
                ("1 + 1", 0, "", r"\A2\n\Z"),
                ("#pyspy.threads(), pyspy.process().pid == %d" % pid, 0, "", r"\A%d\ttrue\n\Z" % nthreads),
                ("x = = 1", 1, "pyspy-sh: (lua):1: unexpected symbol near '='\n", "")],
        "locals": [("", 0, "", r"^  captured = \['captured'\]$"),
                   ("1", 1, usage_err("locals", "locals", "unexpected argument '1'"), "")],
        "print": [("", 1, usage_err("print", "print EXPR", "missing argument"), ""),
                  ("GLOBAL_NAME", 0, "", r"\AGLOBAL_NAME = 'a global'\n\Z"),
                  ("1 2 3", 1, "pyspy-sh: print: expected a name at '1 2 3'\n", "")],
        "quit": [("", 0, "", ""),
                 ("1", 1, usage_err("quit", "quit", "unexpected argument '1'"), "")],
        "set": [("", 1, usage_err("set", "set NAME VALUE", "missing arguments"), ""),
                ("width 50", 0, "", ""),
                ("width", 1, usage_err("set", "set NAME VALUE", "missing arguments"), ""),
                ("width 50 3", 1, usage_err("set", "set NAME VALUE", "unexpected argument '3'"), ""),
                ("width 5", 1, "pyspy-sh: set width: '5' is not a number from 10 to 1000000000\n", ""),
                ("nosuch 1", 1, "pyspy-sh: set: no setting 'nosuch' (see 'show')\n", ""),
                ("colour maybe", 1, "pyspy-sh: set colour: 'maybe' is not on or off\n", "")],
        "show": [("", 0, "", r"^width +200 "),
                 ("width", 0, "", r"\Awidth +200 .*\n\Z"),
                 ("width 2", 1, usage_err("show", "show [NAME]", "unexpected argument '2'"), ""),
                 ("nosuch", 1, "pyspy-sh: show: no setting 'nosuch'\n", "")],
        "source": [("", 1, usage_err("source", "source FILE [ARGS...]", "missing argument"), ""),
                   (src, 0, "", r"^process: "),
                   ("%s 2" % src, 1, usage_err("source", "source FILE [ARGS...]", "unexpected argument '2'"), ""),
                   ("/nonexistent/x", 1, "pyspy-sh: source: cannot open '/nonexistent/x': "
                                         "No such file or directory\n", "")],
        "stop": [("", 0, "", r"\Apid %d stopped \(\d+ threads held\); 'continue' lets it run\n\Z" % pid),
                 ("1", 1, usage_err("stop", "stop", "unexpected argument '1'"), "")],
        "thread": [("", 0, "", r"\A\[Current thread is 1 \(OS tid %d\) .*\]\n#0  " % pid),
                   ("1", 0, "", r"\A\[Current thread is 1 \(OS tid %d\) .*\]\n#0  " % pid),
                   ("1 2", 1, usage_err("thread", "thread [N]", "unexpected argument '2'"), ""),
                   ("9", 1, "pyspy-sh: thread: no thread 9 (see 'threads')\n", "")],
        "threads": [("", 0, "", r"\b%d\b" % pid),
                    ("1", 1, usage_err("threads", "threads [--subprocesses]", "unexpected argument '1'"), ""),
                    ("--subprocesses", 0, "", r"\Aprocess %d \(.*\), Python \S+:\n  #  " % pid)],
        "ps": [("", 0, "", r"\A     PID     PPID  PYTHON      COMMAND\n *%d +\d+  \d\.\d+\S*  +\S" % pid),
               ("1", 1, usage_err("ps", "ps", "unexpected argument '1'"), "")],
        "up": [("", 0, "", r"\A#1  hold_values \("),
               ("2", 0, "", r"\A#2  main \("),
               ("1 2", 1, usage_err("up", "up [N]", "unexpected argument '2'"), "")],
    }


def t_matrix(ctx):
    target = ctx.values_target()
    table, probs = command_table(ctx)
    src = os.path.join(ctx.tmp, "info.cmds")
    with open(src, "w") as f:
        f.write("info\n")
    # values.py: one thread, and on 3.12+ a thread state not taken yet
    cases = matrix(target.pid, src, 1 + target.truth.get("starting_thread_states", 0))
    for name, usage, _, _, _ in table:
        rows = cases.get(name)
        if rows is None:        # a command this test does not know yet: the generic checks
            rows = []
        for row in rows:
            args, rc, err, out = row[:4]
            pre = row[4] if len(row) > 4 else []
            exs = []
            for c in pre + [("%s %s" % (name, args)).strip()]:
                exs += ["-ex", c]
            r = ctx.run(["-p", target.pid, "-nx"] + exs + ["--batch"])
            probs += expect(r, rc, err, out, "`%s`" % " ; ".join(exs[1::2]))
        r = ctx.run(["-p", target.pid, "-nx", "-ex", name + " --bogus", "--batch"])
        probs += expect(r, 1, usage_err(name, usage, "unknown option '--bogus'"), "", "`%s --bogus`" % name)
    # a command that needs a process, without one
    r = ctx.run(["-nx", "-ex", "bt", "--batch"])
    probs += expect(r, 1, "pyspy-sh: bt: no process attached (use 'attach PID' or start with -p PID)\n", "")
    r = ctx.run(["-nx", "-ex", "print \"unterminated", "--batch"])
    probs += expect(r, 1, "pyspy-sh: unterminated quote in 'print \"unterminated'\n", "")
    missing = sorted(set(cases) - set(t[0] for t in table))
    if missing:
        probs.append("commands gone from `help`: %s" % missing)
    if target.proc.poll() is not None:
        probs.append("the target died")
    raise_probs(probs)


def t_cli_usage(ctx):
    probs = []
    r = ctx.run(["--help"])
    probs += expect(r, 0, "", r"\Ausage: pyspy-sh ")
    r = ctx.run(["-h"])
    probs += expect(r, 0, "", r"\Ausage: pyspy-sh ")
    r = ctx.run(["--version"])
    probs += expect(r, 0, "", r"\Apyspy-sh \d+\.\d+\.\d+\n\Z")
    tail = "try 'pyspy-sh --help'\n"
    for args, msg in ((["--bogus"], "unknown option '--bogus'"),
                      (["-p", "abc"], "'abc' is not a process id"),
                      (["-p", "12x", "-ex", "bt", "--batch"], "'12x' is not a process id"),
                      (["-p", "0"], "'0' is not a process id"),
                      (["-p"], "-p needs a process id"),
                      (["--pid"], "--pid needs a process id"),
                      (["-ex"], "-ex needs a command"),
                      (["--"], "-- needs a program to start"),
                      (["-p", "1", "--", "python3"], "-p and -- PROGRAM cannot be used together")):
        probs += expect(ctx.run(args), 64, "pyspy-sh: %s\n%s" % (msg, tail), "")
    raise_probs(probs)


# ------------------------------------------------------------------ source, init, stdin, attach

def t_source_file(ctx):
    target = ctx.values_target()
    path = os.path.join(ctx.tmp, "cmds")
    with open(path, "w") as f:
        f.write("# a comment\n\nframe 1\nprint small\nprint nosuch\nthreads\n")
    r = ctx.run(["-p", target.pid, "-nx", "-ex", "source " + path, "--batch"])
    probs = expect(r, 1, "pyspy-sh: print: no local or global named 'nosuch'\n"
                         "pyspy-sh: %s:5: stopped at this line\n" % path,
                   r"\A#1  hold_values \(.*\)\nsmall = 42\n\Z")
    with open(path, "w") as f:
        f.write("frame 1\nprint small\n")
    r = ctx.run(["-p", target.pid, "-nx", "-ex", "source " + path, "-ex", "print negative", "--batch"])
    probs += expect(r, 0, "", r"\A#1  hold_values \(.*\)\nsmall = 42\nnegative = -7\n\Z")
    raise_probs(probs)


def t_init_file(ctx):
    target = ctx.values_target()
    full = target.truth["hold_values"]["long_list"]["repr"]
    init = os.path.join(ctx.home, ".pyspyinit")
    with open(init, "w") as f:
        f.write("set width 20\n")
    try:
        args = ["-p", target.pid, "-ex", "frame 1", "-ex", "print long_list", "--batch"]
        r = ctx.run(args)
        probs = expect(r, 0, "", r"\A#1 .*\nlong_list = %s\n\Z" % re.escape(full[:17] + "..."),
                       "with ~/.pyspyinit 'set width 20'")
        r = ctx.run(["-nx"] + args)
        probs += expect(r, 0, "", r"\A#1 .*\nlong_list = %s\n\Z"
                        % re.escape(target.truth["hold_values"]["long_list"]["short"]), "-nx")
        with open(init, "w") as f:
            f.write("set width 20\nzzz\nset depth 1\n")
        r = ctx.run(args)
        probs += expect(r, 0 if r.rc == 0 else 1, None, None)
        if "pyspy-sh: unknown command 'zzz' (try 'help')\n" not in r.err or ".pyspyinit:2" not in r.err:
            probs.append("a bad line 2 in ~/.pyspyinit: stderr %r, expected the error and '.pyspyinit:2'"
                         % r.err[:300])
    finally:
        os.unlink(init)
    raise_probs(probs)


def t_piped_stdin(ctx):
    target = ctx.values_target()
    r = ctx.run(["-p", target.pid], stdin=b"bt\n")
    probs = expect(r, 0, "", r"\AThread 1 .*\n  #0  \S*waiter \(.*\n  #1  hold_values \(")
    if "(pyspy)" in r.out:
        probs.append("a prompt was printed without a terminal: %r" % r.out[:200])
    r = ctx.run(["-p", target.pid], stdin=b"frame 1\nzzz\nprint small\n")
    probs += expect(r, 1, "pyspy-sh: unknown command 'zzz' (try 'help')\n",
                    r"\A#1  hold_values .*\nsmall = 42\n\Z", "piped frame 1 / zzz / print small")
    raise_probs(probs)


def t_attach_bad_pid(ctx):
    target = ctx.values_target()
    bad = harness.unused_pid()
    script = "attach %d\nhelp quit\nattach %d\ninfo\n" % (bad, target.pid)
    r = ctx.run(["-p", target.pid], stdin=script.encode())
    probs = []
    if not r.err.startswith("pyspy-sh: no process with pid %d\n" % bad):
        probs.append("stderr %r, expected 'pyspy-sh: no process with pid %d' first" % (r.err[:300], bad))
    if not re.search(r"^usage: quit$", r.out, re.M):
        probs.append("`help quit` after the failed attach printed nothing: %r" % r.out[:300])
    if not re.search(r"^attached to pid %d " % target.pid, r.out, re.M) or \
            not re.search(r"^process: +%d " % target.pid, r.out, re.M):
        probs.append("`attach %d` + `info` after the failed attach: %r" % (target.pid, r.out[:400]))
    if r.rc != 1:
        probs.append("piped session with a failed attach exited %d, expected 1" % r.rc)
    raise_probs(probs)


# ------------------------------------------------------------------ launch mode

def release(fifo, proc=None, timeout=30):
    """Let launched.py's open(FIFO) return.  It may not have reached its
    open() yet (ENXIO: no reader), so keep trying while it runs."""
    deadline = time.time() + timeout
    while True:
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            return
        except OSError:
            if proc is None or proc.poll() is not None or time.time() > deadline:
                return
            time.sleep(0.01)


def t_launch(ctx):
    interp = pick(ctx.interps)
    go = os.path.join(ctx.tmp, "launch.go")
    truth_path = os.path.join(ctx.tmp, "launch.truth")
    for p in (go, truth_path):
        if os.path.exists(p):
            os.unlink(p)
    os.mkfifo(go)
    argv = [ctx.spy.binary, "-nx", "-ex", "bt", "--batch", "--", interp.path, "-B", "-E", "-s",
            LAUNCHED, truth_path, go]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(harness.target_env(), HOME=ctx.home), cwd=ctx.tmp)
    out = b""
    try:
        deadline = time.time() + harness.READY_TIMEOUT
        while b"<module>" not in out:          # bt has printed the outermost frame
            line = proc.stdout.readline()
            if not line:
                break
            out += line
            if time.time() > deadline:
                raise Fail("no <module> frame within %ds: %r" % (harness.READY_TIMEOUT, out[:400]))
        release(go, proc)
        rest, err = proc.communicate(timeout=harness.RUN_TIMEOUT)
        out += rest
    finally:
        release(go)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    probs = []
    if proc.returncode != 3:
        probs.append("exit %d, expected 3 (the program's own status)" % proc.returncode)
    if "launched.py says goodbye\n" not in text:
        probs.append("the program's own output is missing")
    try:
        with open(truth_path) as f:
            truth = [l.split("\t") for l in f.read().splitlines()]
    except OSError as e:
        raise Fail("launched.py wrote no truth (%s); stdout %r, stderr %r" % (e, text[:300], err[:300]))
    threads = harness.parse_bt_text(text)
    if len(threads) != 1:
        probs.append("%d threads in bt, expected 1: %r" % (len(threads), text[:400]))
    else:
        have = [(q.split(".")[-1], f, l) for _, q, f, l in threads[0]["frames"]]
        want = [(fn, fl, int(l)) for fn, fl, l in truth]
        if have != want:
            probs.append("bt frames %r, expected (the target's own record) %r" % (have, want))
    if err.strip():
        probs.append("stderr: %r" % err[:300])
    raise_probs(probs)


# ------------------------------------------------------------------ registration

# Run once, in this order, sharing one Ctx (values target, HOME).
ONCE = (("cmd_help_table", t_help_table), ("cmd_prefixes", t_prefixes), ("cmd_matrix", t_matrix),
        ("cli_usage", t_cli_usage), ("source_file", t_source_file), ("init_file", t_init_file),
        ("piped_stdin", t_piped_stdin), ("attach_bad_pid", t_attach_bad_pid), ("launch_mode", t_launch))


def run_once(res, spy, interps):
    if not any(res.wanted(n) for n, _ in ONCE):
        return
    ctx = Ctx(spy, interps)
    try:
        for n, fn in ONCE:
            res.run(n, fn, ctx)
    finally:
        ctx.close()
