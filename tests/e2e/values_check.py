# -*- coding: utf-8 -*-
"""values_check.py — end-to-end check of the engine's locals and value printer.

    python3 tests/e2e/values_check.py [--probe PATH] [PYTHON...]

check(binary, python) starts tests/targets/values.py under `python`, waits
for its "ready", runs the engine test driver `binary` (tests/unit/values_probe.c,
built by build_probe()) on the frames hold_values and waiter, and returns a list
of failure strings (empty when everything matched):

  - every variable the target recorded is listed, with its kind (local, cell,
    free) and whether it is an argument;
  - with the default limits (width 200, depth 3, 100 items) each value prints
    exactly as the target's limited_repr() says (its mirror of engine/repr.h);
  - with no limits each value prints exactly as the target's repr() did
    (instances in the documented "<Point object at 0x..> {x=1, y=2}" form);
  - the driver read well under 1 MB of the target with the limits on, though
    one local is a 1 MB str;
  - `print`-style lookups (value_lookup) give the right value or the exact error.

Run directly, it builds the driver and checks every pyenv interpreter and
/usr/bin/python3, printing PASS/FAIL/SKIP lines; exit status 1 on any failure.
Standard library only; Python 3.
"""
import glob
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.path.join(ROOT, "tests", "targets", "values.py")
READY_TIMEOUT = 60
PROBE_TIMEOUT = 120


def build_probe(root=ROOT):
    """Build the engine objects (make) and the driver; return its path."""
    subprocess.check_call(["make", "-s", "-C", root, "pyspy-sh"], stdout=subprocess.DEVNULL)
    out = os.path.join(root, "build", "values_probe")
    libs = subprocess.check_output(["pkg-config", "--libs", "libelf", "libdw"], text=True).split()
    objs = sorted(glob.glob(os.path.join(root, "build", "engine", "*.o")) +
                  glob.glob(os.path.join(root, "build", "layouts", "*.o")))
    subprocess.check_call(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE", "-g",
                           "-o", out, os.path.join(root, "tests", "unit", "values_probe.c")] + objs + libs)
    return out


def start_target(python, truth):
    rfd, wfd = os.pipe()
    env = dict(os.environ, LC_ALL="C.UTF-8")
    proc = subprocess.Popen([python, "-B", "-E", "-s", TARGET, truth, str(wfd)],
                            pass_fds=(wfd,), env=env, stderr=subprocess.PIPE)
    os.close(wfd)
    ready, _, _ = select.select([rfd], [], [], READY_TIMEOUT)
    line = os.read(rfd, 64) if ready else b""
    os.close(rfd)
    if line.strip() != b"ready":
        proc.kill()
        err = proc.communicate()[1].decode("utf-8", "replace")
        raise RuntimeError("target did not get ready: %s" % err.strip()[-500:])
    return proc


def run_probe(binary, pid, function, args):
    cmd = [binary] + args + [str(pid), function]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=PROBE_TIMEOUT)
    if r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stderr.decode("utf-8", "replace")))
    values, meta, exprs, nread = {}, {}, {}, None
    for line in r.stdout.decode("utf-8").split("\n"):
        if line.startswith("@"):
            name, kind, arg = line[1:].split(" ")
            meta[name] = (kind, arg == "arg")
        elif line.startswith("?"):
            ok = line.find("=") if line.find("!") < 0 or (0 <= line.find("=") < line.find("!")) else -1
            cut = ok if ok >= 0 else line.find("!")
            exprs[line[1:cut]] = (ok >= 0, line[cut + 1:])
        elif line.startswith("#read "):
            nread = int(line.split()[1])
        elif "=" in line:
            name, _, text = line.partition("=")
            values[name] = text
    return values, meta, exprs, nread


def short(s, n=120):
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def compare(fails, where, truth, values, meta, field):
    for name, want in sorted(truth.items()):
        if name not in values:
            fails.append("%s: variable %s not listed" % (where, name))
            continue
        if meta is not None and meta.get(name) != (want["kind"], want["arg"]):
            fails.append("%s: %s is %s, expected %s" % (where, name, meta.get(name), (want["kind"], want["arg"])))
        if values[name] != want[field]:
            fails.append("%s: %s printed %r, expected %r" % (where, name, short(values[name]), short(want[field])))


def lookups(truth):
    """(expression, ok, expected text) for the `print` lookups."""
    t = truth["hold_values"]
    py2 = t["a_long"]["repr"] == "5L"
    return [
        ("point.x", True, "1"),
        ("point.y[-1]", True, "3"),
        ("fresh_point.y", True, "'six'"),
        ("point.nope", False, "point.nope: 'Point' object has no attribute 'nope'"),
        ("point.x.nope", False, "point.x.nope: 'int' object has no attribute 'nope'"),
        ("point[0]", False, "point[0]: 'Point' object is not subscriptable"),
        ("slotted.b", True, "'two'"),
        ("small_list[-1]", True, "3.0"),
        ("small_list[10]", False, "small_list[10]: index 10 out of range (len 3)"),
        ("s_ascii[19]", False, "s_ascii[19]: index 19 out of range (len 19)"),
        ("small_list[1:2:3]", False, "small_list[1:2:3]: bad slice '[1:2:3]': expected [start:stop] with whole numbers"),
        ("small_list['a']", False, "small_list['a']: 'list' indices must be whole numbers or start:stop, not 'a'"),
        ("str_dict[(1, 'a']", False, "str_dict[(1, 'a']: '[' without its ']' at '[(1, 'a']'"),
        ("str_dict[@]", False, "str_dict[@]: bad key '@': expected a number, a string, bytes, None or a tuple"),
        ("str_dict['a'", False, "str_dict['a': '[' without its ']' at '['a''"),
        ("str_dict['a']", True, "1"),
        ('str_dict["b"][0]', True, "1"),
        ("str_dict['zz']", False, "str_dict['zz']: key 'zz' not found"),
        ("odd_dict[(2, 4)]", False, "odd_dict[(2, 4)]: key (2, 4) not found"),
        ("odd_dict[1]", True, t["odd_dict"]["repr"][4:7]),
        ("deep[0][0][0][0][0]", True, t["deep"]["repr"][5:-5]),
        ("kwargs['key']", True, t["kwargs"]["repr"][8:-1]),
        ("GLOBAL_NAME", True, truth["globals"]["GLOBAL_NAME"]),
        ("Point.kind", True, "'class attribute'"),
        ("captured[0]", True, "'captured'"),
        ("nosuch", False, "no local or global named 'nosuch'"),
        ("unbound_later", False, "local variable 'unbound_later' is unbound"),
    ] + ([] if py2 else [
        ("raw[0][0]", False, "raw[0][0]: 'int' object is not subscriptable"),
        ("str_dict[b'a']", False, "str_dict[b'a']: key b'a' not found"),
    ])


def check(binary, python):
    """Failures (strings) of the values test under one interpreter; [] when all pass."""
    fails = []
    tmp = tempfile.mkdtemp(prefix="pyspy-values-")
    truth_path = os.path.join(tmp, "truth.json")
    proc = None
    try:
        proc = start_target(python, truth_path)
        with open(truth_path, encoding="utf-8") as f:
            truth = json.load(f)
        exprs = lookups(truth)
        args = ["-m", "-s"] + [a for e in exprs for a in ("-e", e[0])]
        values, meta, got, nread = run_probe(binary, proc.pid, "hold_values", args)
        compare(fails, "default limits", truth["hold_values"], values, meta, "short")
        if nread is None or nread > 256 * 1024:
            fails.append("default limits: read %s bytes of the target (a 1 MB str was read whole?)" % nread)
        for expr, ok, text in exprs:
            if got.get(expr) != (ok, text):
                fails.append("print %s gave %r, expected %r" % (expr, got.get(expr), (ok, text)))
        values, meta, _, _ = run_probe(binary, proc.pid, "hold_values", ["-w", "0", "-d", "0", "-n", "0"])
        compare(fails, "no limits", truth["hold_values"], values, None, "repr")
        values, meta, _, _ = run_probe(binary, proc.pid, "waiter", ["-m"])
        compare(fails, "closure frame", truth["waiter"], values, meta, "short")
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as exc:
        fails.append(str(exc))
    finally:
        if proc:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return fails


def interpreters():
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python")))
    return found + ["/usr/bin/python3"]


def main(argv):
    probe = None
    if len(argv) >= 2 and argv[0] == "--probe":
        probe, argv = argv[1], argv[2:]
    probe = probe or build_probe()
    status = 0
    for python in argv or interpreters():
        name = python
        if not os.path.exists(python):
            print("SKIP values[%s]: not installed" % name)
            continue
        start = time.time()
        fails = check(probe, python)
        if fails:
            status = 1
            print("FAIL values[%s]: %d problems" % (name, len(fails)))
            for f in fails:
                print("    " + f)
        else:
            print("PASS values[%s] (%.1fs)" % (name, time.time() - start))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
