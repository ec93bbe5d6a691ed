# gen_linetable_vectors.py -- ground truth for engine/linetable.c, from CPython itself.
#
# engine/linetable.c decodes line tables from bytes copied out of another
# process, so it cannot ask the interpreter what a table means.  This script
# can: run under each supported CPython, it compiles a set of awkward sources
# (long jumps, lines going backwards, huge one-line expressions, handlers,
# comprehensions, generators...), walks every code object, and writes, for
# each, the raw table and the line CPython's own PyCode_Addr2Line() gives at
# every byte offset from -1 to a little past the end of the bytecode.
# PyCode_Addr2Line is called through ctypes, so the oracle is the very C
# function a traceback uses, not a re-implementation.  A second, independent
# view (dis.findlinestarts on <=3.9, co_lines() on 3.10+) is checked against
# it, so a wrong call would not silently produce wrong vectors.
#
# Usage (from the repository root), once per interpreter:
#     python tests/unit/gen_linetable_vectors.py [outdir]
# writes outdir/linetable_X.Y.txt (outdir defaults to tests/unit/data).
# The files are committed; the C test needs no Python.  Python 2/3 syntax.
#
# File format, whitespace separated:
#     model lnotab27|lnotab|310|locations
#     code NAME FIRSTLINENO TABLE_LEN NLINES
#     HEX-BYTES-OF-TABLE (or "-" when empty)
#     NLINES ints: the line for byte offsets -1, 0, 1, ..., NLINES-2
from __future__ import print_function

import ctypes
import dis
import os
import sys
import types

V = sys.version_info[:2]

addr2line = ctypes.pythonapi.PyCode_Addr2Line
addr2line.argtypes = [ctypes.py_object, ctypes.c_int]
addr2line.restype = ctypes.c_int

# A debug build asserts that the offset is inside the code; stay inside there.
PAST_END = 0 if hasattr(sys, "gettotalrefcount") else 4


def blank(n):
	return "\n" * n


SOURCES = []


def src(minver, name, text):
	SOURCES.append((minver, name, text))


src((2, 7), "simple", """
def f(a):
    x = a + 1

    return x
""")

src((2, 7), "jumps", "def far(a):\n    x = a\n" + blank(300) + "    y = x\n" + blank(70000) +
    "    z = y\n" + blank(1000) + "    return z\n")

src((2, 7), "late_start", blank(100000) + "def late(a):\n    return a\n")

src((2, 7), "big_line", "def wide(a):\n    x = [" + ", ".join("a + %d" % i for i in range(400)) +
    "]\n    y = (" + " + ".join("a" for _ in range(300)) + ")\n    return x, y\n")

src((2, 7), "big_line_gap", "def wide_gap(a):\n    x = [" + ", ".join("a * %d" % i for i in range(300)) +
    "]\n" + blank(500) + "    return x\n")

src((2, 7), "backwards", """
def back(a, b):
    x = foo(
        a,
        b,
        bar(
            a),
    )
    y = {
        'k': a,
        'j':
            b,
    }
    return (x
            +
            y)
""")

src((2, 7), "loops", """
def loops(n):
    t = 0
    for i in range(n):
        if i % 2:
            continue
        t += i
    else:
        t -= 1
    while t > 0:
        t -= 3
        if t == 5:
            break
    return t
""")

src((2, 7), "decorators", """
def deco(f):
    return f

@deco
@deco
def decorated(a):
    return a

class K(object):
    @staticmethod
    def s():
        pass

    @property
    def p(self):
        return 1
""")

src((2, 7), "handlers", """
def handlers(a):
    try:
        a.x()
    except (KeyError,
            ValueError) as e:
        print(e)
    except Exception:
        raise
    else:
        a = 2
    finally:
        a = 3
    try:
        return a
    finally:
        pass
    with open(a) as f, \\
            open(a) as g:
        f.read()
""")

src((2, 7), "nested", """
def outer(a):
    def inner(b):
        return lambda c: (a +
                          b + c)
    g = (x for x in
         range(a) if x)
    l = [y
         for y in g]
    d = {k: v for k, v in
         zip(l, l)}
    s = {z for z in l}
    return inner, g, l, d, s

def gen(n):
    for i in range(n):
        yield i

        yield (
            i + 1)
""")

src((2, 7), "empty", """
def nothing():
    pass

def docs():
    '''only a docstring'''

def only_return():

    return
""")

src((3, 0), "py3", """
def kwonly(a, *, b=1, **kw):
    nonlocal_test = 1
    def inner():
        nonlocal nonlocal_test
        nonlocal_test += 1
    return inner

async def coro(a):
    await a
    async with a as b:
        async for c in b:
            yield c
""")

src((3, 6), "fstrings", """
def fs(a, b):
    return f'''{a}
{b!r:>{a}}
{a +
 b}'''
""")

src((3, 8), "walrus", """
def walrus(xs):
    if (n := len(xs)) > 10:
        return n
    return [y for x in xs
            if (y := x * 2)]
""")

src((3, 10), "match", """
def matcher(cmd):
    match cmd.split():
        case [action]:
            return 1
        case [action, obj]:
            return 2
        case Point(x=0,
                   y=0):
            return 3
        case _:
            return 4
""")

src((3, 11), "except_star", """
def groups():
    try:
        raise ExceptionGroup("e", [ValueError(1)])
    except* ValueError as e:
        pass
    except* (TypeError,
             KeyError):
        raise
""")

src((3, 12), "typeparams", """
def ident[T](x: T) -> T:
    return x

type Alias[K] = dict[K,
                     int]
""")


def walk(code):
	yield code
	for c in code.co_consts:
		if isinstance(c, types.CodeType):
			for sub in walk(c):
				yield sub


def model_and_table(code):
	if V < (3, 0):
		return "lnotab27", bytearray(code.co_lnotab)
	if V < (3, 10):
		return "lnotab", bytearray(code.co_lnotab)
	if V < (3, 11):
		return "310", bytearray(code.co_linetable)
	return "locations", bytearray(code.co_linetable)


def independent(code, n):
	"""The line at each offset 0..n-1 by another route, or None where unknown."""
	out = [None] * n
	if V >= (3, 10):
		for start, end, line in code.co_lines():
			for a in range(start, min(end, n)):
				out[a] = -1 if line is None else line
		return out
	# <=3.9: findlinestarts gives where each line begins; a line lasts until the next start.
	starts = list(dis.findlinestarts(code))
	for i, (start, line) in enumerate(starts):
		end = starts[i + 1][0] if i + 1 < len(starts) else n
		for a in range(start, min(end, n)):
			out[a] = line
	for a in range(starts[0][0] if starts else n):
		out[a] = code.co_firstlineno
	return out


def emit(out, name, code):
	model, table = model_and_table(code)
	n = len(code.co_code)
	lines = [addr2line(code, a) for a in range(-1, n + PAST_END)]
	other = independent(code, n)
	for a in range(n):
		if other[a] is not None and other[a] != lines[a + 1]:
			raise SystemExit("%s: offset %d: Addr2Line %d, other %d" % (name, a, lines[a + 1], other[a]))
	hexs = "".join("%02x" % b for b in table) or "-"
	out.append("code %s %d %d %d" % (name, code.co_firstlineno, len(table), len(lines)))
	out.append(hexs)
	out.append(" ".join(str(l) for l in lines))
	return model


def main():
	outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "unit", "data")
	out = []
	model = None
	count = 0
	for minver, name, text in SOURCES:
		if V < minver:
			continue
		top = compile(text, "<%s>" % name, "exec")
		for i, code in enumerate(walk(top)):
			label = "%s.%d.%s" % (name, i, "".join(ch for ch in code.co_name if not ch.isspace()))
			model = emit(out, label, code)
			count += 1
	path = os.path.join(outdir, "linetable_%d.%d.txt" % V)
	with open(path, "w") as f:
		f.write("# generated by tests/unit/gen_linetable_vectors.py under CPython %s; do not edit\n"
		        % sys.version.split()[0])
		f.write("model %s\n" % model)
		f.write("\n".join(out) + "\n")
	print("%s: %d code objects" % (path, count))


main()
